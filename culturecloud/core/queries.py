"""Staff reads shared by the workbench pages and the API: review queue, audit log, drafts.

Every function here is scoped by `culturecloud.institutions.permissions`; nothing
else decides what a staff member may read. Query counts stay flat in the number of
rows: the review queue is one UNION over every Reviewable model (count + one page),
then one query per model present on the page and one for the submitters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import Perm, has_perm, scope_queryset

from .models import AuditEntry, Reviewable, ReviewStatus
from .review import TRANSITIONS, reviewable_models

# Verbs of the staff API and the workbench forms → transition names of core.review.
ACTION_TRANSITIONS: dict[str, str] = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "reopen": "reopened",
    "approve": "approved",
    "reject": "rejected",
    "unpublish": "unpublished",
}
# Actions whose reason is kept (and shown to the editor).
ACTIONS_WITH_REASON = frozenset({"reject", "unpublish"})


def model_label(model: type[Reviewable] | Reviewable) -> str:
    """The content type as the API spells it: "institutions.article"."""
    return model._meta.label_lower


def reviewable_model(label: str) -> type[Reviewable] | None:
    """The Reviewable model called `label` ("institutions.article"), or None."""
    label = (label or "").strip().lower()
    for model in reviewable_models():
        if model_label(model) == label:
            return model
    return None


@dataclass(frozen=True)
class QueueItem:
    """One pending item of the review queue, with who submitted it."""

    obj: Reviewable
    submitted_by: str

    @property
    def content_type(self) -> str:
        return model_label(self.obj)

    @property
    def type_name(self) -> str:
        return str(self.obj._meta.verbose_name)

    @property
    def id(self) -> int:
        return int(self.obj.pk)

    @property
    def title(self) -> str:
        return self.obj.audit_label()

    @property
    def institution(self) -> Institution:
        return self.obj.institution

    @property
    def status(self) -> str:
        return self.obj.status

    @property
    def submitted_at(self) -> dt.datetime | None:
        return self.obj.submitted_at

    @property
    def created_by(self) -> str:
        user = self.obj.created_by
        return user.get_short_name() if user is not None else ""


class ReviewQueue:
    """The pending items of a user's review scope, oldest submission first.

    Lazy like a QuerySet: `count()` is one query, a slice is one UNION query for the
    page plus one per model on the page plus one for the submitters. Works with
    Django's Paginator and Ninja's `@paginate`.
    """

    ordered = True  # for Django's Paginator

    def __init__(self, querysets: dict[str, QuerySet[Any]]) -> None:
        self._querysets = querysets

    def all(self) -> ReviewQueue:
        return self

    def _keys(self) -> QuerySet[Any] | None:
        parts = [
            qs.order_by()
            .annotate(cc_type=Value(label, output_field=CharField()))
            .annotate(cc_key=Cast("pk", output_field=CharField()))
            .values_list("submitted_at", "cc_type", "cc_key")
            for label, qs in self._querysets.items()
        ]
        if not parts:
            return None
        combined = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
        return combined.order_by("submitted_at", "cc_type", "cc_key")

    def count(self) -> int:
        if len(self._querysets) == 1:
            return next(iter(self._querysets.values())).count()
        keys = self._keys()
        return keys.count() if keys is not None else 0

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> QueueItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[QueueItem]: ...

    def __getitem__(self, index: int | slice) -> QueueItem | list[QueueItem]:
        if isinstance(index, int):
            items = self[index : index + 1]
            if not items:
                raise IndexError(index)
            return items[0]
        keys = self._keys()
        if keys is None:
            return []
        rows = list(keys[index])
        return self._hydrate([(label, key) for _submitted, label, key in rows])

    def __iter__(self) -> Iterator[QueueItem]:
        return iter(self[0 : self.count()])

    def _hydrate(self, keys: list[tuple[str, str]]) -> list[QueueItem]:
        wanted: dict[str, list[str]] = {}
        for label, key in keys:
            wanted.setdefault(label, []).append(key)
        objects: dict[tuple[str, str], Reviewable] = {}
        for label, ids in wanted.items():
            model = self._querysets[label].model
            rows = model._default_manager.select_related("institution", "created_by").filter(
                pk__in=ids
            )
            for obj in rows:
                objects[(label, str(obj.pk))] = obj
        submitters = last_submitters(list(objects))
        return [
            QueueItem(obj=objects[key], submitted_by=submitters.get(key, ""))
            for key in keys
            if key in objects  # gone between the two queries
        ]


def last_submitters(keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Who last submitted each item, from the audit log (one query)."""
    if not keys:
        return {}
    condition = Q()
    by_label: dict[str, list[str]] = {}
    for label, key in keys:
        by_label.setdefault(label, []).append(key)
    for label, ids in by_label.items():
        condition |= Q(target_type=label, target_id__in=ids)
    rows = (
        AuditEntry.objects.filter(condition, action__endswith=".submitted")
        .order_by("created_at", "id")
        .values_list("target_type", "target_id", "actor_label")
    )
    return {(label, key): actor for label, key, actor in rows}  # the latest one wins


def review_queue(
    user: Any,
    *,
    model: type[Reviewable] | None = None,
    institution: Institution | None = None,
) -> ReviewQueue:
    """Pending items the user may decide (REVIEW scope), optionally of one model and
    inside one institution's subtree."""
    models = [model] if model is not None else reviewable_models()
    querysets: dict[str, QuerySet[Any]] = {}
    for each in models:
        qs = scope_queryset(
            each._default_manager.filter(status=ReviewStatus.PENDING), user, Perm.REVIEW
        )
        if institution is not None:
            qs = qs.filter(institution__path__startswith=institution.path)
        querysets[model_label(each)] = qs
    return ReviewQueue(querysets)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_log(
    user: Any,
    *,
    action_prefix: str | None = None,
    institution: Institution | None = None,
    actor: Any = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries of the user's READ_AUDIT subtrees, newest first.

    `since`/`until` are inclusive; a date means the whole day in the current time zone.
    Platform-level entries (no institution) are seen by platform administrators only.
    """
    qs = scope_queryset(
        AuditEntry.objects.select_related("institution"),
        user,
        Perm.READ_AUDIT,
        path_field="institution_path",
    )
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix.strip())
    if institution is not None:
        qs = qs.filter(institution_path__startswith=institution.path)
    if actor is not None:
        qs = qs.filter(actor=actor)
    if since is not None:
        start = since if isinstance(since, dt.datetime) else _start_of(since)
        qs = qs.filter(created_at__gte=start)
    if until is not None:
        if isinstance(until, dt.datetime):
            qs = qs.filter(created_at__lte=until)
        else:
            qs = qs.filter(created_at__lt=_start_of(until + dt.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def content_for_editor(user: Any, model: type[Reviewable]) -> QuerySet[Any]:
    """Every item of `model` in the user's EDIT_CONTENT scope, whatever its state,
    most recently changed first."""
    qs = model._default_manager.select_related("institution", "created_by", "reviewed_by")
    return scope_queryset(qs, user, Perm.EDIT_CONTENT).order_by("-updated_at", "-pk")


def visible_to_staff(user: Any, model: type[Reviewable]) -> QuerySet[Any]:
    """Items of `model` a staff member may see at all (WORKBENCH scope): the rows a
    staff action may address. Anything else is answered with "not found"."""
    return scope_queryset(
        model._default_manager.select_related("institution"), user, Perm.WORKBENCH
    )


def available_actions(user: Any, obj: Reviewable) -> list[str]:
    """The actions `user` may take on `obj` now (state and role), in workflow order.

    Mirrors core.review's checks so pages offer only buttons that will work; the
    service still decides when one is pressed."""
    result = []
    for action, name in ACTION_TRANSITIONS.items():
        allowed_from, _target, perm = TRANSITIONS[name]
        if obj.status not in allowed_from or not has_perm(user, perm, obj.institution):
            continue
        if name == "approved" and obj.created_by_id == user.pk and not user.is_superuser:
            continue
        result.append(action)
    return result


def count_by_status(user: Any, perm: Perm, status: str) -> int:
    """How many items of every Reviewable model in `perm` scope are in `status`."""
    total = 0
    for model in reviewable_models():
        total += scope_queryset(model._default_manager.filter(status=status), user, perm).count()
    return total
