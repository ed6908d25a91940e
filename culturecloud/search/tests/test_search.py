"""search(): matching, ranking, sorts, facets, filters, snippets, bounds.

These run on the default database: SQLite FTS5 in `make test`, PostgreSQL tsvector in CI's
PostgreSQL pass (the same assertions hold for both backends).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from culturecloud.core.errors import ServiceError
from culturecloud.search.backends import get_backend
from culturecloud.search.models import SearchDocument
from culturecloud.search.query import search, search_for
from culturecloud.search.services import set_popularity
from culturecloud.search.types import Filters


def titles(results) -> list[str]:
    return [h.title for h in results.items]


def test_one_character_query_finds_a_longer_word_in_the_title(tree, publish):
    publish(tree.county, "广场舞大赛在从化举行")
    publish(tree.city, "书法展览", "<p>没有那个字</p>")
    results = search("舞")
    assert titles(results) == ["广场舞大赛在从化举行"]
    assert results.items[0].title_html == "广场<mark>舞</mark>大赛在从化举行"


def test_two_character_query_finds_words_that_contain_it(tree, publish):
    publish(tree.county, "京剧院新年演出")
    publish(tree.city, "周末活动", "<p>村民欣赏了一场京剧表演。</p>")
    publish(tree.city, "北京剧场开放日")  # 北京|剧场: not 京剧
    assert sorted(titles(search("京剧"))) == ["京剧院新年演出", "周末活动"]


def test_traditional_characters_find_simplified_text_and_back(tree, publish):
    publish(tree.county, "京剧艺术讲座")
    publish(tree.city, "昆曲欣賞", "<p>傳統戲曲</p>")
    assert titles(search("京劇藝術")) == ["京剧艺术讲座"]
    found = search("传统戏曲")
    assert titles(found) == ["昆曲欣賞"]
    assert found.items[0].snippet_html == "<mark>傳統戲曲</mark>"


def test_title_hit_ranks_above_body_hit_whatever_the_views(tree, publish):
    body_hit = publish(tree.county, "周末活动预告", "<p>本周六有昆曲演出，欢迎观看。</p>")
    subject_hit = publish(tree.county, "文化馆通知", "<p>内容</p>", summary="昆曲公益课程")
    title_hit = publish(tree.city, "昆曲讲座")
    set_popularity(doc_type="institutions.article", object_id=body_hit.pk, popularity=9999)
    set_popularity(doc_type="institutions.article", object_id=subject_hit.pk, popularity=500)
    results = search("昆曲")
    assert titles(results) == ["昆曲讲座", "文化馆通知", "周末活动预告"]
    assert [h.object_id for h in results.items] == [
        str(title_hit.pk),
        str(subject_hit.pk),
        str(body_hit.pk),
    ]
    # the most viewed first when asked
    assert titles(search("昆曲", sort="views"))[0] == "周末活动预告"


def test_all_words_must_match(tree, publish):
    publish(tree.county, "京剧 昆曲 同台")
    publish(tree.county, "京剧专场")
    assert titles(search("京剧 昆曲")) == ["京剧 昆曲 同台"]
    assert len(search("京剧").items) == 2


def test_sorts(doc):
    now = timezone.now()
    doc("京剧 一", published_at=now - dt.timedelta(days=3), popularity=5)
    doc("京剧 二", published_at=now - dt.timedelta(days=1), popularity=1)
    doc("京剧 三", published_at=now - dt.timedelta(days=2), popularity=50)
    assert titles(search("京剧", sort="newest")) == ["京剧 二", "京剧 三", "京剧 一"]
    assert titles(search("京剧", sort="views")) == ["京剧 三", "京剧 一", "京剧 二"]
    # all three in the title: relevance falls back on views
    assert titles(search("京剧")) == ["京剧 三", "京剧 一", "京剧 二"]
    with pytest.raises(ServiceError) as refused:
        search("京剧", sort="random")
    assert list(refused.value.fields) == ["sort"]


def test_facets_with_counts(tree, doc):
    doc("剪纸 甲", category="craft", kind="video", year=2023, institution=tree.county)
    doc("剪纸 乙", category="craft", kind="image", year=2024, institution=tree.county)
    doc("剪纸 丙", category="music", kind="video", year=2024, institution=tree.other_province)
    doc("刺绣", category="craft", kind="video", year=2024, institution=tree.county)
    results = search("剪纸")
    facets = {f.name: {v.value: v.count for v in f.values} for f in results.facets}
    assert facets["type"] == {"institutions.article": 3}
    assert facets["category"] == {"craft": 2, "music": 1}
    assert facets["kind"] == {"video": 2, "image": 1}
    assert facets["year"] == {"2024": 2, "2023": 1}
    assert facets["institution"] == {"gd-gz-ch": 2, "zj": 1}
    assert facets["region"] == {"44": 2, "33": 1}
    with translation.override("en"):
        results = search("剪纸")
    labels = {f.name: {v.value: v.label for v in f.values} for f in results.facets}
    assert labels["institution"]["gd-gz-ch"] == "从化区文化馆"
    assert labels["region"] == {"44": "广东省", "33": "浙江省"}
    assert labels["type"] == {"institutions.article": "News and notices"}
    assert [f.label for f in results.facets] == [
        "Section",
        "Category",
        "Kind",
        "Institution",
        "Region",
        "Year",
    ]
    year = results.facets[-1]
    assert [v.value for v in year.values] == ["2024", "2023"]  # newest first


def test_filters(tree, doc, extra_facet):
    doc(
        "剪纸 县",
        category="craft",
        year=2020,
        institution=tree.county,
        facets={"ich_category": ["传统美术"]},
    )
    doc(
        "剪纸 镇",
        category="craft",
        year=2022,
        institution=tree.township,
        facets={"ich_category": ["传统美术", "民俗"]},
    )
    doc("剪纸 浙", category="music", year=2024, institution=tree.other_province)
    assert sorted(titles(search_for(q="剪纸", institution="gd-gz-ch"))) == ["剪纸 县", "剪纸 镇"]
    assert titles(search_for(q="剪纸", institution="gd-gz-ch-tp")) == ["剪纸 镇"]
    assert titles(search_for(q="剪纸", region="330000")) == ["剪纸 浙"]
    assert sorted(titles(search_for(q="剪纸", region="440100"))) == ["剪纸 县", "剪纸 镇"]
    assert titles(search_for(q="剪纸", category="music")) == ["剪纸 浙"]
    assert titles(search_for(q="剪纸", year=2022)) == ["剪纸 镇"]
    assert sorted(titles(search_for(q="剪纸", year_from=2021))) == ["剪纸 浙", "剪纸 镇"]
    assert titles(search_for(q="剪纸", facets=["ich_category:民俗"])) == ["剪纸 镇"]
    assert sorted(titles(search_for(q="剪纸", facets=["ich_category:传统美术"]))) == [
        "剪纸 县",
        "剪纸 镇",
    ]
    assert titles(search_for(q="剪纸", types=["institutions.article"], kind="nothing")) == []
    extra = {f.name: f for f in search_for(q="剪纸", facets=["ich_category:民俗"]).facets}
    assert {v.value: (v.count, v.selected) for v in extra["ich_category"].values} == {
        "传统美术": (1, False),
        "民俗": (1, True),
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"types": ["nope.nothing"]}, "type"),
        ({"institution": "no-such-place"}, "institution"),
        ({"region": "44x"}, "region"),
        ({"facets": ["ich_category"]}, "facet"),
        ({"facets": ["unknown:x"]}, "facet"),
        ({"year_from": 2024, "year_to": 2020}, "year_to"),
        ({"page": 0}, "page"),
        ({"page_size": 1000}, "page_size"),
        ({"q": "京" * 101}, "q"),
    ],
)
def test_bad_arguments_are_field_errors(db, kwargs, field):
    with pytest.raises(ServiceError) as refused:
        search_for(**kwargs)
    assert field in refused.value.fields
    assert refused.value.status == 400


def test_empty_query_browses_with_filters(doc):
    now = timezone.now()
    doc("甲", category="craft", published_at=now - dt.timedelta(days=1))
    doc("乙", category="craft", published_at=now)
    doc("丙", category="music")
    assert titles(search_for(category="craft", sort="newest")) == ["乙", "甲"]
    assert search("").total == 3


def test_punctuation_only_query_finds_nothing(doc):
    doc("京剧")
    results = search("！！？")
    assert results.total == 0 and results.items == []


def test_snippets_are_escaped_and_highlighted(tree, publish, doc):
    doc("展览 <b>加粗</b>", body='<script>alert("x")</script>剪纸展览开幕，欢迎参观。')
    (hit,) = search("剪纸").items
    assert hit.title_html == "展览 &lt;b&gt;加粗&lt;/b&gt;"
    assert "<script>" not in hit.snippet_html
    assert "<mark>剪纸</mark>" in hit.snippet_html


def test_html_of_articles_is_indexed_as_text(tree, publish):
    publish(tree.county, "通知", '<p>请<a href="https://example.org/jianzhi">报名</a>剪纸班</p>')
    (hit,) = search("剪纸").items
    assert "href" not in hit.snippet_html and "example" not in hit.snippet_html
    assert not search("example").items and not search("href").items


def test_total_is_capped_and_pages_stay_inside_the_candidates(doc, settings):
    settings.SEARCH_CANDIDATES = 5
    for i in range(8):
        doc(f"年画 {i}", popularity=i)
    results = search("年画", page_size=2)
    assert (results.total, results.total_is_capped, results.num_pages) == (5, True, 3)
    # the 5 most viewed are the candidates
    assert titles(results) == ["年画 7", "年画 6"]
    assert titles(search("年画", page_size=2, page=3)) == ["年画 3"]
    assert titles(search("年画", page_size=2, page=4)) == []
    assert sum(v.count for f in results.facets if f.name == "type" for v in f.values) == 5
    settings.SEARCH_CANDIDATES = 8
    assert (search("年画").total, search("年画").total_is_capped) == (8, False)


def test_query_count_is_flat(tree, doc, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            search("剪纸", page_size=5)
            search("", page_size=5)
        return len(ctx.captured_queries)

    for i in range(3):
        doc(f"剪纸 {i}", institution=tree.county)
    small = count_queries()
    for i in range(30):
        doc(f"剪纸 多 {i}", institution=[tree.county, tree.city, tree.other_province][i % 3])
    assert count_queries() == small
    with django_assert_max_num_queries(12):
        search("剪纸", page_size=20)


def test_deleting_a_document_row_removes_its_text_from_the_index(doc):
    doc("皮影戏", object_id=7)
    assert search("皮影戏").total == 1
    SearchDocument.objects.filter(object_id="7").delete()
    assert search("皮影戏").total == 0
    doc("皮影戏 新", object_id=7)  # the same key again
    assert titles(search("皮影戏")) == ["皮影戏 新"]


def test_reindexing_a_document_replaces_its_terms(doc):
    doc("木偶戏", object_id=9)
    doc("评弹", object_id=9)
    assert search("木偶戏").total == 0
    assert titles(search("评弹")) == ["评弹"]
    assert SearchDocument.objects.count() == 1


def test_backend_for_the_database():
    from django.db import connection

    expected = {"sqlite": "SqliteFtsBackend", "postgresql": "PostgresBackend"}[connection.vendor]
    assert type(get_backend()).__name__ == expected


def test_filters_are_a_value_object():
    assert Filters() == Filters()
    assert Filters(category="craft") != Filters()
