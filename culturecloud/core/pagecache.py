"""A shared server-side cache of public GET responses for anonymous visitors.

Public pages and API reads already say so with `Cache-Control: public, max-age=N`
(`core.http.public`). For a visitor who is not logged in — no session cookie, no bearer
token, no pending flash message — the same URL in the same language and display mode gives
the same answer, so the first answer is kept in the shared cache (Redis in production) for
max-age seconds and the next visitors get it without the view, its queries or its templates.
Decision: docs/decisions/0017-public-response-cache.md.

Two things make a page per-visitor, and both are handled here:

- The CSRF token in every page (the language and elder-mode forms): while a request may be
  cached, templates get a placeholder instead of the token (`csrf_context`), and each answer,
  fresh or from the cache, has the placeholder replaced by this visitor's own token.
- Content changes: every key holds a generation number. Saving or deleting public content
  (`watch`) or re-indexing it for search bumps the generation after the transaction commits,
  so an unpublished resource disappears at once, not after max-age. A write that changes
  public content with a queryset UPDATE sends no post_save and calls `content_changed()`
  itself (institution moves and merges, a media retry). Each process re-reads the
  generation at most once per `GENERATION_REFRESH_SECONDS`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

# Not a valid token (tokens are 64 letters and digits), so a leak could never pass a check.
CSRF_PLACEHOLDER = "__culturecloud-csrf-token__"
GENERATION_KEY = "pagecache:generation"
GENERATION_REFRESH_SECONDS = 1.0
HEADER = "X-Cache"
_ELIGIBLE = "_public_cache_eligible"
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age=(\d+)")
# Headers the outer middleware sets on every answer; the cache keeps the rest.
_NOT_STORED = frozenset({"content-length", "etag", "set-cookie", "x-request-id", HEADER.lower()})


def enabled() -> bool:
    return bool(settings.PUBLIC_RESPONSE_CACHE)


def eligible(request: HttpRequest) -> bool:
    """Whether this request's answer may come from, or go to, the shared cache."""
    if request.method != "GET" or not enabled():
        return False
    cookies = request.COOKIES
    return not (
        settings.SESSION_COOKIE_NAME in cookies
        or CookieStorage.cookie_name in cookies  # a flash message waits for this visitor
        or "Authorization" in request.headers
        or "HX-Request" in request.headers  # htmx fragments depend on the target
    )


def csrf_context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the CSRF placeholder while the request may be cached."""
    if getattr(request, _ELIGIBLE, False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


class _Generation(threading.local):
    value: int | None = None
    read_at: float = 0.0


_generation = _Generation()


def generation() -> int:
    now = time.monotonic()
    if _generation.value is None or now - _generation.read_at >= GENERATION_REFRESH_SECONDS:
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, 1, timeout=None)
            value = cache.get(GENERATION_KEY, 1)
        _generation.value, _generation.read_at = int(value), now
    return _generation.value


def content_changed() -> None:
    """Public content changed: no cached answer from before may be served again.

    Runs after the current transaction commits (at once outside one)."""
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    try:
        value = cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.incr(GENERATION_KEY)
    _generation.value, _generation.read_at = int(value), time.monotonic()


def _on_model_change(sender: type[Model], **kwargs: Any) -> None:
    if not kwargs.get("raw"):  # fixtures loading
        content_changed()


def watch(*models: type[Model]) -> None:
    """Every save or delete of these models is a change of public content."""
    for model in models:
        uid = f"pagecache:{model._meta.label}"
        post_save.connect(_on_model_change, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_model_change, sender=model, dispatch_uid=uid + ":delete")


def cache_key(request: HttpRequest) -> str:
    from culturecloud.portal.context_processors import elder_mode_from

    path = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    elder = "e" if elder_mode_from(request) else "n"
    return f"pagecache:{generation()}:{language}:{elder}:{path}"


def _shared_seconds(response: HttpResponse) -> int:
    """How long the response says a shared cache may keep it (0: not at all)."""
    control = response.get("Cache-Control", "")
    if "public" not in control or "no-store" in control or "private" in control:
        return 0
    match = _MAX_AGE.search(control)
    return int(match.group(1)) if match else 0


def _storable_seconds(response: HttpResponse) -> int:
    if response.status_code != 200 or response.streaming or response.cookies:
        return 0
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    if not vary <= {"accept-language", "cookie"}:  # both are part of the key
        return 0
    return _shared_seconds(response)


def _with_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        token = get_token(request)
        response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), token.encode())
    return response


class PublicResponseCacheMiddleware:
    """Serves and stores anonymous public GETs (see the module docstring).

    Sits after CsrfViewMiddleware (which then sets the token's cookie on every answer) and
    LocaleMiddleware (the language is part of the key)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not eligible(request):
            return self.get_response(request)
        setattr(request, _ELIGIBLE, True)
        key = cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status, headers=headers)
            response[HEADER] = "hit"
            return _with_token(request, response)
        response = self.get_response(request)
        seconds = _storable_seconds(response)
        if seconds:
            headers = {k: v for k, v in response.items() if k.lower() not in _NOT_STORED}
            cache.set(key, (response.status_code, headers, response.content), seconds)
            response[HEADER] = "miss"
        return _with_token(request, response)
