"""Every write to accounts: sign-up and log-in (one-time SMS code or password), real-name
verification, consents, profile, the points ledger, API tokens, data export and erasure.

Personal data rules: a mobile number is stored encrypted (`core.crypto.encrypt`), found by
a keyed hash and shown masked; an ID number likewise. Neither is ever logged or put in an
audit entry.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
import secrets
from typing import IO, Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from culturecloud.core import audit, ratelimit
from culturecloud.core.crypto import DecryptionError, decrypt, encrypt, keyed_digest, mask
from culturecloud.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ServiceError
from culturecloud.core.models import AuditEntry
from culturecloud.institutions.models import Region

from . import idnumber
from .auth import token_digest
from .images import clean_image
from .models import (
    AccountKind,
    ApiToken,
    CodePurpose,
    Consent,
    ConsentPurpose,
    Interest,
    OneTimeCode,
    PointsEntry,
    PointsReason,
    RealNameVerification,
    User,
)
from .sms import get_backend, mask_phone

# The version of the user agreement / privacy policy a consent refers to.
POLICY_VERSION: str = getattr(settings, "ACCOUNTS_POLICY_VERSION", "2026-01")
# Password log-in attempts per account (the per-IP limit is settings.LOGIN_RATE_PER_IP).
LOGIN_RATE_PER_ACCOUNT: tuple[int, int] = getattr(settings, "LOGIN_RATE_PER_ACCOUNT", (10, 900))
# Real-name attempts per account and day (a refused ID number tells whether it is in use).
REALNAME_RATE_PER_USER: tuple[int, int] = (10, 86400)
# Checks of a signed-in user's own password (change password, delete account): as many as
# log-in attempts, so a stolen session cannot guess the password through these forms.
PASSWORD_CHECK_RATE_PER_USER: tuple[int, int] = LOGIN_RATE_PER_ACCOUNT
# Avatar uploads (decoded and re-encoded) and data exports (every record of the account).
AVATAR_RATE_PER_USER: tuple[int, int] = getattr(settings, "AVATAR_RATE_PER_USER", (20, 3600))
EXPORT_RATE_PER_USER: tuple[int, int] = getattr(settings, "EXPORT_RATE_PER_USER", (10, 3600))
# Logs of erased accounts (IP, user agent) are kept this long (Cybersecurity Law art. 21).
LOG_RETENTION_DAYS: int = getattr(settings, "ACCOUNT_LOG_RETENTION_DAYS", 180)
MAX_API_TOKENS = 20
MAX_INTERESTS = 12
MAX_POINTS_DELTA = 1_000_000
MAX_PASSWORD_LENGTH = 128

# Sent inside erase_account's transaction, before anything is erased, with `user=`. A
# receiver in a later module scrubs its own personal data of the user, or raises a
# ServiceError (e.g. an unfinished order) to refuse the erasure; nothing is then changed.
account_erasing = Signal()


def _field_error(field: str, message: str, code: str, status: int = 400) -> ServiceError:
    return ServiceError(message, code=code, fields={field: [message]}, status=status)


def _limit(key: str, rate: tuple[int, int], message: str, code: str = "rate_limited") -> None:
    limit, window = rate
    if not ratelimit.hit(key, limit, window):
        raise RateLimited(message, retry_after=window, code=code)


# --- Mobile numbers ---------------------------------------------------------------------


def normalize_phone(raw: str) -> str:
    """A mainland China mobile number as 11 digits ("13812345678").

    Accepts spaces, hyphens and a +86 / 0086 prefix; anything else (landlines, other
    countries, too short or long, letters) raises ServiceError(code="invalid_phone")."""
    message = _("Please enter a valid mainland China mobile number (11 digits).")
    error = _field_error("phone", message, "invalid_phone")
    if not isinstance(raw, str):
        raise error
    text = raw.strip()
    if not text or len(text) > 32:
        raise error
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise error from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise error
    number_type = phonenumbers.number_type(parsed)
    if number_type not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise error
    national = str(parsed.national_number)
    if len(national) != 11 or not national.startswith("1"):
        raise error
    return national


def phone_digest(phone: str) -> str:
    """Keyed hash of a normalized number: how a number is found without storing it in clear."""
    return keyed_digest(phone, purpose="phone")


def _phone_ad() -> bytes:
    return b"accounts.user.phone"


def user_phone(user: User) -> str:
    """The user's own full number, decrypted (for the user themself or an SMS); '' if none."""
    if not user.phone_encrypted:
        return ""
    try:
        return decrypt(user.phone_encrypted, associated_data=_phone_ad())
    except DecryptionError:
        return ""


def find_user_by_phone(phone: str) -> User | None:
    """The account of a mobile number (any accepted spelling), or None. Raises invalid_phone."""
    number = normalize_phone(phone)
    return User.objects.filter(phone_digest=phone_digest(number)).first()


def _clean_nickname(nickname: str) -> str:
    value = (nickname or "").strip()
    if len(value) > 40:
        raise _field_error(
            "nickname", _("A nickname has at most 40 characters."), "invalid_nickname"
        )
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise _field_error(
            "nickname",
            _("The nickname contains characters that are not allowed."),
            "invalid_nickname",
        )
    return value


def _check_password_strength(password: str, user: User | None, field: str) -> None:
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        raise _field_error(
            field,
            _("A password has at most %(n)d characters.") % {"n": MAX_PASSWORD_LENGTH},
            "invalid_password",
        )
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        messages = [str(m) for m in exc.messages]
        raise ServiceError(messages[0], code="weak_password", fields={field: messages}) from None


def create_user_with_phone(
    *,
    phone: str,
    nickname: str = "",
    kind: str = AccountKind.CITIZEN,
    password: str | None = None,
    region: Region | None = None,
) -> User:
    """Create an account for a mobile number. Refuses a number already in use (409)."""
    number = normalize_phone(phone)
    digest = phone_digest(number)
    nickname = _clean_nickname(nickname)
    if kind not in AccountKind.values:
        raise _field_error("kind", _("Unknown account kind."), "invalid_kind")
    taken = Conflict(
        _("This mobile number is already registered. Please log in instead."),
        code="phone_taken",
        fields={"phone": [_("This mobile number is already registered.")]},
    )
    if User.objects.filter(phone_digest=digest).exists():
        raise taken
    if password:
        _check_password_strength(password, None, "password")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                password=password or None,
                phone_digest=digest,
                phone_encrypted=encrypt(number, associated_data=_phone_ad()),
                phone_masked=mask_phone(number),
                kind=kind,
                nickname=nickname,
                region=region,
            )
            audit.record("accounts.account.created", actor=user, target=user, after={"kind": kind})
    except IntegrityError:
        raise taken from None
    return user


# --- One-time codes -----------------------------------------------------------------------


def _code_hash(digest: str, purpose: str, code: str) -> str:
    return keyed_digest(f"{digest}:{purpose}:{code}", purpose="otp")


def _payload_ad(digest: str) -> bytes:
    return f"accounts.otp:{digest}".encode()


def _locked_until(digest: str, purpose: str) -> dt.datetime | None:
    now = timezone.now()
    return (
        OneTimeCode.objects.filter(phone_digest=digest, purpose=purpose, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )


def _locked_error(until: dt.datetime) -> RateLimited:
    seconds = max(1, int((until - timezone.now()).total_seconds()))
    minutes = max(1, (seconds + 59) // 60)
    return RateLimited(
        ngettext(
            "Too many wrong codes. Please try again in %(minutes)d minute.",
            "Too many wrong codes. Please try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        retry_after=seconds,
        code="otp_locked",
    )


def request_code(*, phone: str, ip: str = "", purpose: str = CodePurpose.LOGIN) -> OneTimeCode:
    """Create a one-time code for `phone` and send it by SMS after commit (Celery task).

    Refused while the number is locked out, and rate limited per number (a minute apart,
    a daily cap) and per IP, in the shared cache. An earlier unused code of the same number
    stops working. The answer is the same whether or not the number has an account."""
    number = normalize_phone(phone)
    if purpose not in CodePurpose.values:
        raise ServiceError(_("Unknown code purpose."), code="invalid_purpose")
    digest = phone_digest(number)
    until = _locked_until(digest, purpose)
    if until is not None:
        raise _locked_error(until)
    if ip:
        _limit(
            f"otp:ip:{ip}",
            settings.OTP_RATE_PER_IP,
            _("Too many codes were requested from your network. Please try again later."),
        )
    _limit(
        f"otp:phone:{digest}",
        settings.OTP_RATE_PER_PHONE,
        _("A code was sent to this number a moment ago. Please wait a minute before asking again."),
    )
    _limit(
        f"otp:phone-day:{digest}",
        settings.OTP_RATE_PER_PHONE_DAY,
        _("Too many codes were sent to this number today. Please try again tomorrow."),
    )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(
            phone_digest=digest, purpose=purpose, used_at__isnull=True
        ).update(used_at=now, payload_encrypted="")
        row = OneTimeCode.objects.create(
            phone_digest=digest,
            purpose=purpose,
            code_hash=_code_hash(digest, purpose, code),
            payload_encrypted=encrypt(
                json.dumps({"phone": number, "code": code}), associated_data=_payload_ad(digest)
            ),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
            ip=ip[:45],
        )
        transaction.on_commit(_sender(row.pk), robust=True)
    return row


def _sender(code_id: int) -> Any:
    def send_after_commit() -> None:
        from .tasks import send_one_time_code

        send_one_time_code.delay(code_id)

    return send_after_commit


def deliver_one_time_code(*, code_id: int) -> bool:
    """Send the SMS of a code once (the Celery task calls this; safe to run again).

    Holds the code's row lock while the backend sends. Returns False when there is nothing
    to send (already sent, superseded, used or expired). A backend's SmsError propagates so
    that the task retries; nothing is changed then."""
    now = timezone.now()
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(pk=code_id).first()
        if (
            row is None
            or row.sent_at is not None
            or row.used_at is not None
            or row.expires_at <= now
            or not row.payload_encrypted
        ):
            return False
        payload = json.loads(
            decrypt(row.payload_encrypted, associated_data=_payload_ad(row.phone_digest))
        )
        get_backend().send_code(
            phone=payload["phone"],
            code=payload["code"],
            purpose=row.purpose,
            ttl_minutes=max(1, settings.OTP_TTL_SECONDS // 60),
        )
        row.sent_at = now
        row.payload_encrypted = ""
        row.save(update_fields=["sent_at", "payload_encrypted"])
    return True


def _invalid_code(message: str | None = None, code: str = "invalid_code") -> ServiceError:
    text = message or _("The code is not correct.")
    return ServiceError(text, code=code, fields={"code": [text]})


def verify_code(
    *,
    phone: str,
    code: str,
    ip: str = "",
    accept_terms: bool = False,
    purpose: str = CodePurpose.LOGIN,
) -> tuple[User, bool]:
    """Check a one-time code and return (user, created): log-in, or sign-up for a new number.

    Each try first takes one of the code's OTP_MAX_ATTEMPTS attempts with a conditional
    UPDATE (attempts < max), so parallel guesses cannot exceed the limit; the code is then
    compared in constant time and consumed with `UPDATE ... WHERE used_at IS NULL`, so of
    two concurrent correct tries only one wins. The last failed attempt locks the number
    for OTP_LOCKOUT_SECONDS. A new number needs `accept_terms` (the consent is recorded).

    Must not run inside an outer transaction: a failed attempt has to stay counted."""
    number = normalize_phone(phone)
    entered = (code or "").strip() if isinstance(code, str) else ""
    if not re.fullmatch(r"\d{6}", entered):
        raise _invalid_code(_("The code has 6 digits."), code="invalid_code")
    if ip:
        _limit(
            f"login:ip:{ip}",
            settings.LOGIN_RATE_PER_IP,
            _("Too many log-in attempts from your network. Please try again later."),
        )
    digest = phone_digest(number)
    until = _locked_until(digest, purpose)
    if until is not None:
        raise _locked_error(until)
    now = timezone.now()
    row = (
        OneTimeCode.objects.filter(phone_digest=digest, purpose=purpose, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        raise _invalid_code(
            _("There is no valid code for this number. Please ask for a new one."), code="no_code"
        )
    if row.expires_at <= now:
        raise _invalid_code(
            _("This code has expired. Please ask for a new one."), code="code_expired"
        )
    max_attempts = settings.OTP_MAX_ATTEMPTS
    taken = OneTimeCode.objects.filter(
        pk=row.pk, used_at__isnull=True, attempts__lt=max_attempts
    ).update(attempts=F("attempts") + 1)
    if not taken:
        raise _invalid_code(
            _("This code can no longer be used. Please ask for a new one."), code="code_exhausted"
        )
    if not hmac.compare_digest(row.code_hash, _code_hash(digest, purpose, entered)):
        attempts = (
            OneTimeCode.objects.filter(pk=row.pk).values_list("attempts", flat=True).first() or 0
        )
        if attempts >= max_attempts:
            lock_until = now + dt.timedelta(seconds=settings.OTP_LOCKOUT_SECONDS)
            OneTimeCode.objects.filter(pk=row.pk).update(locked_until=lock_until)
            raise _locked_error(lock_until)
        left = max_attempts - attempts
        raise _invalid_code(
            ngettext(
                "The code is not correct. %(left)d attempt left.",
                "The code is not correct. %(left)d attempts left.",
                left,
            )
            % {"left": left}
        )
    user = User.objects.filter(phone_digest=digest).first()
    if user is None and not accept_terms:
        message = _("Please read and accept the user agreement and privacy policy to sign up.")
        raise ServiceError(message, code="consent_required", fields={"accept_terms": [message]})
    if user is not None and not user.is_active:
        raise PermissionDenied(_("This account has been disabled."), code="account_disabled")
    with transaction.atomic():
        consumed = OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=now, payload_encrypted=""
        )
        if not consumed:
            raise _invalid_code(
                _("This code has already been used. Please ask for a new one."), code="code_used"
            )
        created = user is None
        if user is None:
            user = create_user_with_phone(phone=number)
            Consent.objects.create(
                user=user, purpose=ConsentPurpose.TERMS, policy_version=POLICY_VERSION, ip=ip[:45]
            )
            audit.record(
                "accounts.consent.granted", actor=user, target=user, after={"purpose": "terms"}
            )
        audit.record(
            "accounts.login.succeeded", actor=user, target=user, after={"method": "sms_code"}
        )
    return user, created


def login_with_password(*, identifier: str, password: str, ip: str = "") -> User:
    """Log-in with a mobile number or username and a password.

    Rate limited per IP and per account (shared cache); one generic message for an unknown
    account, a wrong password and a disabled account."""
    ident = (identifier or "").strip() if isinstance(identifier, str) else ""
    if not ident or len(ident) > 64:
        raise _field_error(
            "identifier", _("Please enter your mobile number or username."), "invalid_identifier"
        )
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_LENGTH:
        raise _field_error("password", _("Please enter your password."), "invalid_password")
    if ip:
        _limit(
            f"login:ip:{ip}",
            settings.LOGIN_RATE_PER_IP,
            _("Too many log-in attempts from your network. Please try again later."),
        )
    try:
        number: str | None = normalize_phone(ident)
    except ServiceError:
        number = None
    account_key = phone_digest(number) if number else keyed_digest(ident.lower(), purpose="login")
    _limit(
        f"login:acct:{account_key[:40]}",
        LOGIN_RATE_PER_ACCOUNT,
        _("Too many log-in attempts for this account. Please try again later."),
    )
    if number:
        user = User.objects.filter(phone_digest=account_key).first()
    else:
        user = User.objects.filter(username=ident).first()
    wrong = ServiceError(
        _("The account or password is not correct."), code="invalid_credentials", status=400
    )
    if user is None:
        make_password(password)  # spend the same time as a real check
        raise wrong
    if not user.has_usable_password() or not user.check_password(password) or not user.is_active:
        raise wrong
    with transaction.atomic():
        audit.record(
            "accounts.login.succeeded", actor=user, target=user, after={"method": "password"}
        )
    return user


def _check_own_password(user: User, password: Any, field: str, message: str) -> None:
    """The signed-in user's current password, rate limited per account
    (PASSWORD_CHECK_RATE_PER_USER)."""
    _limit(
        f"password-check:{user.pk}",
        PASSWORD_CHECK_RATE_PER_USER,
        _("Too many password attempts. Please try again later."),
    )
    if not (
        isinstance(password, str)
        and len(password) <= MAX_PASSWORD_LENGTH
        and user.check_password(password)
    ):
        raise _field_error(field, message, "wrong_password")


def set_password(*, user: User, new_password: str, old_password: str | None = None) -> User:
    """Set or change the password. An existing password must be given to change it."""
    if user.has_usable_password():
        _check_own_password(
            user, old_password, "old_password", _("Your current password is not correct.")
        )
    _check_password_strength(new_password, user, "new_password")
    with transaction.atomic():
        had_password = user.has_usable_password()
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(
            "accounts.password.changed" if had_password else "accounts.password.set",
            actor=user,
            target=user,
        )
    return user


# --- Real name ----------------------------------------------------------------------------

_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z·•・. ]{2,30}$")


def _id_message(reason: str) -> str:
    messages = {
        "format": _("An ID number has 18 characters: 17 digits and a last digit or X."),
        "region": _("The first digits of this ID number are not a valid region code."),
        "birth_date": _("The date of birth in this ID number is not valid."),
        "check_digit": _(
            "This ID number is not valid: its check digit does not match. Please check it."
        ),
    }
    return messages.get(reason, messages["format"])


def mask_id_number(number: str) -> str:
    """1101**********1234"""
    return mask(number, keep_start=4, keep_end=4)


def mask_name(name: str) -> str:
    """张* / 欧阳** : the first character only."""
    return name[:1] + "*" * max(1, len(name) - 1)


def id_digest(number: str) -> str:
    return keyed_digest(number, purpose="id_number")


def _realname_ad(user_id: int) -> bytes:
    return f"accounts.realname:{user_id}".encode()


def verify_real_name(
    *, user: User, name: str, id_number: str, consent: bool, ip: str = ""
) -> RealNameVerification:
    """实名认证: record the person's name and resident ID number after checking them.

    Needs explicit consent to process the ID number (recorded with the policy version).
    The number must pass GB 11643 (format, region, date of birth, check digit); one number
    verifies one account only (keyed hash, unique; 409 otherwise). Name and number are
    stored encrypted and shown masked."""
    errors: dict[str, list[str]] = {}
    if consent is not True:
        errors["consent"] = [
            _("Please agree to the processing of your ID number for real-name verification.")
        ]
    clean_name = re.sub(r"\s+", " ", name.strip()) if isinstance(name, str) else ""
    if not _NAME.match(clean_name):
        errors["name"] = [_("Please enter your name as on your ID card (2 to 30 characters).")]
    info = None
    try:
        info = idnumber.parse(id_number if isinstance(id_number, str) else "")
    except idnumber.InvalidIdNumber as exc:
        errors["id_number"] = [_id_message(exc.reason)]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(first, code="invalid_real_name", fields=errors)
    assert info is not None
    if RealNameVerification.objects.filter(user=user).exists():
        raise Conflict(_("Your account is already verified."), code="already_verified")
    _limit(
        f"realname:user:{user.pk}",
        REALNAME_RATE_PER_USER,
        _("Too many verification attempts today. Please try again tomorrow."),
    )
    digest = id_digest(info.number)
    taken_message = _("This ID number has already been used to verify another account.")
    taken = Conflict(taken_message, code="id_number_taken", fields={"id_number": [taken_message]})
    if RealNameVerification.objects.filter(id_digest=digest).exists():
        raise taken
    try:
        with transaction.atomic():
            verification = RealNameVerification.objects.create(
                user=user,
                name_encrypted=encrypt(clean_name, associated_data=_realname_ad(user.pk)),
                name_masked=mask_name(clean_name),
                id_encrypted=encrypt(info.number, associated_data=_realname_ad(user.pk)),
                id_digest=digest,
                id_masked=mask_id_number(info.number),
            )
            Consent.objects.create(
                user=user,
                purpose=ConsentPurpose.REAL_NAME,
                policy_version=POLICY_VERSION,
                ip=ip[:45],
            )
            audit.record(
                "accounts.consent.granted", actor=user, target=user, after={"purpose": "realname"}
            )
            audit.record("accounts.realname.verified", actor=user, target=user)
    except IntegrityError:
        if RealNameVerification.objects.filter(user=user).exists():
            raise Conflict(
                _("Your account is already verified."), code="already_verified"
            ) from None
        raise taken from None
    return verification


def withdraw_consent(*, user: User, purpose: str) -> int:
    """Withdraw a consent (PIPL art. 15). Withdrawing the real-name consent deletes the
    real-name record (name, ID number and its hash); consent to the user agreement is
    withdrawn by deleting the account. Returns the number of consents withdrawn."""
    if purpose == ConsentPurpose.TERMS:
        raise ServiceError(
            _("To withdraw your consent to the user agreement, please delete your account."),
            code="use_account_deletion",
        )
    if purpose not in ConsentPurpose.values:
        raise _field_error("purpose", _("Unknown consent."), "invalid_purpose")
    now = timezone.now()
    with transaction.atomic():
        withdrawn = Consent.objects.filter(
            user=user, purpose=purpose, withdrawn_at__isnull=True
        ).update(withdrawn_at=now)
        if not withdrawn:
            raise NotFound(_("There is no such consent to withdraw."), code="no_consent")
        if purpose == ConsentPurpose.REAL_NAME:
            RealNameVerification.objects.filter(user=user).delete()
        audit.record(
            "accounts.consent.withdrawn", actor=user, target=user, after={"purpose": purpose}
        )
    return withdrawn


def real_name_details(user: User) -> dict[str, Any] | None:
    """The decrypted name and ID facts (for the person themself and age checks), or None."""
    verification = RealNameVerification.objects.filter(user=user).first()
    if verification is None:
        return None
    ad = _realname_ad(user.pk)
    number = decrypt(verification.id_encrypted, associated_data=ad)
    info = idnumber.parse(number)
    return {
        "name": decrypt(verification.name_encrypted, associated_data=ad),
        "id_number": number,
        "birth_date": info.birth_date,
        "gender": info.gender,
        "verified_at": verification.verified_at,
    }


# --- Profile ------------------------------------------------------------------------------


def update_profile(
    *,
    user: User,
    nickname: str | None = None,
    region_code: str | None = None,
    interests: list[str] | None = None,
    avatar: IO[bytes] | None = None,
    remove_avatar: bool = False,
    organisation_name: str | None = None,
) -> User:
    """Change profile fields; None leaves a field as it is ('' / [] clears it).

    The avatar is checked by content and re-encoded (`images.clean_image`); the old file
    is deleted after commit."""
    changes: dict[str, Any] = {}
    if nickname is not None:
        changes["nickname"] = _clean_nickname(nickname)
    if organisation_name is not None:
        value = organisation_name.strip() if isinstance(organisation_name, str) else ""
        if len(value) > 120:
            raise _field_error(
                "organisation_name",
                _("An organisation name has at most 120 characters."),
                "invalid_organisation_name",
            )
        changes["organisation_name"] = value
    if region_code is not None:
        code = region_code.strip() if isinstance(region_code, str) else ""
        if code:
            region = Region.objects.filter(code=code).first() if len(code) <= 6 else None
            if region is None:
                raise _field_error("region", _("Unknown region."), "invalid_region")
            changes["region"] = region
        else:
            changes["region"] = None
    if interests is not None:
        if not isinstance(interests, list) or len(interests) > MAX_INTERESTS:
            raise _field_error(
                "interests",
                _("Please choose at most %(n)d interests.") % {"n": MAX_INTERESTS},
                "invalid_interests",
            )
        unknown = [i for i in interests if i not in Interest.values]
        if unknown:
            raise _field_error("interests", _("Unknown interest."), "invalid_interests")
        changes["interests"] = list(dict.fromkeys(interests))
    if avatar is not None:
        _limit(
            f"avatar:{user.pk}",
            AVATAR_RATE_PER_USER,
            _("You have changed your avatar many times. Please try again later."),
        )
    new_avatar = clean_image(avatar, field="avatar") if avatar is not None else None
    old_avatar_name = user.avatar.name if user.avatar else ""
    with transaction.atomic():
        for field, value in changes.items():
            setattr(user, field, value)
        update_fields = list(changes)
        if new_avatar is not None:
            user.avatar.save(new_avatar.name or "avatar.jpg", new_avatar, save=False)
            update_fields.append("avatar")
        elif remove_avatar and old_avatar_name:
            user.avatar = None  # type: ignore[assignment]
            update_fields.append("avatar")
        if not update_fields:
            return user
        user.save(update_fields=update_fields)
        audit.record(
            "accounts.profile.updated",
            actor=user,
            target=user,
            after={"fields": sorted(update_fields)},
        )
        if "avatar" in update_fields and old_avatar_name:
            transaction.on_commit(_file_deleter(user.avatar.storage, old_avatar_name))
    return user


def _file_deleter(storage: Any, name: str) -> Any:
    def delete_old_file() -> None:
        storage.delete(name)

    return delete_old_file


def set_account_kind(*, user: User, kind: str, organisation_name: str = "") -> User:
    """Choose the account kind (citizen, supplier, overseas institution); institution staff
    is set when a membership is granted, not by the person."""
    allowed = {AccountKind.CITIZEN, AccountKind.SUPPLIER, AccountKind.OVERSEAS}
    if kind not in allowed:
        raise _field_error("kind", _("This account kind cannot be chosen here."), "invalid_kind")
    name = (organisation_name or "").strip()
    if kind in (AccountKind.SUPPLIER, AccountKind.OVERSEAS) and not name:
        raise _field_error(
            "organisation_name",
            _("Please enter the name of your organisation."),
            "organisation_required",
        )
    if len(name) > 120:
        raise _field_error(
            "organisation_name",
            _("An organisation name has at most 120 characters."),
            "invalid_organisation_name",
        )
    with transaction.atomic():
        before = {"kind": user.kind}
        user.kind = kind
        user.organisation_name = name if kind != AccountKind.CITIZEN else ""
        user.save(update_fields=["kind", "organisation_name"])
        audit.record(
            "accounts.account.kind_changed",
            actor=user,
            target=user,
            before=before,
            after={"kind": kind},
        )
    return user


# --- Points ledger --------------------------------------------------------------------------


def award_points(
    *,
    user: User,
    delta: int,
    reason: str,
    reference: str = "",
    allow_negative: bool | None = None,
    actor: Any = None,
) -> PointsEntry:
    """Append one entry to the points ledger (积分) and move the balance with it.

    Locks the user's row (SELECT ... FOR UPDATE) for the rest of the transaction, so that
    concurrent awards queue and `balance_after` forms a chain. With a `reference`, the same
    (user, reason, reference) is applied once: a repeat returns the existing entry.

    Balance rule: a spending (negative delta) may not take the balance below zero
    (Conflict "insufficient_points"), but a no-show penalty may: it is a debt that later
    rewards pay back (`allow_negative` overrides the default). Safe inside a caller's
    transaction (e.g. a check-in that awards attendance points)."""
    if (
        not isinstance(delta, int)
        or isinstance(delta, bool)
        or delta == 0
        or abs(delta) > MAX_POINTS_DELTA
    ):
        raise _field_error("delta", _("The number of points is not valid."), "invalid_delta")
    if reason not in PointsReason.values:
        raise _field_error("reason", _("Unknown reason for points."), "invalid_reason")
    reference = reference or ""
    if len(reference) > 100:
        raise _field_error("reference", _("The reference is too long."), "invalid_reference")
    if allow_negative is None:
        allow_negative = reason == PointsReason.NO_SHOW
    with transaction.atomic():
        locked = User.objects.select_for_update().only("pk", "points_balance").get(pk=user.pk)
        if reference:
            existing = PointsEntry.objects.filter(
                user_id=user.pk, reason=reason, reference=reference
            ).first()
            if existing is not None:
                user.points_balance = locked.points_balance
                return existing
        balance = locked.points_balance + delta
        if delta < 0 and balance < 0 and not allow_negative:
            raise Conflict(
                _("Not enough points: you have %(balance)d.") % {"balance": locked.points_balance},
                code="insufficient_points",
            )
        entry = PointsEntry.objects.create(
            user_id=user.pk, delta=delta, balance_after=balance, reason=reason, reference=reference
        )
        User.objects.filter(pk=user.pk).update(points_balance=F("points_balance") + delta)
        if actor is not None:
            audit.record(
                "accounts.points.adjusted",
                actor=actor,
                target=user,
                after={"delta": delta, "reason": reason, "reference": reference},
            )
    user.points_balance = balance
    return entry


# --- API tokens -----------------------------------------------------------------------------


def issue_api_token(
    *, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new bearer token for an app. The raw token is returned once; only its hash is kept."""
    label = (name or "").strip() if isinstance(name, str) else ""
    if not label or len(label) > 60:
        raise _field_error(
            "name", _("Please give the token a name (at most 60 characters)."), "invalid_name"
        )
    if expires_in_days is not None and not (1 <= expires_in_days <= 3650):
        raise _field_error(
            "expires_in_days", _("A token expires after 1 to 3650 days."), "invalid_expiry"
        )
    if not user.is_active:
        raise PermissionDenied(_("This account has been disabled."), code="account_disabled")
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if active.count() >= MAX_API_TOKENS:
        raise Conflict(
            _("You have %(n)d active tokens, the most allowed. Please revoke one first.")
            % {"n": MAX_API_TOKENS},
            code="too_many_tokens",
        )
    raw = "cc_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=label,
            key_digest=token_digest(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + dt.timedelta(days=expires_in_days)
            if expires_in_days
            else None,
        )
        audit.record("accounts.token.issued", actor=user, target=token, target_label=token.prefix)
    return token, raw


def revoke_api_token(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (idempotent)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise NotFound(_("No such token."), code="token_not_found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(
                "accounts.token.revoked", actor=user, target=token, target_label=token.prefix
            )
    return token


# --- PIPL: export and erasure -----------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def export_user_data(*, user: User) -> dict[str, Any]:
    """Everything the platform holds about the user, as JSON-ready data (PIPL art. 45).

    A fixed number of queries whatever the amount of data. Rate limited per account."""
    from culturecloud.institutions.models import Membership

    _limit(
        f"export:{user.pk}",
        EXPORT_RATE_PER_USER,
        _("You have downloaded your data many times. Please try again later."),
    )

    verification = RealNameVerification.objects.filter(user=user).first()
    region = Region.objects.filter(pk=user.region_id).first() if user.region_id else None
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "kind": user.kind,
            "mobile_number": user_phone(user),
            "mobile_number_masked": user.phone_masked,
            "nickname": user.nickname,
            "avatar": user.avatar.url if user.avatar else None,
            "region": {"code": region.code, "name": region.name} if region else None,
            "interests": list(user.interests or []),
            "organisation_name": user.organisation_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "has_password": user.has_usable_password(),
        },
        "real_name": (
            {
                "name": verification.name_masked,
                "id_number": verification.id_masked,
                "verified_at": _iso(verification.verified_at),
            }
            if verification
            else None
        ),
        "consents": [
            {
                "purpose": c.purpose,
                "policy_version": c.policy_version,
                "granted_at": _iso(c.granted_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "ip": c.ip,
            }
            for c in Consent.objects.filter(user=user).order_by("granted_at", "id")
        ],
        "points": {
            "balance": user.points_balance,
            "entries": [
                {
                    "delta": e.delta,
                    "balance_after": e.balance_after,
                    "reason": e.reason,
                    "reference": e.reference,
                    "created_at": _iso(e.created_at),
                }
                for e in PointsEntry.objects.filter(user=user).order_by("id")
            ],
        },
        "memberships": [
            {
                "institution": m.institution.code,
                "institution_name": m.institution.name,
                "role": m.role,
            }
            for m in Membership.objects.filter(user=user)
            .select_related("institution")
            .order_by("id")
        ],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "expires_at": _iso(t.expires_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in ApiToken.objects.filter(user=user).order_by("id")
        ],
        "activity": [
            {
                "time": _iso(a.created_at),
                "action": a.action,
                "target": a.target_label,
                "ip": a.ip,
            }
            for a in AuditEntry.objects.filter(actor=user).order_by("created_at", "id")
        ],
    }
    with transaction.atomic():
        audit.record("accounts.data.exported", actor=user, target=user)
    return data


def pseudonym(user: User) -> str:
    """The stable label that replaces an erased person's name in kept records."""
    return "erased-" + keyed_digest(str(user.pk), purpose="pseudonym")[:12]


def erase_account(*, user: User, confirm: bool, password: str | None = None) -> User:
    """Delete my account (PIPL art. 47): erase personal data, keep what the law requires.

    Erased: mobile number, nickname, avatar, region, interests, organisation name, the
    real-name record (name, ID number and its hash, so the person may verify a new account
    later), API tokens, one-time codes, password. Kept, pseudonymised: the account row
    (deactivated, username replaced by a pseudonym), the points ledger, the consents
    (marked withdrawn), the audit entries (actor and target labels replaced by the
    pseudonym; IP and user agent until LOG_RETENTION_DAYS, then `finish_account_erasures`).
    Other modules hook in through the `account_erasing` signal."""
    if confirm is not True:
        message = _("Please confirm that you want to delete your account.")
        raise ServiceError(message, code="confirmation_required", fields={"confirm": [message]})
    if user.erased_at is not None:
        raise Conflict(_("This account has already been deleted."), code="already_erased")
    if user.has_usable_password():
        _check_own_password(user, password, "password", _("Your password is not correct."))
    now = timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.erased_at is not None:
            raise Conflict(_("This account has already been deleted."), code="already_erased")
        account_erasing.send(sender=User, user=locked)
        label = pseudonym(locked)
        AuditEntry.objects.filter(actor=locked).update(actor_label=label)
        AuditEntry.objects.filter(target_type="accounts.user", target_id=str(locked.pk)).update(
            target_label=label
        )
        RealNameVerification.objects.filter(user=locked).delete()
        ApiToken.objects.filter(user=locked).delete()
        if locked.phone_digest:
            OneTimeCode.objects.filter(phone_digest=locked.phone_digest).delete()
        Consent.objects.filter(user=locked, withdrawn_at__isnull=True).update(withdrawn_at=now)
        old_avatar = locked.avatar.name if locked.avatar else ""
        storage = locked.avatar.storage
        locked.username = label
        locked.phone_digest = None
        locked.phone_encrypted = ""
        locked.phone_masked = ""
        locked.nickname = ""
        locked.avatar = None  # type: ignore[assignment]
        locked.region = None
        locked.interests = []
        locked.organisation_name = ""
        locked.is_active = False
        locked.is_staff = False
        locked.is_superuser = False
        locked.erased_at = now
        locked.set_unusable_password()
        locked.save()
        locked.groups.clear()
        locked.user_permissions.clear()
        audit.record(
            "accounts.account.erased",
            actor=locked,
            target=locked,
            target_label=label,
            after={"kept": ["points_ledger", "consents", "audit_log"]},
        )
        if old_avatar:
            transaction.on_commit(_file_deleter(storage, old_avatar))
    user.refresh_from_db()
    return user


def finish_account_erasures(*, now: dt.datetime | None = None) -> int:
    """Last step of erasure, after the legal log retention: drop the IP addresses and user
    agents kept in the audit log and consents of erased accounts. Idempotent; returns the
    number of rows scrubbed."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=LOG_RETENTION_DAYS)
    with transaction.atomic():
        entries = (
            AuditEntry.objects.filter(actor__erased_at__lte=cutoff, created_at__lte=cutoff)
            .exclude(ip="", user_agent="")
            .update(ip="", user_agent="")
        )
        consents = Consent.objects.filter(user__erased_at__lte=cutoff).exclude(ip="").update(ip="")
    return entries + consents


def purge_expired_codes(*, now: dt.datetime | None = None) -> int:
    """Delete one-time codes that can no longer be used or lock anything."""
    current = now or timezone.now()
    cutoff = current - dt.timedelta(seconds=max(settings.OTP_LOCKOUT_SECONDS, 3600))
    deleted, _details = (
        OneTimeCode.objects.filter(Q(expires_at__lt=cutoff) | Q(used_at__lt=cutoff))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=current))
        .delete()
    )
    return deleted
