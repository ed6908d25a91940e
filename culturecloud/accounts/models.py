from __future__ import annotations

import secrets
from typing import Any

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

    def create_user(self, username: str | None = None, password: str | None = None, **extra: Any) -> User:
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
    phone_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
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
    REQUIRED_FIELDS: list[str] = []

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
