"""The shared cache of public answers for anonymous visitors (core/pagecache.py), on the
resource library's pages and API: what is kept, for whom, and when it is dropped."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from culturecloud.core import pagecache, review
from culturecloud.portal.context_processors import ELDER_COOKIE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_response_cache")]

TOKEN_IN_PAGE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(response) -> str:
    found = TOKEN_IN_PAGE.search(response.content.decode())
    assert found is not None
    return found.group(1)


def titles(response) -> list[str]:
    return [row["title"] for row in response.json()["items"]]


def test_second_anonymous_read_comes_from_the_cache_without_queries(
    published, django_assert_num_queries
):
    published("古琴曲《流水》")
    first = Client().get("/api/v1/resources")
    assert first.status_code == 200
    assert first[pagecache.HEADER] == "miss"
    with django_assert_num_queries(0):
        second = Client().get("/api/v1/resources")
    assert second[pagecache.HEADER] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "public" in second["Cache-Control"]


def test_a_cached_page_carries_each_visitors_own_working_csrf_token(published):
    published("古琴曲《流水》")
    Client().get("/resources/")  # fills the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/resources/")
    assert page[pagecache.HEADER] == "hit"
    html = page.content.decode()
    assert pagecache.CSRF_PLACEHOLDER not in html
    token = form_token(page)
    assert "csrftoken" in page.cookies  # the token's cookie comes with the cached page
    # The token works: switching the language from the cached page is accepted.
    switched = visitor.post(
        "/i18n/setlang/", {"language": "en", "next": "/resources/"}, HTTP_X_CSRFTOKEN=token
    )
    assert switched.status_code == 302


def test_another_visitors_token_from_a_cached_page_is_refused(published):
    published("古琴曲《流水》")
    first = Client(enforce_csrf_checks=True)
    token = form_token(first.get("/resources/"))
    second = Client(enforce_csrf_checks=True)
    second.get("/resources/")
    refused = second.post("/i18n/setlang/", {"language": "en"}, HTTP_X_CSRFTOKEN=token)
    assert refused.status_code == 403


def test_logged_in_visitors_neither_read_nor_fill_the_cache(published, make_user):
    published("古琴曲《流水》")
    user = make_user()
    member = Client()
    member.force_login(user)
    own = member.get("/resources/")
    assert pagecache.HEADER not in own
    assert "private" in own["Cache-Control"]
    anonymous = Client().get("/resources/")
    assert anonymous[pagecache.HEADER] == "miss"  # the member's page was not kept
    again = member.get("/resources/")
    assert pagecache.HEADER not in again


def test_bearer_tokens_and_htmx_fragments_bypass_the_cache(published):
    published("古琴曲《流水》")
    Client().get("/api/v1/resources")
    bearer = Client().get("/api/v1/resources", HTTP_AUTHORIZATION="Bearer nonsense")
    assert pagecache.HEADER not in bearer
    Client().get("/resources/")
    fragment = Client().get("/resources/", HTTP_HX_REQUEST="true")
    assert pagecache.HEADER not in fragment


def test_languages_and_elder_mode_are_kept_apart(published):
    published("古琴曲《流水》")
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/resources/")
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/resources/")
    assert english[pagecache.HEADER] == chinese[pagecache.HEADER] == "miss"
    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"
    elder = Client(HTTP_ACCEPT_LANGUAGE="en")
    elder.cookies[ELDER_COOKIE] = "1"
    page = elder.get("/resources/")
    assert page[pagecache.HEADER] == "miss"
    assert b"elder" in page.content
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get("/resources/")[pagecache.HEADER] == "hit"


def test_unpublishing_drops_every_kept_answer_at_once(
    published, reviewer, django_capture_on_commit_callbacks
):
    resource = published("古琴曲《流水》")
    published("昆曲《牡丹亭》")
    assert sorted(titles(Client().get("/api/v1/resources"))) == ["古琴曲《流水》", "昆曲《牡丹亭》"]
    assert Client().get(f"/api/v1/resources/{resource.pk}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        review.unpublish(resource, actor=reviewer, reason="rights withdrawn")
    listed = Client().get("/api/v1/resources")
    assert listed[pagecache.HEADER] == "miss"
    assert titles(listed) == ["昆曲《牡丹亭》"]
    assert Client().get(f"/api/v1/resources/{resource.pk}").status_code == 404


def test_an_edit_of_published_content_drops_kept_answers(
    published, editor, django_capture_on_commit_callbacks
):
    resource = published("古琴曲《流水》")
    Client().get("/api/v1/resources")
    with django_capture_on_commit_callbacks(execute=True):
        resource.title = "古琴曲《高山流水》"
        resource.save(update_fields=["title"])
    assert titles(Client().get("/api/v1/resources")) == ["古琴曲《高山流水》"]


def test_errors_and_private_answers_are_never_kept(published):
    Client().get("/api/v1/resources/999999")
    missing = Client().get("/api/v1/resources/999999")
    assert missing.status_code == 404
    assert pagecache.HEADER not in missing
    invalid = Client().get("/api/v1/resources?page=0")
    assert invalid.status_code == 422
    assert pagecache.HEADER not in Client().get("/api/v1/resources?page=0")


def test_a_resource_page_is_shared_and_its_views_still_counted(published):
    resource = published("古琴曲《流水》")
    Client().get(f"/resources/{resource.pk}/")
    visitor = Client(HTTP_USER_AGENT="phone")
    page = visitor.get(f"/resources/{resource.pk}/")
    assert page[pagecache.HEADER] == "hit"
    view_url = f"/api/v1/resources/{resource.pk}/view"
    assert f'data-view-url="{view_url}"' in page.content.decode()
    assert visitor.post(view_url).json() == {"counted": True}
    resource.refresh_from_db()
    assert resource.view_count == 1


def test_the_cache_can_be_turned_off(published, settings):
    settings.PUBLIC_RESPONSE_CACHE = False
    published("古琴曲《流水》")
    Client().get("/api/v1/resources")
    assert pagecache.HEADER not in Client().get("/api/v1/resources")
