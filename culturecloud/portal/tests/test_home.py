import re

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.urls import reverse

from culturecloud.institutions.models import Institution, InstitutionKind
from culturecloud.institutions.services import create_institution
from culturecloud.portal.sections import SECTIONS

pytestmark = pytest.mark.django_db

SECTION_LABELS = [
    "Live streams",
    "Events",
    "Venue booking",
    "Learn arts",
    "Cultural market",
    "Digital resources",
    "Procurement",
    "Digital China Pavilion",
]


def english_home(client):
    return client.get("/", HTTP_ACCEPT_LANGUAGE="en")


def test_home_lists_the_eight_sections_all_marked_not_yet_available(client):
    response = english_home(client)
    assert response.status_code == 200
    body = response.content.decode()
    assert [str(section.label) for section in SECTIONS] == SECTION_LABELS
    cards = re.findall(
        r'<li class="card section-card([^"]*)" data-section="(\w+)">(.*?)</li>', body, re.S
    )
    assert [key for _, key, _ in cards] == [
        "live",
        "events",
        "venues",
        "courses",
        "market",
        "resources",
        "procurement",
        "pavilion",
    ]
    for (classes, key, card), label in zip(cards, SECTION_LABELS, strict=True):
        if key == "resources":  # the digital resource library has landed
            assert "is-unavailable" not in classes
            assert f'<a href="/resources/">{label}</a>' in card
            continue
        assert "is-unavailable" in classes
        assert f'<a role="link" aria-disabled="true">{label}</a>' in card
        assert "href=" not in card
        assert "Not yet available" in card


def test_an_available_section_is_a_link(client, monkeypatch):
    from culturecloud.portal import sections, views

    live = sections.Section(
        key="live", label="Live streams", description="d", url_name="portal:home"
    )
    monkeypatch.setattr(views, "SECTIONS", (live,))
    body = english_home(client).content.decode()
    assert '<a href="/">Live streams</a>' in body
    assert "Not yet available" not in body


def test_home_shows_the_network_numbers_from_the_database(client, tree):
    create_institution(
        code="closed", name="已撤并文化站", kind=InstitutionKind.TOWNSHIP, parent=tree.county
    )

    Institution.objects.filter(code="closed").update(is_active=False)
    body = english_home(client).content.decode()
    assert "8 public cultural institutions are on the platform." in body
    stats = re.findall(r"<dt>(.*?)</dt>\s*<dd class=\"stat-number\">(\d+)</dd>", body)
    assert stats == [
        ("National centre", "1"),
        ("Provincial cultural centre", "2"),
        ("Municipal cultural centre", "1"),
        ("County cultural centre", "2"),
        ("Township cultural station", "1"),
        ("Village cultural service centre", "1"),
    ]


def test_network_numbers_are_cached_for_five_minutes(client, tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert "8 public cultural institutions" in english_home(client).content.decode()
    create_institution(
        code="new", name="新文化站", kind=InstitutionKind.TOWNSHIP, parent=tree.county
    )
    with django_assert_num_queries(0):
        assert "8 public cultural institutions" in english_home(client).content.decode()
    from django.core.cache import cache

    from culturecloud.portal.stats import NETWORK_CACHE_KEY, NETWORK_CACHE_SECONDS

    assert NETWORK_CACHE_SECONDS == 300
    cache.delete(NETWORK_CACHE_KEY)
    assert "9 public cultural institutions" in english_home(client).content.decode()


def test_empty_network_says_so_instead_of_inventing_numbers(client):
    body = english_home(client).content.decode()
    assert "No institution has joined the platform yet." in body
    assert "stat-number" not in body


def test_anonymous_home_query_count_is_pinned(client, tree, django_assert_num_queries):
    with django_assert_num_queries(1):  # the grouped institution count, then cached
        assert client.get("/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_home_links_to_the_directory_and_account_pages(client):
    body = english_home(client).content.decode()
    assert f'href="{reverse("institutions:directory")}"' in body
    assert f'href="{reverse("accounts:login")}?next=/"' in body
    assert f'href="{reverse("accounts:signup")}"' in body
    assert reverse("workbench:home") not in body
    assert 'aria-current="page">Home</a>' in body


def test_logged_in_citizen_sees_account_links_but_no_workbench(client, make_user):
    client.force_login(make_user())
    body = english_home(client).content.decode()
    assert f'href="{reverse("accounts:me")}"' in body
    assert f'action="{reverse("accounts:logout")}"' in body
    assert reverse("accounts:signup") not in body
    assert f'href="{reverse("workbench:home")}"' not in body


@pytest.mark.parametrize("who", ["member", "superuser"])
def test_staff_see_the_workbench_link(client, make_user, tree, who):
    if who == "member":
        user = make_user(role="editor", institution=tree.village)
    else:
        user = make_user(is_superuser=True, is_staff=True)
    client.force_login(user)
    body = english_home(client).content.decode()
    assert f'href="{reverse("workbench:home")}"' in body


def test_page_shell_is_accessible_and_has_no_inline_code(client):
    response = english_home(client)
    body = response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts, "htmx and site.js are loaded"
    assert all(re.search(r'\ssrc="/static/[^"]+"', tag) for tag in scripts)
    assert "<script>" not in body
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main"' in body
    assert '/static/vendor/htmx/htmx.min.js"' in body
    assert '"includeIndicatorStyles":false' in body
    assert 'role="status"' in body
    assert len(re.findall(r"<h1\b", body)) == 1


def test_messages_are_shown_in_the_status_region(client, rf):
    request = rf.get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Saved.")
    storage.add(constants.ERROR, "Not saved.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    body = english_home(client).content.decode()
    region = re.search(
        r'<div class="container messages" id="messages" role="status"[^>]*>(.*?)</div>', body, re.S
    )
    assert region is not None
    assert '<p class="notice notice-success">Saved.</p>' in region.group(1)
    assert '<p class="notice notice-error">Not saved.</p>' in region.group(1)


def test_robots_txt_keeps_crawlers_out_of_private_areas(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/accounts/", "/workbench/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines


def test_logged_in_home_query_count_is_pinned(client, make_user, tree, django_assert_num_queries):
    client.force_login(make_user(role="editor", institution=tree.village))
    client.get("/")  # warms the network numbers
    # [session row when sessions live in the database], user, memberships (for the workbench
    # link); nothing per section or per kind
    session_queries = 1 if settings.SESSION_ENGINE.endswith(".db") else 0
    with django_assert_num_queries(session_queries + 2):
        assert client.get("/").status_code == 200


def test_header_shows_the_brand_once_per_language(client):
    """The Chinese name and the Latin brand name, not the Chinese name twice."""
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<span class="site-name-sub" lang="en">CultureCloud</span>' in body
