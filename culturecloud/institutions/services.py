"""Every write to the institution network: create, update, move, merge, memberships."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from culturecloud.core import audit

from .models import Institution, InstitutionKind, Region


def create_institution(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Institution | None,
    region: Region | None = None,
    actor: Any = None,
    **profile: Any,
) -> Institution:
    """Create an institution under `parent` (None only for the national centre)."""
    with transaction.atomic():
        institution = Institution.objects.create(
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            region=region,
            path=f"tmp:{code}",
            depth=0 if parent is None else parent.depth + 1,
            **profile,
        )
        prefix = parent.path if parent is not None else "/"
        institution.path = f"{prefix}{institution.pk}/"
        institution.save(update_fields=["path"])
        audit.record(
            "institutions.institution.created",
            actor=actor,
            target=institution,
            after={"code": code, "name": name, "kind": kind, "parent": parent.pk if parent else None},
        )
    return institution


__all__ = ["InstitutionKind", "create_institution"]
