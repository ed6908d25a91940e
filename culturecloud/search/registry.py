"""What can be searched: each app registers its document types here (in AppConfig.ready).

    from culturecloud.search.registry import Document, register

    def resource_document(resource) -> Document:
        return Document(
            doc_type="resources.resource", object_id=resource.pk, title=resource.title,
            subject=" ".join(resource.tags), body=resource.description,
            url=resource.get_absolute_url(), institution=resource.institution,
            category=resource.category, kind=resource.kind, year=resource.year,
            facets={"ich_category": [resource.ich_category]},
            published_at=resource.published_at, popularity=resource.views,
        )

    register(
        "resources.resource", label=_("Resources"), model=Resource,
        to_document=resource_document,
        public_queryset=lambda: published(Resource.objects.select_related("institution")),
    )

After that the index follows the model by itself: every save, delete and review
transition of a registered model schedules `tasks.sync_document` after commit, which
indexes the object when it is in `public_queryset()` and removes it otherwise;
`manage.py reindex --doc-type resources.resource` rebuilds the type from `public_queryset()`.

The registry is filled at import time and read only afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.functional import Promise

if TYPE_CHECKING:
    from culturecloud.institutions.models import Institution

DOC_TYPE_MAX = 64
FACET_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass
class Document:
    """A searchable thing as the index sees it (see SearchDocument for the columns)."""

    doc_type: str
    object_id: str | int
    title: str
    body: str = ""  # plain text (strip HTML first)
    subject: str = ""  # tags, keywords, names: found like the title, ranked between
    url: str = ""
    image: str = ""
    institution: Institution | None = None
    region_code: str = ""  # defaults to the institution's region
    category: str = ""
    kind: str = ""
    language: str = ""
    year: int | None = None
    facets: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    published_at: dt.datetime | None = None
    popularity: int = 0


@dataclass(frozen=True)
class DocType:
    name: str
    label: str | Promise
    model: type[models.Model]
    to_document: Callable[[Any], Document]
    public_queryset: Callable[[], models.QuerySet[Any]]


@dataclass(frozen=True)
class FacetInfo:
    name: str
    label: str | Promise
    value_label: Callable[[str], str] | None = None


_doc_types: dict[str, DocType] = {}
_by_model: dict[type[models.Model], DocType] = {}
_facets: dict[str, FacetInfo] = {}


def register(
    name: str,
    *,
    label: str | Promise,
    model: type[models.Model],
    to_document: Callable[[Any], Document],
    public_queryset: Callable[[], models.QuerySet[Any]],
) -> DocType:
    """Register a document type "<app>.<model>"; call once from the app's AppConfig.ready."""
    if not name or len(name) > DOC_TYPE_MAX or name != name.lower():
        raise ValueError(f"bad document type name {name!r}")
    existing = _doc_types.get(name)
    if existing is not None and existing.model is not model:
        raise ValueError(f"document type {name!r} is already registered")
    doc_type = DocType(name, label, model, to_document, public_queryset)
    _doc_types[name] = doc_type
    _by_model[model] = doc_type
    return doc_type


def register_facet(
    name: str, *, label: str | Promise, value_label: Callable[[str], str] | None = None
) -> None:
    """Name (and optionally label the values of) a facet: a typed column (category, kind,
    language) or a key of `Document.facets`. Unregistered extra facets are not shown."""
    if not name or set(name) - FACET_NAME_CHARS or len(name) > 32:
        raise ValueError(f"bad facet name {name!r}")
    _facets[name] = FacetInfo(name, label, value_label)


def doc_types() -> dict[str, DocType]:
    return dict(_doc_types)


def get_doc_type(name: str) -> DocType | None:
    return _doc_types.get(name)


def doc_type_for_model(model: type[models.Model]) -> DocType | None:
    return _by_model.get(model)


def facet_info(name: str) -> FacetInfo | None:
    return _facets.get(name)


def extra_facet_names() -> list[str]:
    typed = {"category", "kind", "language"}
    return [name for name in _facets if name not in typed]
