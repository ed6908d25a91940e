import pytest
from django.test import Client
from django.urls import reverse

from culturecloud.portal.context_processors import ELDER_COOKIE

pytestmark = pytest.mark.django_db

URL = "/elder-mode/"


def test_url_name_is_the_contract():
    assert reverse("portal:set_elder_mode") == URL


def test_turning_elder_mode_on_sets_a_one_year_cookie_and_the_html_class(client):
    assert 'class="elder"' not in client.get("/").content.decode()
    response = client.post(URL, {"elder": "on", "next": "/?from=toggle"})
    assert response.status_code == 302
    assert response["Location"] == "/?from=toggle"
    cookie = response.cookies[ELDER_COOKIE]
    assert cookie.value == "1"
    assert int(cookie["max-age"]) == 365 * 86400
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]

    body = client.get("/").content.decode()
    assert '<html lang="zh-hans" class="elder">' in body
    # The toggle now turns it off and says it is on.
    assert 'name="elder" value="off"' in body
    assert 'aria-pressed="true"' in body


def test_turning_elder_mode_off_removes_the_cookie(client):
    client.post(URL, {"elder": "on", "next": "/"})
    response = client.post(URL, {"elder": "off", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[ELDER_COOKIE].value == ""
    assert int(response.cookies[ELDER_COOKIE]["max-age"]) == 0
    body = client.get("/").content.decode()
    assert 'class="elder"' not in body
    assert 'name="elder" value="on"' in body
    assert 'aria-pressed="false"' in body


@pytest.mark.parametrize("value", ["", "yes", "1", "ON", "x" * 500])
def test_bad_value_is_a_400_and_sets_nothing(client, value):
    response = client.post(URL, {"elder": value, "next": "/"})
    assert response.status_code == 400
    assert ELDER_COOKIE not in response.cookies


def test_missing_value_is_a_400(client):
    assert client.post(URL, {}).status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
def test_unsafe_or_missing_next_goes_home(client, target):
    response = client.post(URL, {"elder": "on", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_same_host_absolute_next_is_kept(client):
    response = client.post(URL, {"elder": "on", "next": "http://testserver/robots.txt"})
    assert response["Location"] == "http://testserver/robots.txt"


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


def test_csrf_is_required():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, {"elder": "on", "next": "/"})
    assert response.status_code == 403
    assert ELDER_COOKIE not in response.cookies


def test_elder_mode_persists_for_a_logged_in_user(client, make_user):
    client.force_login(make_user())
    client.post(URL, {"elder": "on", "next": "/"})
    assert 'class="elder"' in client.get("/").content.decode()
