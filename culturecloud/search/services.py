"""Writes to the search index. The index is derived data: every function here may run
again with the same arguments (tasks retry) and ends in the same state.

- `index_document(doc)` / `remove_document(doc_type, object_id)`: direct writes;
- `sync_object(doc_type=..., object_id=...)`: index the object when its type's
  `public_queryset()` contains it, remove it otherwise (what the tasks run after each
  save, delete and review transition of a registered model);
- `schedule_sync(instance)`: start that task after the current transaction commits;
- `reindex(doc_type=None)`: rebuild from `public_queryset()` in batches (manage.py reindex);
- `set_popularity(...)`: a view counter changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import router, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from culturecloud.core import audit
from culturecloud.core.errors import ServiceError

from .backends import SearchBackend, get_backend
from .models import SearchDocument
from .registry import DocType, Document, doc_type_for_model, doc_types, get_doc_type

__all__ = [
    "get_doc_type",
    "index_document",
    "reindex",
    "remove_document",
    "schedule_sync",
    "set_popularity",
    "sync_object",
]

logger = logging.getLogger(__name__)


def _backend() -> SearchBackend:
    return get_backend(router.db_for_write(SearchDocument))


def _doc_type(name: str) -> DocType:
    entry = get_doc_type(name)
    if entry is None:
        raise ServiceError(
            _("Unknown type: %(type)s.") % {"type": name[:64]},
            code="unknown_doc_type",
            fields={"doc_type": [_("Unknown type: %(type)s.") % {"type": name[:64]}]},
        )
    return entry


def index_document(doc: Document) -> None:
    """Add or replace one document in the index."""
    _doc_type(doc.doc_type)
    _backend().index([doc])


def remove_document(doc_type: str, object_id: str | int) -> None:
    _backend().remove(doc_type, [object_id])


def set_popularity(*, doc_type: str, object_id: str | int, popularity: int) -> None:
    """The object's view count (the "most viewed" order and the candidate order)."""
    _backend().set_popularity(doc_type, object_id, max(0, int(popularity)))


def sync_object(*, doc_type: str, object_id: str | int) -> str:
    """Index the object if it is public, remove it otherwise; returns "indexed" or "removed".

    Locks the object's row while it reads and writes, so a review transition of the same
    object (which locks it too) cannot slip between the read and the index write: the last
    sync to commit saw the last committed state.
    """
    entry = _doc_type(doc_type)
    with transaction.atomic(using=router.db_for_write(SearchDocument)):
        exists = _lock_source(entry, object_id)
        obj = entry.public_queryset().filter(pk=object_id).first() if exists else None
        if obj is None:
            _backend().remove(doc_type, [object_id])
            return "removed"
        _backend().index([entry.to_document(obj)])
        return "indexed"


def _lock_source(entry: DocType, object_id: str | int) -> bool:
    """Lock the object's row until the end of the transaction; False if it does not exist."""
    manager = entry.model._default_manager
    locked = manager.select_for_update().filter(pk=object_id).values_list("pk", flat=True)
    return locked.first() is not None


def schedule_sync(instance: Model) -> bool:
    """After the current transaction commits, bring `instance` up to date in the index
    (a Celery task; runs at once where tasks are eager). False if its model is not searchable."""
    entry = doc_type_for_model(type(instance))
    if entry is None or instance.pk is None:
        return False
    from .tasks import sync_document

    name, pk = entry.name, str(instance.pk)
    # robust: a broker that is down must not fail the request that published the object
    transaction.on_commit(lambda: sync_document.delay(name, pk), robust=True)
    return True


def reindex(
    *,
    doc_type: str | None = None,
    batch_size: int = 500,
    clear: bool = False,
    progress: Callable[[str, int], Any] | None = None,
) -> dict[str, dict[str, int]]:
    """Rebuild the index of one type (every type) from `public_queryset()`, batch by batch in
    primary-key order; then remove what it did not see. Searches keep working meanwhile.

    `clear` empties the type first (searches find nothing until the rebuild is done).
    """
    entries = [_doc_type(doc_type)] if doc_type else list(doc_types().values())
    backend = _backend()
    summary: dict[str, dict[str, int]] = {}
    for entry in entries:
        if clear:
            backend.clear(entry.name)
        started = timezone.now()
        qs = entry.public_queryset().order_by("pk")
        last: Any = None
        count = 0
        while True:
            batch = list((qs if last is None else qs.filter(pk__gt=last))[:batch_size])
            if not batch:
                break
            backend.index([entry.to_document(obj) for obj in batch])
            last = batch[-1].pk
            count += len(batch)
            if progress is not None:
                progress(entry.name, count)
        removed = backend.remove_stale(entry.name, started)
        summary[entry.name] = {"indexed": count, "removed": removed}
        logger.info("search reindex %s: %d indexed, %d removed", entry.name, count, removed)
    audit.record("search.index.rebuilt", after={"types": summary})
    return summary
