"""The Django admin: platform superusers only, the audit log read-only.

Institution staff never use the admin; they work in the workbench, where every read
and write is scoped to their part of the institution tree. The default `admin.site`
object is kept (other apps register on it); only its permission check is narrowed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from culturecloud.institutions.permissions import is_platform_admin

from .models import AuditEntry


def _platform_superusers_only(request: HttpRequest) -> bool:
    return is_platform_admin(getattr(request, "user", None))


admin.site.has_permission = _platform_superusers_only  # type: ignore[method-assign]
admin.site.site_header = _("CultureCloud administration")
admin.site.site_title = _("CultureCloud administration")
admin.site.index_title = _("Platform administration")
admin.site.site_url = "/"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The append-only audit log: searchable, never added to, changed or deleted here."""

    list_display = ("created_at", "action", "actor_label", "target_label", "institution", "ip")
    list_filter = ("target_type",)
    search_fields = ("action", "actor_label", "target_label", "target_id", "request_id")
    list_select_related = ("institution",)
    show_full_result_count = False
    readonly_fields = (
        "created_at",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "institution",
        "institution_path",
        "ip",
        "user_agent",
        "request_id",
        "before",
        "after",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
