"""The search page: results, snippets, facets as links, sort, pages, bad input."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation


def test_empty_page_shows_the_form(client, db):
    response = client.get(reverse("search:page"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html and '<label for="id_q">' in html
    assert "results-title" not in html


def test_results_with_snippets_facets_and_sort(client, tree, publish, doc):
    publish(tree.county, "广场舞大赛", "<p>村民跳起广场舞</p>")
    doc(
        "舞蹈 <i>培训</i>",
        body="<script>alert(1)</script>舞蹈课",
        category="dance",
        institution=tree.other_province,
    )
    with translation.override("en"):
        response = client.get(reverse("search:page"), {"q": "舞"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    html = response.content.decode()
    assert "2 results" in html
    assert "广场<mark>舞</mark>大赛" in html
    assert "<mark>舞</mark>蹈 &lt;i&gt;培训&lt;/i&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "<p>alert(1)<mark>舞</mark>蹈课</p>" in html  # the text of the markup only
    # facets are links that add the filter
    assert "?q=%E8%88%9E&amp;category=dance" in html
    assert "?q=%E8%88%9E&amp;institution=zj" in html
    # sort links, the current one marked
    assert 'aria-current="true"><strong>Relevance</strong>' in html
    assert "sort=newest" in html


def test_selected_facet_links_remove_the_filter(client, tree, doc):
    doc("剪纸 甲", category="craft", institution=tree.county)
    doc("剪纸 乙", category="music", institution=tree.county)
    with translation.override("en"):
        response = client.get(
            reverse("search:page"), {"q": "剪纸", "category": "craft"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    html = response.content.decode()
    assert "1 result" in html
    assert "<mark>剪纸</mark> 甲" in html and "<mark>剪纸</mark> 乙" not in html
    assert '<a href="?q=%E5%89%AA%E7%BA%B8" aria-current="true"><strong>craft</strong>' in html
    assert "Remove filter “craft”" in html
    assert '<input type="hidden" name="category" value="craft">' in html


def test_pagination(client, tree, doc):
    for i in range(25):
        doc(f"年画 {i}", popularity=i)
    with translation.override("en"):
        first = client.get(reverse("search:page"), {"q": "年画"}, HTTP_ACCEPT_LANGUAGE="en")
        html = first.content.decode()
        assert (
            "Page 1 of 2" in html and 'rel="next" href="?q=%E5%B9%B4%E7%94%BB&amp;page=2"' in html
        )
        second = client.get(reverse("search:page"), {"q": "年画", "page": 2})
        html = second.content.decode()
        assert "<mark>年画</mark> 0" in html and "<mark>年画</mark> 24" not in html
        assert 'start="21"' in html and 'rel="prev"' in html


def test_bad_input_is_a_400_with_the_form(client, db):
    for params in (
        {"q": "剪纸", "page": "x"},
        {"q": "剪纸", "institution": "nowhere"},
        {"q": "剪纸", "sort": "random"},
        {"q": "京" * 101},
    ):
        response = client.get(reverse("search:page"), params)
        assert response.status_code == 400, params
        assert 'class="errorlist' in response.content.decode()


def test_nothing_found(client, db):
    with translation.override("en"):
        response = client.get(
            reverse("search:page"), {"q": "不存在的词"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert "Nothing matches your search" in response.content.decode()
