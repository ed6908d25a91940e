from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    STAFF = "staff", _("Institution staff")
    SUPPLIER = "supplier", _("Supplier")
    OVERSEAS = "overseas", _("Overseas institution")


def new_username() -> str:
    return "u" + secrets.token_hex(6)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, username: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        user = self.model(username=username or new_username(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person or organisation account.

    The mobile number is personal data: stored encrypted (`phone_encrypted`), found by
    a keyed hash (`phone_digest`) and shown masked (`phone_masked`). Only
    `accounts.services` writes these three fields.
    """

    username = models.CharField(_("username"), max_length=32, unique=True, default=new_username)
    phone_digest = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("mobile number"), max_length=16, blank=True, editable=False)
    kind = models.CharField(
        _("account kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.CITIZEN
    )
    nickname = models.CharField(_("nickname"), max_length=40, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    region = models.ForeignKey(
        "institutions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    interests = models.JSONField(_("interests"), default=list, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=120, blank=True)
    points_balance = models.IntegerField(_("points"), default=0, editable=False)
    is_staff = models.BooleanField(
        _("platform administrator"),
        default=False,
        help_text=_("May log in to the Django admin. Institution staff use memberships instead."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_short_name()

    def get_short_name(self) -> str:
        return self.nickname or self.phone_masked or self.username

    def get_full_name(self) -> str:
        return self.get_short_name()


class ApiToken(models.Model):
    """A bearer token for apps and mini-programs. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    key_digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Interest(models.TextChoices):
    """The interests a person can pick on the profile (stored as a list of these values)."""

    MUSIC = "music", _("Music")
    DANCE = "dance", _("Dance")
    OPERA = "opera", _("Chinese opera")
    THEATRE = "theatre", _("Theatre")
    FINE_ARTS = "fine_arts", _("Fine arts")
    CALLIGRAPHY = "calligraphy", _("Calligraphy")
    PHOTOGRAPHY = "photography", _("Photography")
    FILM = "film", _("Film")
    LITERATURE = "literature", _("Literature")
    READING = "reading", _("Reading")
    HERITAGE = "heritage", _("Intangible cultural heritage")
    CRAFTS = "crafts", _("Crafts")
    FOLK = "folk", _("Folk customs")


class CodePurpose(models.TextChoices):
    LOGIN = "login", _("Log in or sign up")


class OneTimeCode(models.Model):
    """A one-time SMS code. Only its keyed hash is kept for checking.

    `payload_encrypted` holds the number and the code, encrypted, only until the SMS task
    has sent it (then it is emptied). Verification increments `attempts` with a
    conditional UPDATE and marks the code used with another, so two requests can never
    both win (see `services.verify_code`).
    """

    phone_digest = models.CharField(max_length=64)
    purpose = models.CharField(
        max_length=16, choices=CodePurpose.choices, default=CodePurpose.LOGIN
    )
    code_hash = models.CharField(max_length=64)
    payload_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the last allowed attempt failed: the number is locked until then.
    locked_until = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.CharField(max_length=45, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(
                fields=["phone_digest", "purpose", "-created_at"], name="otp_phone_recent"
            ),
            models.Index(fields=["expires_at"], name="otp_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


class ConsentPurpose(models.TextChoices):
    TERMS = "terms", _("User agreement and privacy policy")
    REAL_NAME = "realname", _("Processing of my identity document (real-name verification)")


class Consent(models.Model):
    """A consent given (and perhaps withdrawn) by a person, with the policy version shown."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    policy_version = models.CharField(_("policy version"), max_length=20)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose"], name="consent_user_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.policy_version})"


class RealNameVerification(models.Model):
    """实名认证: the verified name and resident ID number of one account.

    Name and number are stored encrypted (AES-GCM); `id_digest` is a keyed hash, unique,
    so one ID number can verify only one account; `id_masked` is what anyone is shown.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="real_name")
    name_encrypted = models.TextField()
    name_masked = models.CharField(_("name"), max_length=40)
    id_encrypted = models.TextField()
    id_digest = models.CharField(max_length=64, unique=True)
    id_masked = models.CharField(_("ID number"), max_length=18)
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)

    class Meta:
        verbose_name = _("real-name verification")
        verbose_name_plural = _("real-name verifications")

    def __str__(self) -> str:
        return f"{self.name_masked} {self.id_masked}"


class PointsReason(models.TextChoices):
    ATTENDANCE = "attendance", _("Attendance reward")
    NO_SHOW = "no_show", _("No-show penalty")
    REDEMPTION = "redemption", _("Redemption")
    ADJUSTMENT = "adjustment", _("Adjustment")
    WELCOME = "welcome", _("Welcome bonus")


class PointsEntry(models.Model):
    """One line of the points ledger (积分). Append-only: written by `services.award_points`.

    `balance_after` is the user's balance right after this entry; entries of one user
    ordered by id form a chain (each balance_after = previous balance_after + delta).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="points_entries")
    delta = models.IntegerField(_("change"))
    balance_after = models.IntegerField(_("balance"))
    reason = models.CharField(_("reason"), max_length=32, choices=PointsReason.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"], name="points_user_recent")]
        constraints = [
            # A later module rewards or penalises one thing once: (user, reason, reference).
            models.UniqueConstraint(
                fields=["user", "reason", "reference"],
                condition=~models.Q(reference=""),
                name="uniq_points_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} → {self.balance_after}"
