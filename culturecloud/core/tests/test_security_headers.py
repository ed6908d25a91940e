"""Security baseline of the HTTP layer: headers, cookies, CSRF.

- CSP (script-src 'self', no inline code) and the other protective headers on pages;
- under the production settings (read from a fresh interpreter with the production
  environment, then applied here): HSTS, the redirect to HTTPS, Secure cookies;
- session and CSRF cookies HttpOnly and SameSite=Lax;
- every POST form of every page carries the CSRF token (pages found through the URL
  resolver, rendered as people who see their forms);
- CSRF is enforced: on every page that takes a POST and on every unsafe API operation
  called with the site's session.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from culturecloud.accounts.services import create_user_with_phone
from culturecloud.core.tests.test_authz_walk import (
    PAGE_KWARGS,
    STAFF_PAGES,
    Page,
    api_operations,
    changed_tables,
    fingerprint,
    project_pages,
    world,  # noqa: F401 -- the fixture `site` builds on
)
from culturecloud.core.tests.test_settings_production import _production_env, _settings_json
from culturecloud.institutions.models import Membership, Role

PASSWORD = "pw-Secret-123"


@pytest.fixture
def site(world):  # noqa: F811 -- test_authz_walk's world: 从化's objects of every kind
    return world


# --- headers -------------------------------------------------------------------------------


def test_csp_and_protective_headers_on_pages(db, tree, make_user):
    staff = make_user(role=Role.ADMIN, institution=tree.county)
    anonymous, logged_in = Client(), Client()
    logged_in.force_login(staff)
    pages = [
        (anonymous, reverse("portal:home")),
        (anonymous, reverse("institutions:directory")),
        (anonymous, reverse("institutions:detail", kwargs={"code": tree.county.code})),
        (anonymous, reverse("accounts:login")),
        (anonymous, reverse("search:page")),
        (anonymous, reverse("resources:index")),
        (logged_in, reverse("accounts:me")),
        (logged_in, reverse("workbench:home")),
        (logged_in, reverse("workbench:audit")),
        (anonymous, "/does-not-exist/"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        csp = response["Content-Security-Policy"]
        assert csp == django_settings.CONTENT_SECURITY_POLICY, url
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert "geolocation=()" in response["Permissions-Policy"], url


def test_api_answers_carry_csp_and_nosniff(db):
    response = Client().get("/api/v1/institutions")
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


class ScriptAndStyleFinder(HTMLParser):
    """Inline scripts, inline event handlers and style attributes: what the CSP refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            kind = dict(attrs).get("type") or ""
            if kind not in ("application/json", "application/ld+json"):
                self.inline.append(f"<script> without src ({kind})")
        if "style" in names:
            self.inline.append(f"<{tag} style=...>")
        self.inline.extend(f"<{tag} {n}=...>" for n in names if n.startswith("on"))


def test_pages_have_no_inline_code_the_csp_would_block(db, tree, make_user):
    staff = make_user(role=Role.ADMIN, institution=tree.county)
    client = Client()
    client.force_login(staff)
    for url in (
        reverse("portal:home"),
        reverse("accounts:me"),
        reverse("workbench:home"),
        reverse("workbench:members"),
        reverse("workbench:article_new"),
        reverse("institutions:directory"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        finder = ScriptAndStyleFinder()
        finder.feed(response.content.decode())
        assert not finder.inline, (url, finder.inline)


# --- production: HSTS, HTTPS redirect, Secure cookies ------------------------------------------

PRODUCTION_NAMES = (
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_REDIRECT_EXEMPT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
)


@pytest.fixture(scope="module")
def production_values(tmp_path_factory) -> dict[str, Any]:
    """The security settings as production's environment makes them (a fresh process)."""
    tmp: Path = tmp_path_factory.mktemp("production")
    return _settings_json(_production_env(tmp), *PRODUCTION_NAMES)


@pytest.fixture
def production(settings, production_values) -> dict[str, Any]:
    for name, value in production_values.items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)
    settings.ALLOWED_HOSTS = ["culturecloud.example"]
    return production_values


HTTPS: dict[str, Any] = {"secure": True, "HTTP_HOST": "culturecloud.example"}


def test_production_sends_hsts_and_redirects_plain_http(db, production):
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    response = Client().get("/", **HTTPS)
    assert response.status_code == 200
    hsts = response["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=\d+; includeSubDomains; preload", hsts), hsts
    assert int(hsts.split(";")[0].split("=")[1]) >= 31536000
    plain = Client().get("/institutions/", HTTP_HOST="culturecloud.example")
    assert plain.status_code == 301
    assert plain["Location"] == "https://culturecloud.example/institutions/"
    # Behind the proxy: X-Forwarded-Proto says the client used HTTPS.
    proxied = Client().get("/", HTTP_HOST="culturecloud.example", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert "Strict-Transport-Security" in proxied
    # The load balancer's plain-HTTP health probe is not redirected.
    assert Client().get("/healthz", HTTP_HOST="culturecloud.example").status_code != 301


def test_production_login_sets_secure_httponly_samesite_cookies(db, production, make_user):
    user = make_user()
    create_user_with_phone(phone="13900139000", password=PASSWORD)
    client = Client()
    page = client.get(reverse("accounts:login"), **HTTPS)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert csrf["httponly"] is True
    response = client.post(
        reverse("accounts:login"),
        {"method": "password", "identifier": "13900139000", "password": PASSWORD},
        **HTTPS,
    )
    assert response.status_code == 302, response.content[:500]
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert user.pk  # the factory's user exists beside the logged-in one


def test_cookies_are_httponly_and_samesite_in_every_environment(db):
    """Also the embedded default (no HTTPS): HttpOnly and SameSite do not depend on it."""
    assert django_settings.SESSION_COOKIE_HTTPONLY is True
    assert django_settings.CSRF_COOKIE_HTTPONLY is True
    assert django_settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert django_settings.CSRF_COOKIE_SAMESITE == "Lax"
    response = Client().get(reverse("accounts:login"))
    csrf = response.cookies["csrftoken"]
    assert csrf["httponly"] is True and csrf["samesite"] == "Lax"
    # Scripts take the token from the page instead (htmx and uploads send it as a header).
    assert re.search(rb'<meta name="csrf-token" content="[^"]{32,}">', response.content)


# --- CSRF tokens in every form ---------------------------------------------------------------


class FormFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._current = {
                "method": (values.get("method") or "get").lower(),
                "action": values.get("action") or "",
                "inputs": set(),
            }
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None:
            self._current["inputs"].add(values.get("name") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


# Pages, beyond the staff pages, whose URL needs an object: the kwargs of the demo world.
PUBLIC_KWARGS = {
    "institutions:detail": lambda w: {"code": w.tree.county.code},
    "institutions:children": lambda w: {"code": w.tree.county.code},
    "institutions:article": lambda w: {"code": w.tree.county.code, "pk": w.published.pk},
    "resources:detail": lambda w: {"pk": w.public_resource.pk},
    "resources:collection": lambda w: {"pk": w.collection.pk},
}


def page_kwargs(page: Page, w: Any) -> dict[str, Any] | None:
    if page.name in PUBLIC_KWARGS:
        return PUBLIC_KWARGS[page.name](w)
    if not page.converters:
        return {}
    if page.name in STAFF_PAGES and STAFF_PAGES[page.name].pk is not None:
        w.objects["current_pk"] = STAFF_PAGES[page.name].pk(w)  # type: ignore[misc]
        return {name: PAGE_KWARGS[name](w) for name in page.converters}
    return None  # a POST-only action (its form is on another page) or a static file


def test_every_post_form_of_every_page_carries_the_csrf_token(site, make_user, tree):
    """Every page of the project (public, own account, workbench, staff pages of other
    apps), rendered for the owner's reviewer-editor-admin and for an anonymous visitor."""
    owner = site.owner_editor
    for role in (Role.ADMIN, Role.REVIEWER):
        Membership.objects.create(user=owner, institution=tree.county, role=role)
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(owner)
    checked_pages, checked_forms = 0, 0
    for page in project_pages():
        if page.name.startswith("^"):
            continue
        kwargs = page_kwargs(page, site)
        if kwargs is None:
            continue
        url = reverse(page.name, kwargs=kwargs)
        for client in (signed_in, anonymous):
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            checked_pages += 1
            finder = FormFinder()
            finder.feed(response.content.decode())
            for form in finder.forms:
                if form["method"] != "post":
                    continue
                checked_forms += 1
                assert "csrfmiddlewaretoken" in form["inputs"], (page.name, form["action"])
    # home, directory, login, signup, account pages, workbench, uploads, library, manage...
    assert checked_pages >= 35, checked_pages
    assert checked_forms >= 25, checked_forms


# --- CSRF enforced ----------------------------------------------------------------------------

# Pages that answer a POST without the CSRF token, and why that is safe.
CSRF_EXEMPT_PAGES: dict[str, str] = {
    # OAI-PMH lets harvesters send their (read-only) requests as POST; no session is used.
    "resources:oai": "read-only protocol endpoint",
}


def sample(name: str, kind: str, w: Any) -> Any:
    """A value for a URL parameter of a page without a walk entry (POST-only actions)."""
    if name == "pk":
        return w.public_resource.pk
    if kind == "UUIDConverter":
        return w.asset.pk
    if kind == "IntConverter":
        return 1
    return "x"


def test_every_page_refuses_a_post_without_the_csrf_token(site, tree):
    owner = site.owner_editor
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(reverse("portal:home"))  # the CSRF cookie, as a browser would have it
    posted = 0
    for page in project_pages():
        if page.name.startswith("^") or page.name in CSRF_EXEMPT_PAGES:
            continue
        if page.converters and page.name not in STAFF_PAGES and page.name not in PUBLIC_KWARGS:
            kwargs: dict[str, Any] | None = {
                name: sample(name, kind, site)
                for name, kind in zip(page.converters, page.kinds, strict=True)
            }
        else:
            kwargs = page_kwargs(page, site)
        if kwargs is None:
            kwargs = {
                name: PAGE_KWARGS[name](site) if name != "pk" else site.resource.pk
                for name in page.converters
            }
        url = reverse(page.name, kwargs=kwargs)
        before = fingerprint()
        response = client.post(url, {"title": "x", "name": "x", "reason": "x"})
        assert not changed_tables(before, fingerprint()), (page.name, "changed the database")
        assert response.status_code in (403, 405), (page.name, url, response.status_code)
        if response.status_code == 403:
            posted += 1
    assert posted >= 30, posted


# Unsafe API operations that need no session, so no CSRF token: what they do is not done
# in anyone's name (a code is sent to the number given, a play or a view is counted), or the session
# they create is CSRF-checked when it is made (test_api_log_in_into_a_session_...).
API_WITHOUT_SESSION = {
    ("POST", "/api/v1/auth/code"),
    ("POST", "/api/v1/auth/verify"),
    ("POST", "/api/v1/auth/password-login"),
    ("POST", "/api/v1/resources/{resource_id}/play"),
    ("POST", "/api/v1/resources/{resource_id}/view"),
}


def test_session_authenticated_api_writes_need_the_csrf_token(site, tree):
    owner = site.owner_editor
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(reverse("portal:home"))
    token = client.cookies["csrftoken"].value
    refused = 0
    for op in api_operations():
        if op.method in ("GET", "HEAD", "OPTIONS") or op.key in API_WITHOUT_SESSION:
            continue
        url = op.path
        for name in op.params:
            url = url.replace("{" + name + "}", "1")
        url = url.replace("{", "").replace("}", "")
        before = fingerprint()
        response = client.generic(op.method, url, "{}", content_type="application/json")
        assert not changed_tables(before, fingerprint()), (op.key, "changed the database")
        assert response.status_code == 403, (op.key, response.status_code, response.content)
        body = response.json()
        assert set(body) == {"code", "message", "fields"}, op.key
        assert body["code"] == "csrf_failed", (op.key, body)
        refused += 1
    assert refused >= 25
    # The same session with the token in the header goes through.
    response = client.patch(
        "/api/v1/auth/me",
        '{"nickname": "新名字"}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200, response.content
    assert response.json()["nickname"] == "新名字"


def test_api_log_in_into_a_session_needs_the_csrf_token(db):
    create_user_with_phone(phone="13900139001", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    payload = json.dumps({"identifier": "13900139001", "password": PASSWORD})
    response = client.post("/api/v1/auth/password-login", payload, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    # An app asking for a bearer token has no session to protect.
    token_payload = json.dumps(
        {"identifier": "13900139001", "password": PASSWORD, "issue_token": True}
    )
    response = client.post(
        "/api/v1/auth/password-login", token_payload, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["token"]
