"""Background work of media. Each task parses its arguments and calls a service.

Beat entries (settings.CELERY_BEAT_SCHEDULE):
    culturecloud.media.tasks.purge_expired_upload_sessions   every 30 minutes
    culturecloud.media.tasks.resume_stalled_processing       every 15 minutes
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import conf, services

logger = logging.getLogger(__name__)

# Backoff of transient failures: 30 s, 1, 2, 4, 8 … minutes, at most an hour.
BACKOFF_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def process_asset(self, asset_id: str) -> str:
    """Make an asset's renditions. Started after commit by `services.start_processing`.

    Idempotent: a ready or failed asset is left alone, a half-made run is cleaned first.
    A bad file fails the asset at once (no retries); any other error is retried with
    exponential backoff, MEDIA_PROCESSING_MAX_RETRIES times, then the asset fails with
    "processing_error"."""
    max_retries = int(conf.get("MEDIA_PROCESSING_MAX_RETRIES"))
    retries = int(self.request.retries or 0)
    while True:
        try:
            asset = services.run_processing(asset_id=str(asset_id))
        except Exception as exc:
            if retries >= max_retries:
                logger.exception("media: processing %s failed for good", asset_id)
                services.give_up_processing(asset_id=str(asset_id), detail=repr(exc)[:500])
                return "failed"
            logger.warning("media: processing %s failed (%r); retrying", asset_id, exc)
            if not self.request.is_eager:
                countdown = min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2**retries)
                raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc
            # Eager (the embedded default): no worker to come back later, so at once. (An
            # eager self.retry() would raise Retry into the caller with propagation on.)
            retries += 1
            continue
        return asset.status if asset is not None else "skipped"


@shared_task
def purge_expired_upload_sessions() -> int:
    return services.purge_expired_upload_sessions()


@shared_task
def resume_stalled_processing() -> int:
    return services.resume_stalled_processing()
