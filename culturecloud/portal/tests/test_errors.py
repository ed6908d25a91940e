import re

import pytest
from django.template.loader import get_template
from django.test import override_settings
from django.urls import include, path

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("boom")


def forbidden(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


urlpatterns = [
    path("boom/", boom),
    path("forbidden/", forbidden),
    path("", include("culturecloud.urls")),
]


def test_404_page_is_translated_and_uses_the_site_shell(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body
    assert '<a class="skip-link" href="#main">' in body
    assert '<html lang="en"' in body


def test_400_page(client):
    response = client.post("/elder-mode/", {"elder": "bad"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_403_page(client):
    response = client.get("/forbidden/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_500_page_renders_without_any_context(client):
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>Server error</h1>" in body
    assert 'href="/"' in body


def test_500_template_needs_no_request_or_context():
    html = get_template("500.html").render()
    assert "<h1>" in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)


def test_csrf_failure_page_explains_what_to_do():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = strict.post("/elder-mode/", {"elder": "on", "next": "/"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>The form has expired</h1>" in body
    assert "reload the page" in body
