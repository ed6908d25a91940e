"""The library's lists stay bounded as it grows: the count stops at the cap ("1000+",
`count_is_capped`), pages stop at the cap (API: 400 `page_too_deep`; page: the last page),
facets count a bounded sample, and the number of queries is pinned. The cap and the facet
sample are lowered here so that a few rows exceed them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from culturecloud.core import pagination
from culturecloud.resources import browse

API = "/api/v1/resources"


@pytest.fixture
def cap(monkeypatch):
    monkeypatch.setattr(pagination, "RESULT_CAP", 3)
    return 3


def test_api_count_stops_at_the_cap_and_pages_at_the_cap(
    client, cap, published, django_assert_num_queries
):
    made = [published(f"资源{n}") for n in range(5)]
    newest = sorted(made, key=lambda r: (r.published_at, r.pk), reverse=True)
    with django_assert_num_queries(2):  # capped count, page
        body = client.get(API, {"page_size": 2}).json()
    assert body["count"] == 3 and body["count_is_capped"] is True
    assert [i["id"] for i in body["items"]] == [r.pk for r in newest[:2]]
    # The second page holds the rest of the first `cap` rows, not more.
    body = client.get(API, {"page_size": 2, "page": 2}).json()
    assert [i["id"] for i in body["items"]] == [newest[2].pk]
    # Deeper than the cap: a clear 400 with the field, before any query of the list.
    with django_assert_num_queries(0):
        response = client.get(API, {"page_size": 2, "page": 3})
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "page_too_deep" and error["fields"]["page"]


def test_api_count_is_exact_under_the_cap(client, cap, published, django_assert_num_queries):
    published("一")
    published("二")
    with django_assert_num_queries(2):
        body = client.get(API).json()
    assert body["count"] == 2 and body["count_is_capped"] is False
    # A page past the end of a short list is empty, as before (no page query).
    body = client.get(API, {"page_size": 1, "page": 3}).json()
    assert body["items"] == [] and body["count"] == 2


def test_api_filters_and_sorts_give_the_right_rows(client, tree, published, regions):
    drama = published("粤剧", category="drama", kind="audio", date="1958", tags=["粤剧"])
    music = published("古琴", category="music", kind="video", date="2001", audience="children")
    other = published(
        "增城民歌",
        category="music",
        kind="audio",
        date="1990",
        institution=tree.township,
        region="440118",
    )
    music.view_count = 50
    music.save(update_fields=["view_count"])
    drama.view_count = 10
    drama.save(update_fields=["view_count"])

    def ids(**params):
        body = client.get(API, params).json()
        assert body["count_is_capped"] is False and body["count"] == len(body["items"])
        return [item["id"] for item in body["items"]]

    assert ids(category="drama") == [drama.pk]
    assert set(ids(kind="audio")) == {drama.pk, other.pk}
    assert ids(year="1990") == [other.pk]
    assert ids(tag="粤剧") == [drama.pk]
    assert ids(audience="children") == [music.pk]
    assert set(ids(institution=tree.city.code)) == {drama.pk, music.pk, other.pk}
    assert ids(institution=tree.township.code) == [other.pk]
    assert ids(region="440118") == [other.pk]
    assert ids(sort="views") == [music.pk, drama.pk, other.pk]
    assert ids(sort="year") == [music.pk, other.pk, drama.pk]
    assert ids(sort="year", kind="audio") == [other.pk, drama.pk]
    assert ids(sort="views", category="music") == [music.pk, other.pk]


def test_browse_page_says_more_than_the_cap_and_clamps_deep_pages(
    client, cap, published, django_assert_num_queries
):
    for n in range(5):
        published(f"资源{n}")
    index = reverse("resources:index")
    client.get(index)  # warm
    # capped count, page, facets (one query)
    with django_assert_num_queries(3):
        html = client.get(index).content.decode()
    assert "More than 3 resources" in html
    # Deeper than the cap: the last page the cap reaches (20 a page: page 1).
    response = client.get(index, {"page": "99"})
    assert response.status_code == 200
    assert "More than 3 resources" in response.content.decode()


def test_facets_are_exact_for_a_short_list_and_without_counts_for_a_long_one(
    client, monkeypatch, published
):
    published("粤剧一", category="drama", date="1958")
    published("粤剧二", category="drama", date="1960")
    published("古琴", category="music", date="1960")
    facets, exact = browse.facets(browse.BrowseFilters())
    assert exact is True
    by_name = {f.name: {v.value: v.count for v in f.values} for f in facets}
    assert by_name["category"] == {"drama": 2, "music": 1}
    assert by_name["year"] == {"1960": 2, "1958": 1}
    assert [v.value for v in next(f for f in facets if f.name == "year").values] == [
        "1960",
        "1958",
    ]
    assert by_name["institution"] == {"gd-gz-ch": 3}
    facets, exact = browse.facets(browse.BrowseFilters(category="drama"))
    assert {f.name: {v.value: v.count for v in f.values} for f in facets}["year"] == {
        "1960": 1,
        "1958": 1,
    }

    monkeypatch.setattr(browse, "FACET_SCAN", 2)
    facets, exact = browse.facets(browse.BrowseFilters())
    assert exact is False
    assert all(v.count is None for f in facets for v in f.values)
    html = client.get(reverse("resources:index")).content.decode()
    assert "Too many resources to count" in html
    # Narrowed under the sample: counts again.
    html = client.get(reverse("resources:index"), {"category": "drama"}).content.decode()
    assert "Too many resources to count" not in html


# --- staff lists: a province's or the nation's scope is as long as the library --------------


def test_staff_api_list_counts_to_the_cap(client, cap, make_resource, staff, tree):
    for n in range(4):
        make_resource(f"资源{n}")
    make_resource("太平镇资源", institution=tree.township)
    client.force_login(staff["city_editor"])
    body = client.get(f"{API}/staff", {"page_size": 2}).json()
    assert body["count"] == 3 and body["count_is_capped"] is True
    assert [r["title"] for r in body["items"]] == ["太平镇资源", "资源3"]  # last changed first
    deep = client.get(f"{API}/staff", {"page_size": 2, "page": 3})
    assert deep.status_code == 400 and deep.json()["code"] == "page_too_deep"
    # the institution filter (its subtree) narrows it under the cap
    narrow = client.get(f"{API}/staff", {"institution": tree.township.code}).json()
    assert narrow["count"] == 1 and narrow["count_is_capped"] is False


def test_workbench_list_says_more_than_the_cap_and_filters_by_institution(
    client, cap, make_resource, staff, tree
):
    make_resource("资源0")
    client.force_login(staff["city_editor"])
    url = reverse("resources:manage")
    with CaptureQueriesContext(connection) as one_row:
        client.get(url)
    for n in range(1, 4):
        make_resource(f"资源{n}")
    make_resource("太平镇资源", institution=tree.township)
    with CaptureQueriesContext(connection) as capped:
        html = client.get(url).content.decode()
    assert len(capped) == len(one_row)  # a capped count and one page, however long the list
    assert "More than 3 resources" in html
    assert html.count('data-label="Title"') == 3
    # A page past the cap shows the last page the cap reaches, as the public list does.
    assert client.get(url, {"page": "99999999999999999999"}).status_code == 200
    html = client.get(url, {"institution": tree.township.code}).content.decode()
    assert "太平镇资源" in html and "资源0" not in html and "More than" not in html
    unknown = client.get(url, {"institution": "no-such-code"}).content.decode()
    assert "Unknown institution." in unknown and 'aria-invalid="true"' in unknown
    assert 'data-label="Title"' not in unknown


def test_staff_list_filters_refuse_bad_values_with_a_clear_error(client, staff):
    client.force_login(staff["city_editor"])
    for code in ("no-such-code", "gd\x00gz"):  # PostgreSQL refuses a NUL in a query
        body = client.get(f"{API}/staff", {"institution": code})
        assert body.status_code == 404 and body.json()["code"] == "unknown_institution"
        page = client.get(reverse("resources:manage"), {"institution": code})
        assert page.status_code == 200 and "Unknown institution." in page.content.decode()
    bad_status = client.get(f"{API}/staff", {"status": "gone"})
    assert bad_status.status_code == 400 and bad_status.json()["fields"]["status"]
