"""Forms of the workbench pages. They only parse input; services validate and decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from culturecloud.institutions.models import Article, Institution, Role

from .scope import institution_choices


class InstitutionChoiceField(forms.ChoiceField):
    """An institution by code, among the ones the page offers (the user's scope)."""

    def __init__(self, *, institutions: QuerySet[Institution], **kwargs: Any) -> None:
        super().__init__(choices=institution_choices(institutions), **kwargs)
        self.institutions = institutions

    def clean(self, value: Any) -> Institution | None:  # type: ignore[override]
        code = super().clean(value)
        if not code:
            return None
        return next((i for i in self.institutions if i.code == code), None)


class QueueFilterForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), required=False)
    institution = forms.ChoiceField(label=_("Institution"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        types: list[tuple[str, str]],
        institutions: QuerySet[Institution],
    ) -> None:
        super().__init__(data)
        type_field = cast(forms.ChoiceField, self.fields["type"])
        type_field.choices = [("", _("All types")), *types]
        institution_field = InstitutionChoiceField(
            label=_("Institution"),
            required=False,
            institutions=institutions,
        )
        institution_field.choices = [
            ("", _("All institutions in my scope")),
            *institution_field.choices,  # type: ignore[misc]
        ]
        self.fields["institution"] = institution_field


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        help_text=_("The beginning of an action code, e.g. “institutions.article”."),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, data: Any, *, institutions: QuerySet[Institution]) -> None:
        super().__init__(data)
        field = InstitutionChoiceField(
            label=_("Institution"), required=False, institutions=institutions
        )
        field.choices = [("", _("All institutions in my scope")), *field.choices]  # type: ignore[misc]
        self.fields["institution"] = field
        self.order_fields(["action", "institution", "since", "until"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AddMemberForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("The person must already have an account with this number."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ProfileForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("institution", "Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=60, required=False)
    region_code = forms.CharField(
        label=_("Region code"),
        max_length=6,
        required=False,
        help_text=_("The six-digit administrative division code, e.g. 440117."),
    )
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=6, required=False)
    phone = forms.CharField(label=_("Public phone"), max_length=32, required=False)
    email = forms.CharField(label=_("Public email"), max_length=254, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    logo = forms.FileField(
        label=_("New logo"),
        required=False,
        help_text=_("A JPEG, PNG, WebP or GIF image of at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    PROFILE_FIELDS = (
        "name",
        "short_name",
        "region_code",
        "address",
        "postcode",
        "phone",
        "email",
        "contact_name",
        "website",
        "opening_hours",
        "description",
    )

    @classmethod
    def initial_for(cls, institution: Institution) -> dict[str, Any]:
        initial = {name: getattr(institution, name, "") for name in cls.PROFILE_FIELDS}
        initial["region_code"] = institution.region_id or ""
        return initial


class ArticleForm(forms.Form):
    institution = forms.ChoiceField(label=_("Institution"))
    title = forms.CharField(
        label=_("Title"), max_length=Article._meta.get_field("title").max_length
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=Article._meta.get_field("summary").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=100_000,
        help_text=_(
            "Paragraphs, headings, lists, links and emphasis are kept; anything else is removed."
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    def __init__(
        self, data: Any = None, *, institutions: QuerySet[Institution] | None, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        if institutions is None:  # editing: the institution does not change
            del self.fields["institution"]
        else:
            field = InstitutionChoiceField(label=_("Institution"), institutions=institutions)
            self.fields["institution"] = field
            self.order_fields(["institution", "title", "summary", "body"])
