"""Keep the index in step with registered models: every save, delete and review transition
of a searchable object schedules `tasks.sync_document` after commit."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from culturecloud.core import review
from culturecloud.core.models import Reviewable, ReviewStatus

from .registry import doc_type_for_model
from .services import schedule_sync

PUBLICITY_TRANSITIONS = frozenset({"approved", "unpublished"})
# What core.review.transition saves; such saves are followed by on_transition instead.
REVIEW_FIELDS = frozenset(
    {
        "status",
        "updated_at",
        "submitted_at",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "published_at",
    }
)


def on_save(
    sender: type,
    instance: Any,
    created: bool = False,
    raw: bool = False,
    update_fields: Any = None,
    **kw: Any,
) -> None:
    if raw or doc_type_for_model(sender) is None:
        return
    if update_fields and set(update_fields) <= REVIEW_FIELDS:
        return  # a review transition: on_review_transition follows after commit
    if created and isinstance(instance, Reviewable) and instance.status != ReviewStatus.PUBLISHED:
        return  # a new draft is in no index
    schedule_sync(instance)


def on_delete(sender: type, instance: Any, **kw: Any) -> None:
    if doc_type_for_model(sender) is not None:
        schedule_sync(instance)


def on_review_transition(instance: Any, name: str) -> None:
    """Called after the transition committed: approved → indexed, unpublished → removed.
    (The other transitions move between states the public never sees.)"""
    if name in PUBLICITY_TRANSITIONS:
        schedule_sync(instance)


def connect() -> None:
    post_save.connect(on_save, dispatch_uid="search.on_save")
    post_delete.connect(on_delete, dispatch_uid="search.on_delete")
    review.on_transition(on_review_transition)
