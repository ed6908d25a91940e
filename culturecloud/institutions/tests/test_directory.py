"""The directory's bounded lists and name search (directory.py): counts stop at the cap,
pages stay within it, query counts are pinned, and on PostgreSQL both search stages (the
scan of the top of the order, the bigram index) find the same institutions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from culturecloud.institutions import directory
from culturecloud.institutions.models import InstitutionKind

API = "/api/v1/institutions"
ALL_CODES = [
    "cn",
    "gd",
    "zj",
    "gd-gz",
    "gd-gz-ch",
    "gd-gz-zc",
    "gd-gz-ch-tp",
    "gd-gz-ch-tp-qg",
]


def codes(page) -> list[str]:
    return [i.code for i in page.items]


def test_list_in_directory_order_with_exact_count(tree):
    page = directory.find(page_size=3)
    assert codes(page) == ["cn", "gd", "zj"]
    assert (page.count, page.count_is_capped, page.num_pages) == (8, False, 3)
    assert codes(directory.find(number=3, page_size=3)) == ["gd-gz-ch-tp", "gd-gz-ch-tp-qg"]
    assert directory.find(number=4, page_size=3).items == []


def test_count_and_pages_stop_at_the_cap(tree, monkeypatch, client):
    monkeypatch.setattr(directory, "RESULT_CAP", 5)
    page = directory.find(page_size=2)
    assert (page.count, page.count_is_capped, page.num_pages) == (5, True, 3)
    assert codes(directory.find(number=3, page_size=2)) == ["gd-gz-ch"]  # the 5th, no more
    assert directory.find(number=4, page_size=2).items == []
    searched = directory.find(q="文化", page_size=10)
    assert (searched.count, searched.count_is_capped) == (5, True)
    assert codes(searched) == ALL_CODES[:5]

    body = client.get(API, {"page_size": 2, "page": 3}).json()
    assert body == {**body, "count": 5, "count_is_capped": True}
    assert [i["code"] for i in body["items"]] == ["gd-gz-ch"]
    html = client.get(reverse("institutions:directory"), {"q": "文化"}).content.decode()
    assert "More than 5 institutions found" in html or "找到超过 5 个机构" in html


def test_search_matches_name_short_name_and_code_in_any_case(tree):
    tree.village.short_name = "Qiangang Village"
    tree.village.save(update_fields=["short_name"])
    assert codes(directory.find(q="从化")) == ["gd-gz-ch"]
    assert codes(directory.find(q="qiangang")) == ["gd-gz-ch-tp-qg"]
    assert codes(directory.find(q="GD-GZ-CH")) == ["gd-gz-ch"]  # the exact code
    assert codes(directory.find(q="综合文化站")) == ["gd-gz-ch-tp"]
    assert directory.find(q="100%").items == []  # LIKE wildcards are plain characters
    assert directory.find(q="_").items == []
    # filters narrow the search
    assert codes(directory.find(q="文化馆", kind=InstitutionKind.COUNTY)) == [
        "gd-gz-ch",
        "gd-gz-zc",
    ]


def test_inactive_institutions_are_never_listed(tree):
    tree.sibling_county.is_active = False
    tree.sibling_county.save(update_fields=["is_active"])
    assert "gd-gz-zc" not in codes(directory.find(page_size=100))
    assert directory.find(q="增城").items == []


def test_api_list_query_counts_are_pinned(client, tree, django_assert_num_queries):
    # the count (capped) and the page
    with django_assert_num_queries(2):
        body = client.get(API).json()
    assert body["count"] == 8 and body["count_is_capped"] is False
    # a search: the matches (SQLite: one filtered query; PostgreSQL: the scan of the top
    # of the order, which holds this whole small tree) and the page's rows
    with django_assert_num_queries(2):
        body = client.get(API, {"q": "文化馆"}).json()
    assert [i["code"] for i in body["items"]] == ["gd", "zj", "gd-gz", "gd-gz-ch", "gd-gz-zc"]
    # the top of the tree: the rows and the exact count
    with django_assert_num_queries(2):
        client.get(f"{API}/tree")
    # no match: no page to load
    with django_assert_num_queries(1):
        body = client.get(API, {"q": "不存在的馆"}).json()
    assert body == {"items": [], "count": 0, "count_is_capped": False}


def test_directory_page_query_count(client, tree, django_assert_max_num_queries):
    # provinces for the region menu, the matches, the page's rows
    with django_assert_max_num_queries(3):
        response = client.get(reverse("institutions:directory"), {"q": "文化馆"})
    assert "广东省文化馆" in response.content.decode()


@pytest.mark.postgres
def test_bigram_stage_finds_what_the_scan_finds(tree, monkeypatch):
    """With a scan of two rows, every search past the top of the tree goes on by the walk
    of the order (common words) or the GIN index of name bigrams (migration 0002); the
    answers stay the same."""
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."
    tree.village.short_name = "Qiangang"
    tree.village.save(update_fields=["short_name"])
    expected = {
        q: codes(directory.find(q=q, page_size=100))
        for q in ("从化", "钱", "钱岗村", "qiangang", "文化", "综合文化站", "gd-gz-zc", "无此名")
    }
    assert expected["钱"] == expected["qiangang"] == ["gd-gz-ch-tp-qg"]
    assert expected["gd-gz-zc"] == ["gd-gz-zc"]
    monkeypatch.setattr(directory, "PREFIX_SCAN", 2)
    for q, found in expected.items():
        assert codes(directory.find(q=q, page_size=100)) == found, q
    # common words (by a sample of the table) go on walking the order instead
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE institutions_institution")
    monkeypatch.setattr(directory, "COMMON_MATCHES", 2)
    monkeypatch.setattr(directory, "SAMPLE_ROWS", 1000)  # the whole small table
    public = directory.public_filtered()
    assert directory._scan_prefix(public, "文化", None)[2] is True
    assert directory._scan_prefix(public, "钱岗", None)[2] is False
    for q, found in expected.items():
        assert codes(directory.find(q=q, page_size=100)) == found, q
    monkeypatch.setattr(directory, "COMMON_MATCHES", 20_000)
    # the cap through the bigram stage: the scanned top first, then the rest in order
    monkeypatch.setattr(directory, "RESULT_CAP", 4)
    page = directory.find(q="文化", page_size=100)
    assert (page.count, page.count_is_capped) == (4, True)
    assert codes(page)[:2] == ["cn", "gd"]
    assert len(set(codes(page))) == 4


def test_nul_characters_are_no_error(client, tree):
    body = client.get(API, {"q": "从化\x00"}).json()
    assert [i["code"] for i in body["items"]] == ["gd-gz-ch"]
    assert client.get(API, {"q": "\x00"}).json()["count"] == 8  # nothing left: the list
    assert client.get(f"{API}/tree", {"parent": "gd\x00"}).status_code == 404
    assert client.get(f"{API}/gd%00").status_code == 404
    assert client.get(reverse("institutions:directory"), {"q": "从化\x00"}).status_code == 400
