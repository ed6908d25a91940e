"""The audit log: one function writes every entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from .models import AuditEntry
from .origin import current_origin

if TYPE_CHECKING:
    from culturecloud.institutions.models import Institution


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    institution: Institution | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an audit entry. `action` is namespaced: "institutions.member.added".

    Call it inside the same transaction as the change it records, so that a rolled
    back change leaves no entry and a committed one always has its entry.
    """
    origin = current_origin()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if institution is None and target is not None:
        institution = getattr(target, "institution", None)
        if institution is None and target._meta.label == "institutions.Institution":
            institution = target  # type: ignore[assignment]
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_label=(actor.get_short_name() if is_user else "system")[:150],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        institution=institution,
        institution_path=institution.path if institution is not None else "",
        ip=origin.ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
        before=before or {},
        after=after or {},
    )
