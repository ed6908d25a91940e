"""Admin for platform superusers: view only. Uploads, retries and deletions go through
the services (the /uploads/ page and the API), which check content, scope and audit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import MediaAsset, UploadSession


class ViewOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MediaAsset)
class MediaAssetAdmin(ViewOnly):
    list_display = ("original_name", "kind", "status", "error_code", "institution", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("original_name", "sha256", "institution__name", "institution__code")
    list_select_related = ("institution",)
    date_hierarchy = "created_at"


@admin.register(UploadSession)
class UploadSessionAdmin(ViewOnly):
    list_display = ("filename", "status", "received_bytes", "expected_size", "expires_at")
    list_filter = ("status",)
    search_fields = ("filename",)
