from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from culturecloud.core.http import public, public_unless_personal

from .context_processors import ELDER_COOKIE, ELDER_COOKIE_AGE
from .sections import SECTIONS
from .stats import network_summary


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    total, kinds = network_summary()
    response = render(
        request,
        "portal/home.html",
        {"sections": SECTIONS, "network_total": total, "network_kinds": kinds},
    )
    return public_unless_personal(request, response)


def legal_context() -> dict[str, object]:
    """What the user agreement and the privacy policy quote from the configuration: the
    policy version every consent records, how long codes and logs are kept, the contact."""
    from culturecloud.accounts import services as accounts

    return {
        "policy_version": accounts.POLICY_VERSION,
        "log_retention_days": accounts.LOG_RETENTION_DAYS,
        "code_minutes": max(1, settings.OTP_TTL_SECONDS // 60),
        "contact_email": getattr(settings, "PRIVACY_CONTACT_EMAIL", ""),
    }


@require_safe
def terms(request: HttpRequest) -> HttpResponse:
    """The user agreement (用户协议) that sign-up asks to accept."""
    return public(render(request, "portal/terms.html", legal_context()))


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy policy (隐私政策): what personal data is processed, why, for how long,
    and how a person uses their rights under the PIPL."""
    return public(render(request, "portal/privacy.html", legal_context()))


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


@require_POST
def set_elder_mode(request: HttpRequest) -> HttpResponse:
    """Turn elder-friendly mode on or off for this browser (`elder=on|off`), then go back.

    The choice lives in a one-year cookie, the same for anonymous and logged-in visitors.
    """
    value = request.POST.get("elder", "")
    if value not in {"on", "off"}:
        raise BadRequest(_("Choose on or off."))
    response = HttpResponseRedirect(_safe_next(request))
    if value == "on":
        response.set_cookie(
            ELDER_COOKIE,
            "1",
            max_age=ELDER_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response


ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/workbench/", "/i18n/", "/api/")


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS * 60}"
    return response


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bots that ask for /favicon.ico get the site icon (pages link it too)."""
    response = HttpResponsePermanentRedirect(static("portal/favicon.svg"))
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS * 60}"
    return response
