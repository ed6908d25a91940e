"""/api/v1/auth: log-in with an SMS code or password, my account, real name, tokens, PIPL."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login, logout, update_session_auth_hash
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.utils import check_csrf

from culturecloud.core.errors import PermissionDenied, ServiceError
from culturecloud.core.http import private
from culturecloud.core.origin import client_ip
from culturecloud.institutions.models import Region

from . import services
from .auth import token_digest
from .models import ApiToken, PointsEntry, RealNameVerification, User
from .schemas import (
    CodeRequestIn,
    CodeRequestOut,
    DeleteIn,
    KindIn,
    LoginOut,
    MeOut,
    MyProfileIn,
    OkOut,
    PasswordIn,
    PasswordLoginIn,
    PointsEntryOut,
    RealNameIn,
    RealNameOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    VerifyIn,
)

router = Router(tags=["auth"])


def me_payload(user: User, *, real_name_verified: bool | None = None) -> dict[str, Any]:
    if real_name_verified is None:
        real_name_verified = RealNameVerification.objects.filter(user=user).exists()
    region = None
    if user.region_id:
        row = Region.objects.filter(pk=user.region_id).values("code", "name").first()
        region = row
    return {
        "id": user.pk,
        "username": user.username,
        "kind": user.kind,
        "phone_masked": user.phone_masked,
        "nickname": user.nickname,
        "avatar_url": user.avatar.url if user.avatar else None,
        "region": region,
        "interests": list(user.interests or []),
        "organisation_name": user.organisation_name,
        "points_balance": user.points_balance,
        "real_name_verified": real_name_verified,
        "has_password": user.has_usable_password(),
        "date_joined": user.date_joined,
    }


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise PermissionDenied()
    return user


def _finish_login(
    request: HttpRequest, user: User, *, issue_token: bool, token_name: str
) -> str | None:
    """A bearer token for apps, or the site's session (CSRF-checked against login CSRF)."""
    if issue_token:
        _token, raw = services.issue_api_token(user=user, name=token_name or "app")
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return raw
    if check_csrf(request) is not None:
        raise ServiceError(
            _("CSRF check failed. Please reload the page."), code="csrf_failed", status=403
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return None


@router.post(
    "/code", auth=None, response={202: CodeRequestOut}, summary="Send a one-time code by SMS"
)
def request_code(request: HttpRequest, payload: CodeRequestIn):
    services.request_code(phone=payload.phone, ip=client_ip(request.META))
    return Status(
        202,
        {
            "sent": True,
            "expires_in": settings.OTP_TTL_SECONDS,
            "resend_after": settings.OTP_RATE_PER_PHONE[1],
        },
    )


@router.post("/verify", auth=None, response=LoginOut, summary="Log in or sign up with the code")
def verify(request: HttpRequest, response: HttpResponse, payload: VerifyIn):
    private(response)
    user, created = services.verify_code(
        phone=payload.phone,
        code=payload.code,
        ip=client_ip(request.META),
        accept_terms=payload.accept_terms,
    )
    token = _finish_login(
        request, user, issue_token=payload.issue_token, token_name=payload.token_name
    )
    return {"user": me_payload(user), "created": created, "token": token}


@router.post("/password-login", auth=None, response=LoginOut, summary="Log in with a password")
def password_login(request: HttpRequest, response: HttpResponse, payload: PasswordLoginIn):
    private(response)
    user = services.login_with_password(
        identifier=payload.identifier, password=payload.password, ip=client_ip(request.META)
    )
    token = _finish_login(
        request, user, issue_token=payload.issue_token, token_name=payload.token_name
    )
    return {"user": me_payload(user), "created": False, "token": token}


@router.post("/logout", response=OkOut, summary="Log out (a bearer token is revoked)")
def api_logout(request: HttpRequest):
    user = _user(request)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        digest = token_digest(header[7:].strip())
        token = ApiToken.objects.filter(user=user, key_digest=digest).first()
        if token is not None:
            services.revoke_api_token(user=user, token_id=token.pk)
    else:
        logout(request)
    return {"ok": True}


@router.get("/me", response=MeOut, summary="My account")
def me(request: HttpRequest, response: HttpResponse):
    private(response)
    return me_payload(_user(request))


@router.patch("/me", response=MeOut, summary="Change my profile")
def update_me(request: HttpRequest, payload: MyProfileIn):
    user = services.update_profile(
        user=_user(request),
        nickname=payload.nickname,
        region_code=payload.region,
        interests=payload.interests,
        organisation_name=payload.organisation_name,
    )
    return me_payload(user)


@router.post("/me/avatar", response=MeOut, summary="Upload my avatar (JPEG, PNG, WebP, GIF)")
def upload_avatar(request: HttpRequest, avatar: File[UploadedFile]):
    user = services.update_profile(user=_user(request), avatar=avatar)
    return me_payload(user)


@router.post("/me/kind", response=MeOut, summary="Choose my account kind")
def change_kind(request: HttpRequest, payload: KindIn):
    user = services.set_account_kind(
        user=_user(request), kind=payload.kind, organisation_name=payload.organisation_name
    )
    return me_payload(user)


@router.post("/password", response=OkOut, summary="Set or change my password")
def change_password(request: HttpRequest, payload: PasswordIn):
    user = services.set_password(
        user=_user(request), new_password=payload.new_password, old_password=payload.old_password
    )
    if hasattr(request, "session") and request.session.get(SESSION_KEY):
        update_session_auth_hash(request, user)  # stay logged in on this device
    return {"ok": True}


def _realname_out(user: User) -> dict[str, Any]:
    verification = RealNameVerification.objects.filter(user=user).first()
    if verification is None:
        return {"verified": False}
    return {
        "verified": True,
        "name": verification.name_masked,
        "id_number": verification.id_masked,
        "verified_at": verification.verified_at,
    }


@router.get("/realname", response=RealNameOut, summary="My real-name status (masked)")
def realname(request: HttpRequest, response: HttpResponse):
    private(response)
    return _realname_out(_user(request))


@router.post("/realname", response={201: RealNameOut}, summary="Verify my real name")
def verify_realname(request: HttpRequest, payload: RealNameIn):
    user = _user(request)
    services.verify_real_name(
        user=user,
        name=payload.name,
        id_number=payload.id_number,
        consent=payload.consent,
        ip=client_ip(request.META),
    )
    return Status(201, _realname_out(user))


@router.post("/realname/withdraw", response=OkOut, summary="Withdraw real-name consent")
def withdraw_realname(request: HttpRequest):
    """Withdraws the consent and deletes the real-name record."""
    services.withdraw_consent(user=_user(request), purpose="realname")
    return {"ok": True}


@router.get("/export", summary="Download my data (JSON)")
def export(request: HttpRequest):
    data = services.export_user_data(user=_user(request))
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="culturecloud-my-data.json"'
    return private(response)


@router.post("/delete", response=OkOut, summary="Delete my account")
def delete_account(request: HttpRequest, payload: DeleteIn):
    services.erase_account(user=_user(request), confirm=payload.confirm, password=payload.password)
    logout(request)
    return {"ok": True}


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
@paginate
def tokens(request: HttpRequest):
    return ApiToken.objects.filter(user=_user(request)).order_by("-created_at", "-id")


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Issue an API token (shown once)")
def create_token(request: HttpRequest, payload: TokenIn):
    token, raw = services.issue_api_token(
        user=_user(request), name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke an API token")
def revoke_token(request: HttpRequest, token_id: int):
    return services.revoke_api_token(user=_user(request), token_id=token_id)


@router.get("/points", response=list[PointsEntryOut], summary="My points ledger")
@paginate
def points(request: HttpRequest):
    return PointsEntry.objects.filter(user=_user(request)).order_by("-id")
