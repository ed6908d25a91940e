"""The review workflow shared by every module's content.

    draft ──submit──▶ pending ──approve──▶ published ──unpublish──▶ unpublished
      ▲                 │  └──reject(reason)──▶ rejected                │
      └────withdraw─────┘                          │                    │
      └──────────────── edit (back to draft) ◀─────┴────────────────────┘

Editors (EDIT_CONTENT) submit, withdraw and reopen; reviewers (REVIEW) at the content's
institution or above approve, reject and unpublish. Each transition locks the row,
re-checks the state under the lock, writes the audit entry
"<audit_namespace>.<transition>", all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from culturecloud.institutions.permissions import Perm, check_perm

from . import audit
from .errors import Conflict, ServiceError
from .models import Reviewable, ReviewStatus

R = TypeVar("R", bound=Reviewable)

S = ReviewStatus
TRANSITIONS: dict[str, tuple[frozenset[str], str, Perm]] = {
    # name: (allowed from, to, permission needed)
    "submitted": (frozenset({S.DRAFT, S.REJECTED, S.UNPUBLISHED}), S.PENDING, Perm.EDIT_CONTENT),
    "withdrawn": (frozenset({S.PENDING}), S.DRAFT, Perm.EDIT_CONTENT),
    "reopened": (frozenset({S.REJECTED, S.UNPUBLISHED}), S.DRAFT, Perm.EDIT_CONTENT),
    "approved": (frozenset({S.PENDING}), S.PUBLISHED, Perm.REVIEW),
    "rejected": (frozenset({S.PENDING}), S.REJECTED, Perm.REVIEW),
    "unpublished": (frozenset({S.PUBLISHED}), S.UNPUBLISHED, Perm.REVIEW),
}

# Called after commit with (instance, transition name); modules register to reindex,
# notify or invalidate caches. Registration happens at import (AppConfig.ready), so the
# list is fixed once the process is up.
_listeners: list[Callable[[Reviewable, str], None]] = []


def on_transition(listener: Callable[[Reviewable, str], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def published(queryset: QuerySet[R]) -> QuerySet[R]:
    """What the public may see."""
    return queryset.filter(status=ReviewStatus.PUBLISHED)


def transition(obj: R, name: str, *, actor: Any, reason: str = "") -> R:
    """Apply transition `name` to `obj` as `actor`; raises PermissionDenied or Conflict."""
    if name not in TRANSITIONS:
        raise ServiceError(_("Unknown review action."), code="unknown_transition")
    allowed_from, target, perm = TRANSITIONS[name]
    reason = reason.strip()
    if name == "rejected" and not reason:
        raise ServiceError(
            _("Please give a reason for the rejection."),
            code="reason_required",
            fields={"reason": [_("This field is required.")]},
        )
    model = type(obj)
    with transaction.atomic():
        locked = (
            model._default_manager.select_for_update(of=("self",))
            .select_related("institution")
            .get(pk=obj.pk)
        )
        check_perm(actor, perm, locked.institution)
        if locked.status not in allowed_from:
            raise Conflict(
                _("This item is “%(status)s”; that action is not possible now.")
                % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        if name == "approved" and locked.created_by_id == actor.pk and not actor.is_superuser:
            raise Conflict(
                _("You cannot approve content you created yourself."), code="self_review"
            )
        before = {"status": locked.status}
        now = timezone.now()
        locked.status = target
        fields = ["status", "updated_at"]
        if name == "submitted":
            locked.submitted_at = now
            locked.rejection_reason = ""
            fields += ["submitted_at", "rejection_reason"]
        if perm is Perm.REVIEW:
            locked.reviewed_by = actor
            locked.reviewed_at = now
            fields += ["reviewed_by", "reviewed_at"]
        if name == "approved":
            locked.published_at = now
            fields.append("published_at")
        if name in {"rejected", "unpublished"}:
            locked.rejection_reason = reason
            fields.append("rejection_reason")
        locked.save(update_fields=fields)
        after: dict[str, Any] = {"status": target}
        if reason:
            after["reason"] = reason
        audit.record(
            f"{locked.audit_namespace}.{name}",
            actor=actor,
            target=locked,
            target_label=locked.audit_label(),
            before=before,
            after=after,
        )
        for listener in _listeners:
            transaction.on_commit(partial(listener, locked, name))
    return locked


def submit(obj: R, *, actor: Any) -> R:
    return transition(obj, "submitted", actor=actor)


def withdraw(obj: R, *, actor: Any) -> R:
    return transition(obj, "withdrawn", actor=actor)


def reopen(obj: R, *, actor: Any) -> R:
    return transition(obj, "reopened", actor=actor)


def approve(obj: R, *, actor: Any) -> R:
    return transition(obj, "approved", actor=actor)


def reject(obj: R, *, actor: Any, reason: str) -> R:
    return transition(obj, "rejected", actor=actor, reason=reason)


def unpublish(obj: R, *, actor: Any, reason: str = "") -> R:
    return transition(obj, "unpublished", actor=actor, reason=reason)


def reviewable_models() -> list[type[Reviewable]]:
    """Every concrete Reviewable model: the workbench queue lists them all."""
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, Reviewable)]
