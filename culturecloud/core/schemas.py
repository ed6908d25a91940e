"""Pydantic schemas of the core API: review queue, review actions, audit log."""

import datetime as dt
from enum import StrEnum
from typing import Any

from ninja import Field, Schema


class InstitutionRef(Schema):
    code: str
    name: str


class ReviewItemOut(Schema):
    """A pending item of the review queue."""

    content_type: str = Field(description='Model label, e.g. "institutions.article".')
    id: int
    title: str
    type_name: str
    status: str
    institution: InstitutionRef
    created_by: str
    submitted_by: str
    submitted_at: dt.datetime | None


class ReviewStateOut(Schema):
    """An item's review state after an action."""

    content_type: str
    id: int
    title: str
    status: str
    institution: InstitutionRef
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    published_at: dt.datetime | None
    rejection_reason: str

    @staticmethod
    def resolve_content_type(obj: Any) -> str:
        return str(obj._meta.label_lower)

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.audit_label())


class ReviewAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    APPROVE = "approve"
    REJECT = "reject"
    UNPUBLISH = "unpublish"


class ReviewActionIn(Schema):
    reason: str = Field("", max_length=2000, description="Required to reject.")


class QueueFilter(Schema):
    type: str | None = Field(None, max_length=100, description='e.g. "institutions.article"')
    institution: str | None = Field(
        None, max_length=64, description="Institution code: that institution and its subtree."
    )


class AuditFilter(Schema):
    action: str | None = Field(
        None, max_length=80, description='Action code prefix, e.g. "institutions.article".'
    )
    institution: str | None = Field(
        None, max_length=64, description="Institution code: that institution and its subtree."
    )
    since: dt.date | None = Field(None, description="First day, inclusive (YYYY-MM-DD).")
    until: dt.date | None = Field(None, description="Last day, inclusive (YYYY-MM-DD).")


class AuditEntryOut(Schema):
    id: int
    created_at: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    institution: InstitutionRef | None
    ip: str
    user_agent: str
    before: dict[str, Any]
    after: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)
