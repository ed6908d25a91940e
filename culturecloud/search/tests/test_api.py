"""GET /api/v1/search: public, cacheable, one error shape for bad input."""

from __future__ import annotations

import pytest


def test_search_endpoint(client, tree, publish, doc, django_assert_max_num_queries):
    publish(tree.county, "广场舞大赛", "<p>村民跳起广场舞</p>")
    doc("京剧进校园", category="opera", year=2024, institution=tree.city, popularity=3)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/search", {"q": "舞"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    data = response.json()
    assert data["count"] == 1 and data["count_is_capped"] is False
    assert data["terms"] == ["舞"]
    (hit,) = data["items"]
    assert hit["title"] == "广场舞大赛"
    assert hit["title_html"] == "广场<mark>舞</mark>大赛"
    assert hit["snippet_html"] == "村民跳起广场<mark>舞</mark>"
    assert hit["institution"]["name"] == "从化区文化馆"
    assert hit["url"].endswith(f"/{hit['object_id']}/")
    facets = {f["name"]: f for f in data["facets"]}
    assert facets["type"]["values"][0] == {
        "value": "institutions.article",
        "label": facets["type"]["values"][0]["label"],
        "count": 1,
        "selected": False,
    }
    assert facets["region"]["values"][0]["value"] == "44"


def test_filters_sort_and_paging(client, tree, doc):
    for i in range(5):
        doc(f"剪纸 {i}", category="craft", year=2020 + i, institution=tree.county, popularity=i)
    doc("剪纸 乐", category="music", institution=tree.other_province)
    data = client.get(
        "/api/v1/search",
        {"q": "剪纸", "category": "craft", "sort": "views", "page": 2, "page_size": 2},
    ).json()
    assert [h["title"] for h in data["items"]] == ["剪纸 2", "剪纸 1"]
    assert (data["count"], data["num_pages"], data["page"]) == (5, 3, 2)
    data = client.get("/api/v1/search", {"q": "剪纸", "institution": "zj"}).json()
    assert [h["title"] for h in data["items"]] == ["剪纸 乐"]
    data = client.get("/api/v1/search", {"q": "剪纸", "year": 2022}).json()
    assert [h["title"] for h in data["items"]] == ["剪纸 2"]
    data = client.get(
        "/api/v1/search", {"q": "剪纸", "type": ["institutions.article"], "region": "44"}
    ).json()
    assert data["count"] == 5


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"sort": "random"}, 400, "sort"),
        ({"type": "nope.nothing"}, 400, "type"),
        ({"institution": "nowhere"}, 400, "institution"),
        ({"region": "abc"}, 400, "region"),
        ({"facet": "broken"}, 400, "facet"),
        ({"page": 0}, 422, "page"),
        ({"page": "x"}, 422, "page"),
        ({"page_size": 500}, 422, "page_size"),
        ({"q": "京" * 101}, 422, "q"),
        ({"year": "MMXX"}, 422, "year"),
    ],
)
def test_bad_input_is_a_4xx_with_field_errors(client, db, params, status, field):
    response = client.get("/api/v1/search", {"q": "剪纸", **params})
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert field in body["fields"]


def test_openapi_lists_the_endpoint(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/search" in paths
