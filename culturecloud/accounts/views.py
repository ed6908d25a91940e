"""Account pages: log-in (SMS code or password), sign-up, my account, profile, password,
real name, data export and account deletion. Each view parses a form, calls a service
and renders; a refused request re-renders the form with the service's message (4xx)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from culturecloud.core.errors import ServiceError
from culturecloud.core.forms import add_service_error
from culturecloud.core.http import private
from culturecloud.core.origin import client_ip
from culturecloud.institutions.models import Region

from . import services
from .forms import (
    ApiTokenForm,
    CodeLoginForm,
    DeleteAccountForm,
    KindForm,
    PasswordForm,
    PasswordLoginForm,
    ProfileForm,
    RealNameForm,
)
from .models import ApiToken, Consent, PointsEntry, RealNameVerification, User
from .sms import mask_phone

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _error_status(exc: ServiceError) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    return private(response)


def _code_sent_message(phone: str) -> str:
    try:
        masked = mask_phone(services.normalize_phone(phone))
    except ServiceError:
        masked = ""
    return _("We sent a code to %(phone)s. It is valid for %(minutes)d minutes.") % {
        "phone": masked,
        "minutes": max(1, settings.OTP_TTL_SECONDS // 60),
    }


def _send_code(request: HttpRequest, form: CodeLoginForm) -> tuple[str, int]:
    """Validate only the number and ask for a code; returns (notice, status)."""
    form.is_valid()
    for name in list(form.errors):
        if name != "phone":
            del form.errors[name]
    if form.errors:
        return "", 400
    try:
        services.request_code(phone=form.cleaned_data["phone"], ip=client_ip(request.META))
    except ServiceError as exc:
        add_service_error(form, exc)
        return "", _error_status(exc)
    return _code_sent_message(form.cleaned_data["phone"]), 200


def _log_in(request: HttpRequest, user: User) -> None:
    login(request, user, backend=BACKEND)


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    return _login_page(request, signup=False)


@never_cache
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    return _login_page(request, signup=True)


def _code_action(request: HttpRequest) -> str:
    """ "send_code" or "verify". The buttons say which; Enter submits the form with its
    hidden default button ("continue"), which sends a code while the code field is empty
    and logs in once one is typed."""
    action = request.POST.get("action")
    if action in {"send_code", "verify"}:
        return action
    return "verify" if str(request.POST.get("code", "")).strip() else "send_code"


def _login_page(request: HttpRequest, *, signup: bool) -> HttpResponse:
    template = "accounts/signup.html" if signup else "accounts/login.html"
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(_next_url(request))
    code_form = CodeLoginForm(require_terms=signup)
    password_form = PasswordLoginForm()
    notice = ""
    status = 200
    method = request.POST.get("method", "code")
    if request.method == "POST" and method == "password" and not signup:
        password_form = PasswordLoginForm(request.POST)
        if password_form.is_valid():
            try:
                user = services.login_with_password(
                    identifier=password_form.cleaned_data["identifier"],
                    password=password_form.cleaned_data["password"],
                    ip=client_ip(request.META),
                )
            except ServiceError as exc:
                add_service_error(password_form, exc)
                status = _error_status(exc)
            else:
                _log_in(request, user)
                return HttpResponseRedirect(_next_url(request))
        else:
            status = 400
    elif request.method == "POST":
        code_form = CodeLoginForm(request.POST, require_terms=signup)
        if _code_action(request) == "send_code":
            notice, status = _send_code(request, code_form)
            if notice:  # sent: the next thing to type is the code
                code_form.fields["code"].widget.attrs["autofocus"] = True
        elif code_form.is_valid():
            if not code_form.cleaned_data["code"]:
                code_form.add_error("code", _("Please enter the code we sent you."))
                status = 400
            else:
                try:
                    user, created = services.verify_code(
                        phone=code_form.cleaned_data["phone"],
                        code=code_form.cleaned_data["code"],
                        ip=client_ip(request.META),
                        accept_terms=code_form.cleaned_data["accept_terms"],
                    )
                except ServiceError as exc:
                    add_service_error(code_form, exc)
                    status = _error_status(exc)
                else:
                    _log_in(request, user)
                    if created:
                        messages.success(request, _("Welcome! Your account has been created."))
                    return HttpResponseRedirect(_next_url(request))
        else:
            status = 400
    context = {
        "code_form": code_form,
        "password_form": password_form,
        "notice": notice,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "signup": signup,
    }
    return _render(request, template, context, status)


@require_POST
def send_code_view(request: HttpRequest) -> HttpResponse:
    """htmx: the "send code" button. Answers with the status fragment (400 on a refusal,
    which the site's htmx config swaps in). Without htmx, the log-in form does the same."""
    form = CodeLoginForm(request.POST)
    notice, status = _send_code(request, form)
    errors = [str(e) for e in form.errors.get("phone", [])] + [
        str(e) for e in form.non_field_errors()
    ]
    response = _render(
        request, "accounts/_code_status.html", {"notice": notice, "errors": errors}, status=status
    )
    if status == 429:
        response.status_code = 400  # swapped by htmx; the message says when to retry
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
@login_required
def me_view(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    context = {
        "account": user,
        "region": Region.objects.filter(pk=user.region_id).first() if user.region_id else None,
        "real_name": RealNameVerification.objects.filter(user=user).first(),
        "entries": list(PointsEntry.objects.filter(user=user).order_by("-id")[:10]),
        "consents": list(Consent.objects.filter(user=user).order_by("-granted_at", "-id")),
    }
    return _render(request, "accounts/me.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def realname_view(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    verification = RealNameVerification.objects.filter(user=user).first()
    form = RealNameForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        try:
            services.withdraw_consent(user=user, purpose="realname")
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Your consent is withdrawn and your real-name record is deleted.")
            )
        return redirect("accounts:realname")
    if request.method == "POST" and verification is None:
        form = RealNameForm(request.POST)
        if form.is_valid():
            try:
                services.verify_real_name(
                    user=user,
                    name=form.cleaned_data["name"],
                    id_number=form.cleaned_data["id_number"],
                    consent=form.cleaned_data["consent"],
                    ip=client_ip(request.META),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
                status = _error_status(exc)
            else:
                messages.success(request, _("Your real name has been verified."))
                return redirect("accounts:me")
        else:
            status = 400
    return _render(
        request, "accounts/realname.html", {"form": form, "verification": verification}, status
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    profile_form = ProfileForm(
        initial={
            "nickname": user.nickname,
            "region": user.region_id or "",
            "interests": list(user.interests or []),
        }
    )
    kind_form = KindForm(initial={"kind": user.kind, "organisation_name": user.organisation_name})
    status = 200
    if request.method == "POST" and request.POST.get("form") == "kind":
        kind_form = KindForm(request.POST)
        if kind_form.is_valid():
            try:
                services.set_account_kind(
                    user=user,
                    kind=kind_form.cleaned_data["kind"],
                    organisation_name=kind_form.cleaned_data["organisation_name"],
                )
            except ServiceError as exc:
                add_service_error(kind_form, exc)
                status = _error_status(exc)
            else:
                messages.success(request, _("Your account kind has been saved."))
                return redirect("accounts:profile")
        else:
            status = 400
    elif request.method == "POST":
        profile_form = ProfileForm(request.POST, request.FILES)
        if profile_form.is_valid():
            data = profile_form.cleaned_data
            avatar = data.get("avatar")
            try:
                services.update_profile(
                    user=user,
                    nickname=data["nickname"],
                    region_code=data["region"],
                    interests=list(data["interests"]),
                    avatar=avatar or None,
                    remove_avatar=avatar is False,
                )
            except ServiceError as exc:
                add_service_error(profile_form, exc)
                status = _error_status(exc)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect("accounts:profile")
        else:
            status = 400
    context = {
        "profile_form": profile_form,
        "kind_form": kind_form,
        "account": user,
        "can_choose_kind": user.kind != "staff",
        "region": Region.objects.filter(pk=user.region_id).first() if user.region_id else None,
    }
    return _render(request, "accounts/profile.html", context, status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    has_password = user.has_usable_password()
    form = PasswordForm(has_password=has_password)
    status = 200
    if request.method == "POST":
        form = PasswordForm(request.POST, has_password=has_password)
        if form.is_valid():
            try:
                services.set_password(
                    user=user,
                    new_password=form.cleaned_data["new_password"],
                    old_password=form.cleaned_data.get("old_password"),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
                status = _error_status(exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password has been saved."))
                return redirect("accounts:me")
        else:
            status = 400
    return _render(
        request, "accounts/password.html", {"form": form, "has_password": has_password}, status
    )


@never_cache
@login_required
def export_view(request: HttpRequest) -> HttpResponse:
    try:
        data = services.export_user_data(user=_current_user(request))
    except ServiceError as exc:  # rate limited
        messages.error(request, exc.message)
        return redirect("accounts:me")
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="culturecloud-my-data.json"'
    return private(response)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_view(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    has_password = user.has_usable_password()
    form = DeleteAccountForm(has_password=has_password)
    status = 200
    if request.method == "POST":
        form = DeleteAccountForm(request.POST, has_password=has_password)
        if form.is_valid():
            try:
                services.erase_account(
                    user=user,
                    confirm=form.cleaned_data["confirm"],
                    password=form.cleaned_data.get("password"),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
                status = _error_status(exc)
            else:
                logout(request)
                messages.success(request, _("Your account has been deleted."))
                return redirect(settings.LOGOUT_REDIRECT_URL)
        else:
            status = 400
    return _render(request, "accounts/delete.html", {"form": form}, status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens_view(request: HttpRequest) -> HttpResponse:
    """My API tokens: the list, and a form that issues one. The raw token is shown in the
    answer to the POST only (never stored, never shown again)."""
    user = _current_user(request)
    form = ApiTokenForm()
    status = 200
    new_token: tuple[ApiToken, str] | None = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                new_token = services.issue_api_token(
                    user=user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
                status = _error_status(exc)
            else:
                form = ApiTokenForm()
        else:
            status = 400
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
    for token in tokens:
        if token.revoked_at is not None:
            token.state = "revoked"  # type: ignore[attr-defined]
        elif token.expires_at is not None and token.expires_at <= now:
            token.state = "expired"  # type: ignore[attr-defined]
        else:
            token.state = "active"  # type: ignore[attr-defined]
    context = {
        "form": form,
        "tokens": tokens,
        "new_token": new_token[0] if new_token else None,
        "raw_token": new_token[1] if new_token else "",
        "max_tokens": services.MAX_API_TOKENS,
    }
    return _render(request, "accounts/api_tokens.html", context, status)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    try:
        token = services.revoke_api_token(user=user, token_id=pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The token “%(name)s” is revoked; apps using it can no longer log in with it.")
            % {"name": token.name},
        )
    return redirect("accounts:api_tokens")
