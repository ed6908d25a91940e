"""Admin for platform superusers: read-mostly; the writes that matter go through services.

Tree structure (parent, path, depth), merges and logos are never edited here: moves and
merges have their own locked services, logos are checked and re-encoded on upload.
Articles are view-only: their state changes only through the review workflow.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from culturecloud.core.errors import ServiceError
from culturecloud.core.forms import add_service_error

from . import services
from .models import Article, Institution, Membership, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    readonly_fields = ("code", "name", "level", "parent")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def https_url_fields(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Django 6 makes https the default scheme of URL form fields; take it now."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class InstitutionAddForm(forms.ModelForm):
    class Meta:
        formfield_callback = https_url_fields
        model = Institution
        fields = (
            "code",
            "name",
            "short_name",
            "kind",
            "parent",
            "region",
            "address",
            "postcode",
            "phone",
            "email",
            "contact_name",
            "website",
            "description",
            "opening_hours",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, parent = data.get("kind"), data.get("parent")
        if kind and parent is None and kind != "national":
            raise ValidationError(_("Only the national centre has no parent institution."))
        if kind and parent is not None and not services.kind_allowed_under(kind, parent.kind):
            raise ValidationError(_("This kind of institution cannot be placed there."))
        if parent is None and Institution.objects.filter(parent__isnull=True).exists():
            raise ValidationError(_("The national centre already exists."))
        try:
            services.validate_code(data.get("code") or "")
            profile = {k: v for k, v in data.items() if k in services.PROFILE_FIELDS}
            services._clean_profile(self.instance, profile)
        except ServiceError as exc:
            add_service_error(self, exc)
        return data


class InstitutionChangeForm(forms.ModelForm):
    """Checks the changed profile fields with the same rules the service applies."""

    class Meta:
        formfield_callback = https_url_fields
        model = Institution
        fields = list(services.PROFILE_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        changed = {k: data.get(k) for k in self.changed_data if k in services.PROFILE_FIELDS}
        try:
            services._clean_profile(self.instance, changed)
        except ServiceError as exc:
            add_service_error(self, exc)
        return data


PROFILE_FIELDS = list(services.PROFILE_FIELDS)


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "region", "depth", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "code")
    list_select_related = ("region",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    raw_id_fields = ("parent", "region")
    show_full_result_count = False
    ordering = ("path",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = InstitutionAddForm if obj is None else InstitutionChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return InstitutionAddForm.Meta.fields
        return [
            "code",
            "kind",
            "parent",
            "path",
            "depth",
            "is_active",
            "merged_into",
            "logo",
            *PROFILE_FIELDS,
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("code", "kind", "parent", "path", "depth", "is_active", "merged_into", "logo")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in PROFILE_FIELDS}
            services.update_institution(actor=request.user, institution=obj, **fields)
            return
        profile = {
            k: v for k, v in data.items() if k not in {"code", "name", "kind", "parent", "region"}
        }
        created = services.create_institution(
            actor=request.user,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            parent=data.get("parent"),
            region=data.get("region"),
            **profile,
        )
        obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # institutions are merged or closed, never deleted


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "institution", "role")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "institution", "role", "granted_by", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__nickname", "institution__name", "institution__code")
    list_select_related = ("user", "institution", "granted_by")
    raw_id_fields = ("user", "institution")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "institution") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            saved = services.change_member_role(
                actor=request.user, membership=obj, role=form.cleaned_data["role"]
            )
        else:
            saved = services.add_member(
                actor=request.user,
                institution=form.cleaned_data["institution"],
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.remove_member(actor=request.user, membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("institution"):
            services.remove_member(actor=request.user, membership=membership)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "institution", "status", "published_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("title", "institution__name", "institution__code")
    list_select_related = ("institution",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
