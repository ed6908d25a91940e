"""Admin for platform administrators: masked personal data only, ledger read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ApiToken, Consent, PointsEntry, RealNameVerification, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts: the mobile number appears masked; encrypted fields and hashes are not shown."""

    list_display = (
        "username",
        "phone_masked",
        "nickname",
        "kind",
        "points_balance",
        "is_active",
        "date_joined",
    )
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("username", "nickname")
    ordering = ("-date_joined",)
    fields = (
        "username",
        "phone_masked",
        "kind",
        "nickname",
        "organisation_name",
        "region",
        "points_balance",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
        "erased_at",
    )
    readonly_fields = (
        "username",
        "phone_masked",
        "points_balance",
        "date_joined",
        "last_login",
        "erased_at",
    )
    raw_id_fields = ("region",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are created by sign-up or `create_user_with_phone`

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletion is erasure (services.erase_account), which keeps legal records


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "prefix",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    fields = ("name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "delta", "balance_after", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("reference",)
    fields = ("created_at", "user", "delta", "balance_after", "reason", "reference")
    list_select_related = ("user",)


@admin.register(RealNameVerification)
class RealNameVerificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "name_masked", "id_masked", "verified_at")
    fields = ("user", "name_masked", "id_masked", "verified_at")
    list_select_related = ("user",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("user", "purpose", "policy_version", "granted_at", "withdrawn_at")
    list_filter = ("purpose", "policy_version")
    fields = ("user", "purpose", "policy_version", "granted_at", "ip", "withdrawn_at")
    list_select_related = ("user",)
