"""Admin for platform superusers: view-only. Every write goes through resources.services
(validation, sanitizing, audit) and the review workflow; the admin only shows the rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Collection, Comment, HeritageProject, Inheritor, Resource, Tag


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Resource)
class ResourceAdmin(ReadOnly):
    list_display = ("title", "kind", "category", "ich_category", "institution", "status", "year")
    list_filter = ("status", "kind", "category", "ich_category")
    search_fields = ("title", "identifier")
    list_select_related = ("institution",)
    raw_id_fields = ("media", "heritage_project", "region")


@admin.register(HeritageProject)
class HeritageProjectAdmin(ReadOnly):
    list_display = ("name", "code", "level", "ich_category", "institution")
    list_filter = ("level", "ich_category")
    search_fields = ("name", "code")


@admin.register(Inheritor)
class InheritorAdmin(ReadOnly):
    list_display = ("name", "project", "level")
    list_filter = ("level",)
    search_fields = ("name",)
    list_select_related = ("project",)


@admin.register(Collection)
class CollectionAdmin(ReadOnly):
    list_display = ("title", "institution", "status")
    list_filter = ("status",)
    list_select_related = ("institution",)


@admin.register(Comment)
class CommentAdmin(ReadOnly):
    list_display = ("resource", "user", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("resource", "user")


@admin.register(Tag)
class TagAdmin(ReadOnly):
    search_fields = ("name",)
