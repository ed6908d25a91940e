"""What only PostgreSQL has: the tsvector column, its GIN index and statistics, the one-statement
aggregation, and the row lock that keeps a sync from writing a stale state."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections

from culturecloud.core import review
from culturecloud.search import services
from culturecloud.search.backends import get_backend
from culturecloud.search.backends.base import SqlBackend
from culturecloud.search.backends.postgres import POPULARITY_TIERS, PostgresBackend
from culturecloud.search.models import SearchDocument
from culturecloud.search.query import candidate_limit, search
from culturecloud.search.segmentation import query_terms
from culturecloud.search.types import Filters, SearchRequest, Sort

pytestmark = pytest.mark.postgres


def test_tsvector_column_gin_index_and_statistics(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(a.atttypid, a.atttypmod), a.attstattarget "
            "FROM pg_attribute a WHERE a.attrelid = 'search_searchdocument'::regclass "
            "AND a.attname = 'tsv'"
        )
        assert cursor.fetchone() == ("tsvector", -1)  # the default statistics target
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_doc_tsv'")
        assert "USING gin (tsv)" in cursor.fetchone()[0]


def test_vector_weights_title_subject_body_and_tokens(tree, doc, extra_facet):
    """Search-mode words and single characters of title (A) and subject (B), words of the
    body (C), one position each; then the filter and popularity tier tokens."""
    march = dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC)
    doc("京剧院", body="昆曲 表演 昆曲", subject="剪纸", object_id=1, published_at=march)
    doc(
        "年画",
        object_id=2,
        published_at=march,
        institution=tree.county,
        category="craft",
        kind="image",
        language="zh",
        year=2024,
        facets={"ich_category": ["传统美术"]},
        popularity=300,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsv::text FROM search_searchdocument ORDER BY object_id")
        first, second = (row[0] for row in cursor.fetchall())
    assert first == (
        "'~Y2024' '~m202403' '~tinstitutions.article' '京':4A '京剧':1A '京剧院':3A '剧':5A "
        "'剧院':2A '剪':8B '剪纸':7B '昆曲':10C '纸':9B '表演':11C '院':6A"
    )
    assert second == (
        "'~Y2024' '~ccraft' '~fich_category=传统美术' '~kimage' '~lzh' '~m202403' '~p128' "
        "'~p16' '~p256' '~p32' '~p64' '~p8' '~r44' '~r4401' '~r440117' "
        "'~tinstitutions.article' '~y2024' '年':2A '年画':1A '画':3A"
    )
    services.set_popularity(doc_type="institutions.article", object_id=2, popularity=20)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsv::text FROM search_searchdocument WHERE object_id = '2'")
        vector = cursor.fetchone()[0]
    assert "'~p16'" in vector and "'~p32'" not in vector and "'~p256'" not in vector
    assert "'年画':1A" in vector and "'~ccraft'" in vector


def test_the_sql_aggregation_equals_the_python_one(tree, doc, extra_facet, settings):
    settings.SEARCH_CANDIDATES = 7
    places = [tree.county, tree.township, tree.city, tree.other_province, None]
    for i in range(12):
        doc(
            f"剪纸 {i}" if i % 3 else "年画",
            body="剪纸 技艺" if i % 2 else "其他",
            subject="剪纸" if i % 4 == 0 else "",
            category=["craft", "music", "opera"][i % 3],
            kind=["video", "image"][i % 2],
            year=2018 + i % 4,
            language=["zh", "en"][i % 2],
            institution=places[i % 5],
            facets={"ich_category": [["传统美术"], ["民俗", "传统美术"], []][i % 3]},
            popularity=i * 7 % 11,
        )
    backend = get_backend()
    assert isinstance(backend, PostgresBackend)
    for q in ("剪纸", "", "剪纸 技艺"):
        for sort in Sort:
            for page in (1, 2):
                for filters in (Filters(), Filters(region_prefix="44"), Filters(category="craft")):
                    request = SearchRequest(
                        q=q,
                        terms=tuple(query_terms(q)),
                        filters=filters,
                        sort=sort,
                        page=page,
                        page_size=3,
                        candidates=candidate_limit(),
                    )
                    in_sql = backend._count(request)
                    in_python = SqlBackend._count(backend, request)
                    assert in_sql.total == in_python.total
                    assert in_sql.capped == in_python.capped
                    assert in_sql.page == in_python.page, (q, sort, page, filters)
                    assert _sorted(in_sql.facets) == _sorted(in_python.facets)
    assert search("剪纸").total_is_capped


def _sorted(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    return {k: sorted(v) for k, v in facets.items() if v}


def test_tiers_read_the_most_viewed_matches_only(tree, doc):
    """A common word is answered from the highest popularity tier that holds enough matches:
    the tiers below it, and the unbounded scan, never run; the answer is the same as
    ranking every match."""
    from django.test.utils import CaptureQueriesContext

    from culturecloud.search.registry import Document

    backend = get_backend()
    assert isinstance(backend, PostgresBackend)
    docs = [
        Document(
            doc_type="institutions.article",
            object_id=i,
            # "k<n>": 300 words in 1/300 of the titles each, so that the statistics list
            # words down to that frequency (as they do on a real corpus)
            title=f"常见 词{i} k{i % 300}" + (" 稀有" if i % 997 == 0 else ""),
            category="craft" if i % 2 else "music",
            popularity=i,  # 0 … 19,999: the highest tier (~p8192) holds 11,808 documents
        )
        for i in range(20_000)
    ]
    for start in range(0, len(docs), 2000):
        backend.index(docs[start : start + 2000])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    cache.delete("search:pg:lexeme-frequencies:default")

    def explain(q: str, **kwargs: Any) -> tuple[Any, str]:
        with CaptureQueriesContext(connection) as ctx:
            results = search(q, **kwargs)
        (sql,) = [x["sql"] for x in ctx.captured_queries if x["sql"].startswith("WITH t0")]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
            return results, "\n".join(r[0] for r in cursor.fetchall())

    results, plan = explain("常见")
    assert (results.total, results.total_is_capped) == (1000, True)
    assert [h.title for h in results.items[:2]] == ["常见 词19999 k199", "常见 词19998 k198"]
    tiers = len(POPULARITY_TIERS) + 1
    assert cte_ran(plan) == [True] + [False] * (tiers - 1)

    # a rare word: by the statistics no tier can hold 1,000 of its matches, so only the
    # last (unbounded) one is asked
    rare, plan = explain("稀有")
    assert rare.total == 21 and not rare.total_is_capped
    assert rare.items[0].title == "常见 词19940 k140 稀有"
    assert cte_ran(plan) == [True]
    # without statistics every tier is tried in turn, with the same answer
    cache.set("search:pg:lexeme-frequencies:default", (0.0, 0.0, {}))
    again, plan = explain("稀有")
    assert [h.title for h in again.items] == [h.title for h in rare.items]
    assert cte_ran(plan) == [True] * tiers
    cache.delete("search:pg:lexeme-frequencies:default")
    # a filter is a token in the same GIN search
    filtered, plan = explain("常见", sort="views", filters=Filters(category="music"))
    assert [h.title for h in filtered.items[:2]] == ["常见 词19998 k198", "常见 词19996 k196"]
    assert "'~cmusic'" in plan and cte_ran(plan)[:2] == [True, False]


def cte_ran(plan: str) -> list[bool]:
    """For each tier CTE t0, t1, … of an EXPLAIN ANALYZE: did it run?"""
    lines = plan.splitlines()
    return [
        "never executed" not in lines[i + 1]
        for i, line in enumerate(lines)
        if line.strip().startswith("CTE t") and line.strip()[5:].isdigit()
    ]


def test_newest_asks_the_last_months_first(tree, doc):
    """ "Newest" reads the documents of the last 1, 2, 4, … months first: the month that
    holds enough matches answers, the older months are never read."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from culturecloud.search.registry import Document

    backend = get_backend()
    now = timezone.now()
    docs = [
        Document(
            doc_type="institutions.article",
            object_id=i,
            title=f"剪纸 {i}",
            published_at=now - dt.timedelta(hours=i),  # 3,000 documents over ~4 months
            popularity=3000 - i,
        )
        for i in range(3000)
    ]
    for start in range(0, len(docs), 1000):
        backend.index(docs[start : start + 1000])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    cache.delete("search:pg:lexeme-frequencies:default")
    with CaptureQueriesContext(connection) as ctx:
        results = search("剪纸", sort="newest", page_size=3)
    assert [h.title for h in results.items] == ["剪纸 0", "剪纸 1", "剪纸 2"]
    assert (results.total, results.total_is_capped) == (1000, True)
    (sql,) = [x["sql"] for x in ctx.captured_queries if x["sql"].startswith("WITH t0")]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    ran = cte_ran(plan)
    assert ran[-1] is False  # never everything
    assert sum(ran) <= 3  # this month (few rows early in a month), 2 months, 4 months
    oldest_first = search("剪纸", sort="newest", page=50, page_size=20)
    assert oldest_first.items[-1].title == "剪纸 999"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", [True, False])
def test_a_sync_holds_the_row_so_an_unpublish_cannot_slip_in(
    tree, publish, staff, monkeypatch, lock
):
    """Sync A reads "published" and is slow to write; meanwhile the article is unpublished.
    With the row lock the unpublish waits for A, and its own sync removes the document.
    Without it (lock=False) the unpublish and its sync finish first and A writes the stale
    state: the race the lock prevents."""
    article = publish(tree.county, "剪纸艺术展")
    assert SearchDocument.objects.count() == 1
    if not lock:
        monkeypatch.setattr(services, "_lock_source", lambda entry, object_id: True)
    read, proceed, unpublished = threading.Event(), threading.Event(), threading.Event()
    original = PostgresBackend.index

    def slow_index(self: PostgresBackend, documents: Any) -> int:
        read.set()
        assert proceed.wait(10)
        return original(self, documents)

    monkeypatch.setattr(PostgresBackend, "index", slow_index)
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            services.sync_object(doc_type="institutions.article", object_id=article.pk)
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connections.close_all()

    def unpublish() -> None:
        try:
            review.unpublish(article, actor=staff["reviewer"], reason="过期")
            unpublished.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=sync)
    a.start()
    assert read.wait(10)
    b = threading.Thread(target=unpublish)
    b.start()
    waited = not unpublished.wait(1.0)
    proceed.set()
    a.join(10)
    b.join(10)
    assert not errors
    assert waited is lock
    assert SearchDocument.objects.exists() is (not lock)
