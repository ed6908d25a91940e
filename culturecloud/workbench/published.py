"""Published content a reviewer may take down: every Reviewable model, REVIEW scope.

Like the review queue, one UNION over the models gives the count and one page (newest
publication first), then one query per model present on the page hydrates the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

from django.db.models import CharField, DateTimeField, QuerySet, Value
from django.db.models.functions import Cast, Coalesce

from culturecloud.core.models import Reviewable, ReviewStatus
from culturecloud.core.queries import model_label
from culturecloud.core.review import reviewable_models
from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import Perm, scope_queryset


class PublishedContent:
    """Lazy, for Django's Paginator: `count()` is one query, a slice one UNION query plus
    one query per model on the page."""

    ordered = True

    def __init__(self, querysets: dict[str, QuerySet[Any]]) -> None:
        self._querysets = querysets

    def _keys(self) -> QuerySet[Any] | None:
        parts = [
            qs.order_by()
            .annotate(cc_when=Coalesce("published_at", "updated_at", output_field=DateTimeField()))
            .annotate(cc_type=Value(label, output_field=CharField()))
            .annotate(cc_key=Cast("pk", output_field=CharField()))
            .values_list("cc_when", "cc_type", "cc_key")
            for label, qs in self._querysets.items()
        ]
        if not parts:
            return None
        combined = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
        return combined.order_by("-cc_when", "cc_type", "-cc_key")

    def count(self) -> int:
        if len(self._querysets) == 1:
            return next(iter(self._querysets.values())).count()
        keys = self._keys()
        return keys.count() if keys is not None else 0

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> Reviewable: ...

    @overload
    def __getitem__(self, index: slice) -> list[Reviewable]: ...

    def __getitem__(self, index: int | slice) -> Reviewable | list[Reviewable]:
        if isinstance(index, int):
            items = self[index : index + 1]
            if not items:
                raise IndexError(index)
            return items[0]
        keys = self._keys()
        if keys is None:
            return []
        return self._hydrate([(label, key) for _when, label, key in keys[index]])

    def __iter__(self) -> Iterator[Reviewable]:
        return iter(self[0 : self.count()])

    def _hydrate(self, keys: list[tuple[str, str]]) -> list[Reviewable]:
        wanted: dict[str, list[str]] = {}
        for label, key in keys:
            wanted.setdefault(label, []).append(key)
        objects: dict[tuple[str, str], Reviewable] = {}
        for label, ids in wanted.items():
            rows = self._querysets[label].select_related("institution", "created_by", "reviewed_by")
            for obj in rows.filter(pk__in=ids):
                objects[(label, str(obj.pk))] = obj
        # An item unpublished between the two queries is left out.
        return [objects[key] for key in keys if key in objects]


def published_content(
    user: Any,
    *,
    model: type[Reviewable] | None = None,
    institution: Institution | None = None,
) -> PublishedContent:
    """Published items the user may unpublish (REVIEW scope), optionally of one model and
    inside one institution's subtree."""
    querysets: dict[str, QuerySet[Any]] = {}
    for each in [model] if model is not None else reviewable_models():
        qs = scope_queryset(
            each._default_manager.filter(status=ReviewStatus.PUBLISHED), user, Perm.REVIEW
        )
        if institution is not None:
            qs = qs.filter(institution__path__startswith=institution.path)
        querysets[model_label(each)] = qs
    return PublishedContent(querysets)
