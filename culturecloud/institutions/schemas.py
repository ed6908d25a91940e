"""Pydantic schemas of /api/v1/institutions.

Input limits here are generous first guards (a request body cannot carry megabytes of
text); the services apply the exact rules and answer with field errors.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None


class InstitutionRef(Schema):
    code: str
    name: str


class InstitutionSummary(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    parent_code: str | None
    region_code: str | None
    region_name: str | None
    depth: int
    has_children: bool
    logo_url: str | None
    url: str


class InstitutionDetail(InstitutionSummary):
    address: str
    postcode: str
    phone: str
    email: str
    contact_name: str
    website: str
    description: str
    opening_hours: str
    is_grassroots: bool
    ancestors: list[InstitutionRef]
    children_count: int
    updated_at: datetime


class ArticleSummary(Schema):
    id: int
    institution_code: str
    title: str
    summary: str
    published_at: datetime | None
    url: str


class ArticleDetail(ArticleSummary):
    body: str


class StaffArticleOut(Schema):
    id: int
    institution_code: str
    institution_name: str
    title: str
    summary: str
    body: str
    status: str
    status_label: str
    rejection_reason: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None


class ChildIn(Schema):
    code: str = Field(max_length=200)
    name: str = Field(max_length=500)
    kind: str = Field(max_length=32)
    region_code: str = Field(max_length=32)
    short_name: str = Field("", max_length=500)
    address: str = Field("", max_length=1000)
    postcode: str = Field("", max_length=32)
    phone: str = Field("", max_length=100)
    email: str = Field("", max_length=500)
    contact_name: str = Field("", max_length=500)
    website: str = Field("", max_length=1000)
    description: str = Field("", max_length=20_000)
    opening_hours: str = Field("", max_length=1000)


class ProfileIn(Schema):
    name: str | None = Field(None, max_length=500)
    short_name: str | None = Field(None, max_length=500)
    region_code: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=1000)
    postcode: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=500)
    contact_name: str | None = Field(None, max_length=500)
    website: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=20_000)
    opening_hours: str | None = Field(None, max_length=1000)


class MoveIn(Schema):
    new_parent: str = Field(max_length=200, description="Code of the new parent institution.")


class MergeIn(Schema):
    target: str = Field(max_length=200, description="Code of the institution to merge into.")


class MemberIn(Schema):
    role: str = Field(max_length=32)
    user_id: int | None = None
    phone: str | None = Field(None, max_length=64)


class MemberRoleIn(Schema):
    role: str = Field(max_length=32)


class MemberOut(Schema):
    id: int
    user_id: int
    display_name: str
    phone_masked: str
    role: str
    role_label: str
    institution_code: str
    institution_name: str
    created_at: datetime


class ArticleIn(Schema):
    title: str = Field(max_length=1000)
    summary: str = Field("", max_length=2000)
    body: str = Field(max_length=200_000)
