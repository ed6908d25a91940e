"""Background work of accounts. Each task parses its arguments and calls a service."""

from __future__ import annotations

from celery import shared_task

from . import services
from .sms import SmsError


@shared_task(
    bind=True,
    autoretry_for=(SmsError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def send_one_time_code(self, code_id: int) -> bool:
    """Send the SMS of a one-time code; started after commit by `services.request_code`.
    Idempotent by code id: a code already sent, used or expired is not sent again."""
    return services.deliver_one_time_code(code_id=int(code_id))


@shared_task
def purge_expired_codes() -> int:
    return services.purge_expired_codes()


@shared_task
def finish_account_erasures() -> int:
    return services.finish_account_erasures()
