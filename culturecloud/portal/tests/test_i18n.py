import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    text = response.content.decode()
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


def test_home_is_simplified_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "zh-hans"
    assert response["Content-Language"] == "zh-hans"
    # The switch offers the other language, labelled in that language.
    assert 'name="language" value="en" lang="en"' in response.content.decode()


def test_a_chinese_browser_gets_simplified_chinese(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert html_lang(response) == "zh-hans"


def test_accept_language_english_gives_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert html_lang(response) == "en"
    body = response.content.decode()
    assert "Skip to main content" in body
    assert "Not yet available" in body
    assert 'name="language" value="zh-hans" lang="zh-hans"' in body


def test_language_cookie_wins_over_accept_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert html_lang(response) == "en"


def test_language_switch_posts_to_set_language_and_returns_to_the_page(client):
    home = client.get("/robots.txt")  # any page; the switch form is on every page
    assert home.status_code == 200
    page = client.get("/?page=2")
    body = page.content.decode()
    assert 'action="/i18n/setlang/"' in body
    assert 'name="next" value="/?page=2"' in body

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/?page=2"})
    assert response.status_code == 302
    assert response["Location"] == "/?page=2"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")) == "en"

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert html_lang(client.get("/")) == "zh-hans"


def test_language_switch_needs_the_csrf_token(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 403
    page = strict.get("/")
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    response = strict.post(
        "/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
