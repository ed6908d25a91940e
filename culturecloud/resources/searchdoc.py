"""The resource library in the search index: document type "resources.resource".

Only published resources of active institutions are indexed (`public_queryset`); the
search app follows every save, delete and review transition by itself. Facets: kind,
category, ich_category (an extra facet), year, region, institution.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from culturecloud.search.registry import Document, register, register_facet

from .models import ArtCategory, IchCategory, Resource, ResourceKind
from .presentation import thumbnail_url
from .services import plain_text, public_resources

DOC_TYPE = "resources.resource"


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def category_label(value: str) -> str:
    return _label(ArtCategory, value)


def ich_category_label(value: str) -> str:
    return _label(IchCategory, value)


def kind_label(value: str) -> str:
    return _label(ResourceKind, value)


def indexed_resources() -> QuerySet[Resource]:
    return (
        public_resources()
        .select_related("institution", "region", "media", "heritage_project")
        .prefetch_related("tags", "inheritors", "images__asset")
    )


def resource_document(resource: Resource) -> Document:
    words = [resource.subject, resource.creator, resource.contributor, resource.period]
    words += [tag.name for tag in resource.tags.all()]
    if resource.heritage_project is not None:
        words.append(resource.heritage_project.name)
    words += [person.name for person in resource.inheritors.all()]
    body = " ".join(plain_text(resource.description).split())
    facets = {"ich_category": [resource.ich_category]} if resource.ich_category else {}
    return Document(
        doc_type=DOC_TYPE,
        object_id=resource.pk,
        title=resource.title,
        subject=" ".join(w for w in words if w)[:1000],
        body=body,
        url=resource.get_absolute_url(),
        image=thumbnail_url(resource),
        institution=resource.institution,
        region_code=resource.region_id or "",
        category=resource.category,
        kind=resource.kind,
        language=resource.language,
        year=resource.year,
        facets=facets,
        published_at=resource.published_at,
        popularity=resource.view_count,
    )


def register_doc_type() -> None:
    register(
        DOC_TYPE,
        label=_("Digital resources"),
        model=Resource,
        to_document=resource_document,
        public_queryset=indexed_resources,
    )
    register_facet(
        "ich_category", label=_("Intangible heritage category"), value_label=ich_category_label
    )
    # Values of the shared typed facets: labels for the library's codes, anything else as is.
    register_facet("category", label=_("Category"), value_label=category_label)
    register_facet("kind", label=_("Kind"), value_label=kind_label)
