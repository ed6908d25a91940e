"""Background work of search: keep the index in step with the content (started after commit)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from culturecloud.core import pagecache

from . import services


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def sync_document(self, doc_type: str, object_id: str) -> str:
    """Index the object when it is public, remove it otherwise. Idempotent."""
    outcome = services.sync_object(doc_type=str(doc_type), object_id=str(object_id))
    pagecache.content_changed()  # search answers kept before this sync are stale
    return outcome


@shared_task(acks_late=True)
def reindex(doc_type: str | None = None) -> dict:
    return services.reindex(doc_type=doc_type or None)
