"""Query counts of the library's public API as the bench measures it (bench/endpoints.toml:
list with a category filter, search on a topic word): pinned, and the same with more rows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

API = "/api/v1/resources"


def _queries(client, path: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_filtered_list_query_count_is_pinned_and_flat(
    client, published, ready_asset, django_assert_num_queries
):
    for n in range(2):
        published(f"粤剧唱段{n}", category="drama", media=ready_asset("video").pk, tags=["粤剧"])
    published("古琴", category="music")
    # count, page (videos: no image set on the page, no images to read)
    with django_assert_num_queries(2):
        body = client.get(API, {"category": "drama"}).json()
    assert body["count"] == 2
    for n in range(6):
        published(f"粤剧选段{n}", category="drama", media=ready_asset("video").pk)
    with django_assert_num_queries(2):
        assert client.get(API, {"category": "drama"}).json()["count"] == 8


def test_search_api_query_count_is_flat(client, published, django_assert_max_num_queries):
    for n in range(2):
        published(f"从化粤剧表演实录{n}", category="drama", tags=["粤剧"])
    with django_assert_max_num_queries(8):
        body = client.get(f"{API}/search", {"q": "粤剧"}).json()
    assert body["count"] == 2
    few = _queries(client, f"{API}/search", {"q": "粤剧"})
    for n in range(8):
        published(f"佛山粤剧演出{n}", category="drama")
    many = _queries(client, f"{API}/search", {"q": "粤剧"})
    assert many == few
    assert client.get(f"{API}/search", {"q": "粤剧"}).json()["count"] == 10
