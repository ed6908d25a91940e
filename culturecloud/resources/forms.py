"""Forms of the library's pages. They only parse; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from culturecloud.institutions.models import Institution
from culturecloud.workbench.forms import InstitutionChoiceField

from .models import (
    ArtCategory,
    Audience,
    Collection,
    HeritageLevel,
    HeritageProject,
    IchCategory,
    Inheritor,
    Resource,
    ResourceKind,
    Rights,
)
from .services import MAX_BIO, MAX_COMMENT, MAX_DESCRIPTION, MAX_HERITAGE_TEXT


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class ResourceForm(forms.Form):
    institution = forms.ChoiceField(label=_("Institution"))
    title = forms.CharField(label=_("Title"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    category = forms.ChoiceField(
        label=_("Art category"), choices=_blank(_("Choose…")) + list(ArtCategory.choices)
    )
    ich_category = forms.ChoiceField(
        label=_("Intangible heritage category"),
        required=False,
        choices=_blank(_("None")) + list(IchCategory.choices),
    )
    heritage_project = forms.TypedChoiceField(
        label=_("Heritage project"), required=False, coerce=int, empty_value=None
    )
    inheritors = forms.TypedMultipleChoiceField(
        label=_("Inheritors"),
        required=False,
        coerce=int,
        help_text=_("Inheritors of the chosen heritage project."),
    )
    creator = forms.CharField(label=_("Creator"), required=False, max_length=200)
    contributor = forms.CharField(label=_("Contributors"), required=False, max_length=300)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=700,
        help_text=_("Separate tags with commas."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Paragraphs, headings, lists, links and emphasis are kept; anything else is removed."
        ),
    )
    date = forms.CharField(
        label=_("Date"), required=False, max_length=10, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD.")
    )
    region = forms.CharField(
        label=_("Region (code)"),
        required=False,
        max_length=6,
        help_text=_("Six-digit administrative division code, for example 440117."),
    )
    period = forms.CharField(label=_("Period"), required=False, max_length=100)
    language = forms.CharField(label=_("Language"), required=False, max_length=16, initial="zh")
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    rights = forms.ChoiceField(label=_("Rights"), choices=Rights.choices)
    rights_statement = forms.CharField(
        label=_("Rights statement"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    identifier = forms.CharField(
        label=_("Identifier"),
        required=False,
        max_length=255,
        help_text=_("Leave empty to have one made."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=300)
    relation = forms.CharField(label=_("Relation"), required=False, max_length=300)
    format = forms.CharField(
        label=_("Format"),
        required=False,
        max_length=100,
        help_text=_("Leave empty to use the content type of the media file."),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        institutions: QuerySet[Institution] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        if institutions is None:  # editing: the institution does not change
            del self.fields["institution"]
        else:
            field = InstitutionChoiceField(label=_("Institution"), institutions=institutions)
            self.fields["institution"] = field
            self.order_fields(["institution"])
        projects = HeritageProject.objects.order_by("name", "pk")[:500]
        project_field = self.fields["heritage_project"]
        assert isinstance(project_field, forms.ChoiceField)
        project_field.choices = _blank(_("None")) + [(p.pk, p.name) for p in projects]
        inheritor_field = self.fields["inheritors"]
        assert isinstance(inheritor_field, forms.ChoiceField)
        inheritor_field.choices = [
            (i.pk, f"{i.name} ({i.project.name})")
            for i in Inheritor.objects.select_related("project").order_by("name", "pk")[:500]
        ]

    @staticmethod
    def initial_for(resource: Resource) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(resource, name)
            for name in (
                "title", "kind", "category", "ich_category", "creator", "contributor",
                "subject", "description", "date", "period", "language", "audience",
                "rights", "rights_statement", "identifier", "source", "relation", "format",
            )
        }  # fmt: skip
        initial["heritage_project"] = resource.heritage_project_id or ""
        initial["inheritors"] = [i.pk for i in resource.inheritors.all()]
        initial["tags"] = ", ".join(t.name for t in resource.tags.all())
        initial["region"] = resource.region_id or ""
        return initial

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("institution", None)
        data["inheritors"] = data.get("inheritors") or []
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Comments are shown after a member of staff has approved them."),
    )


class CollectionForm(forms.Form):
    institution = forms.ChoiceField(label=_("Institution"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    resources = forms.CharField(
        label=_("Resources"),
        required=False,
        max_length=5000,
        help_text=_("Numbers of the resources, in order, separated by commas or spaces."),
    )

    def __init__(
        self, data: Any = None, *, institutions: QuerySet[Institution] | None, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        if institutions is None:
            del self.fields["institution"]
        else:
            field = InstitutionChoiceField(label=_("Institution"), institutions=institutions)
            self.fields["institution"] = field
            self.order_fields(["institution"])

    def resource_ids(self) -> list[str]:
        raw = self.cleaned_data.get("resources") or ""
        return [part for part in raw.replace(",", " ").replace("，", " ").split() if part]

    @staticmethod
    def initial_for(collection: Collection) -> dict[str, Any]:
        ids = collection.items.order_by("position").values_list("resource_id", flat=True)
        return {
            "title": collection.title,
            "description": collection.description,
            "resources": ", ".join(str(pk) for pk in ids),
        }


class HeritageProjectForm(forms.Form):
    institution = forms.ChoiceField(label=_("Institution"))
    name = forms.CharField(label=_("Name"), max_length=120)
    code = forms.CharField(
        label=_("List number"), required=False, max_length=32, help_text=_("For example Ⅱ-1.")
    )
    ich_category = forms.ChoiceField(
        label=_("Intangible heritage category"),
        choices=_blank(_("Choose…")) + list(IchCategory.choices),
    )
    level = forms.ChoiceField(
        label=_("Level"), choices=_blank(_("Choose…")) + list(HeritageLevel.choices)
    )
    region = forms.CharField(
        label=_("Region (code)"),
        required=False,
        max_length=6,
        help_text=_("Six-digit administrative division code, for example 440117."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_HERITAGE_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
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
            self.order_fields(["institution"])

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("institution", None)
        return data

    @staticmethod
    def initial_for(project: HeritageProject) -> dict[str, Any]:
        return {
            "name": project.name,
            "code": project.code,
            "ich_category": project.ich_category,
            "level": project.level,
            "region": project.region_id or "",
            "description": project.description,
        }


class InheritorForm(forms.Form):
    project = forms.TypedChoiceField(label=_("Heritage project"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=60)
    level = forms.ChoiceField(
        label=_("Level"), choices=_blank(_("Choose…")) + list(HeritageLevel.choices)
    )
    region = forms.CharField(
        label=_("Region (code)"),
        required=False,
        max_length=6,
        help_text=_("Six-digit administrative division code, for example 440117."),
    )
    bio = forms.CharField(
        label=_("Short biography"),
        required=False,
        max_length=MAX_BIO,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only what the public list says; no contact or identity data."),
    )

    def __init__(
        self, data: Any = None, *, projects: QuerySet[HeritageProject], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.projects = projects
        field = self.fields["project"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = _blank(_("Choose…")) + [(p.pk, p.name) for p in projects[:500]]

    def chosen_project(self) -> HeritageProject | None:
        pk = self.cleaned_data.get("project")
        return self.projects.filter(pk=pk).first() if pk else None

    @staticmethod
    def initial_for(inheritor: Inheritor) -> dict[str, Any]:
        return {
            "project": inheritor.project_id,
            "name": inheritor.name,
            "level": inheritor.level,
            "region": inheritor.region_id or "",
            "bio": inheritor.bio,
        }
