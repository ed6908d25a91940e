"""Pydantic schemas of /api/v1/resources."""

import datetime as dt
from enum import StrEnum
from typing import Any

from ninja import Field, Schema

from culturecloud.core.schemas import InstitutionRef


class ResourceRegionRef(Schema):
    code: str
    name: str


class VocabularyChoice(Schema):
    value: str
    label: str


class HeritageProjectRef(Schema):
    id: int
    name: str
    code: str
    level: str
    ich_category: str


class HeritageInheritorRef(Schema):
    id: int
    name: str
    level: str
    project_id: int


class ResourceMediaOut(Schema):
    """The playable form of the resource's media (what the page's player uses)."""

    state: str = Field(description="none, processing, failed or ready")
    kind: str
    error: str = ""
    hls_url: str = ""
    poster_url: str = ""
    audio_url: str = ""
    pdf_url: str = ""
    images: list[dict[str, Any]] = []
    asset_ids: list[str] = []


class ResourceSummary(Schema):
    id: int
    identifier: str
    title: str
    kind: str
    category: str
    ich_category: str
    year: int | None
    institution: InstitutionRef
    region: ResourceRegionRef | None
    thumbnail: str
    url: str
    published_at: dt.datetime | None
    views: int
    plays: int
    favorites: int


class ResourceDetail(ResourceSummary):
    """A resource with its Dublin Core record."""

    creator: str
    subject: str
    description: str = Field(description="Sanitized HTML.")
    publisher: str
    contributor: str
    date: str
    type: str = Field(description="DCMI type (MovingImage, Sound, StillImage, Collection, Text)")
    format: str
    source: str
    language: str
    relation: str
    period: str
    rights: str
    rights_uri: str
    rights_statement: str
    audience: str
    tags: list[str]
    heritage_project: HeritageProjectRef | None
    inheritors: list[HeritageInheritorRef]
    media: ResourceMediaOut


class StaffResourceOut(ResourceDetail):
    status: str
    rejection_reason: str
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


class ResourceIn(Schema):
    """A new resource. `institution` is a code; `region` a six-digit code; `media` and
    `images` are media asset ids (uploaded through /api/v1/media or /{id}/upload)."""

    institution: str = Field(max_length=64)
    title: str = Field(max_length=1000)
    kind: str = Field(max_length=32)
    category: str = Field(max_length=64)
    ich_category: str = Field("", max_length=64)
    identifier: str = Field("", max_length=1000)
    creator: str = Field("", max_length=1000)
    subject: str = Field("", max_length=1000)
    description: str = Field("", max_length=40_000)
    contributor: str = Field("", max_length=1000)
    date: str = Field("", max_length=64)
    format: str = Field("", max_length=1000)
    source: str = Field("", max_length=1000)
    language: str = Field("zh", max_length=64)
    relation: str = Field("", max_length=1000)
    period: str = Field("", max_length=1000)
    region: str | None = Field(None, max_length=16)
    rights: str = Field("in_copyright", max_length=32)
    rights_statement: str = Field("", max_length=4000)
    audience: str = Field("general", max_length=32)
    heritage_project: int | None = None
    inheritors: list[int] = Field([], max_length=100)
    tags: list[str] = Field([], max_length=100)
    media: str | None = Field(None, max_length=64)
    images: list[str] = Field([], max_length=500)


class ResourcePatch(Schema):
    """Only the fields given change."""

    title: str | None = Field(None, max_length=1000)
    kind: str | None = Field(None, max_length=32)
    category: str | None = Field(None, max_length=64)
    ich_category: str | None = Field(None, max_length=64)
    identifier: str | None = Field(None, max_length=1000)
    creator: str | None = Field(None, max_length=1000)
    subject: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=40_000)
    contributor: str | None = Field(None, max_length=1000)
    date: str | None = Field(None, max_length=64)
    format: str | None = Field(None, max_length=1000)
    source: str | None = Field(None, max_length=1000)
    language: str | None = Field(None, max_length=64)
    relation: str | None = Field(None, max_length=1000)
    period: str | None = Field(None, max_length=1000)
    region: str | None = Field(None, max_length=16)
    rights: str | None = Field(None, max_length=32)
    rights_statement: str | None = Field(None, max_length=4000)
    audience: str | None = Field(None, max_length=32)
    heritage_project: int | None = None
    inheritors: list[int] | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=100)
    media: str | None = Field(None, max_length=64)
    images: list[str] | None = Field(None, max_length=500)


class ResourceFilter(Schema):
    category: str = Field("", max_length=64)
    ich_category: str = Field("", max_length=64)
    kind: str = Field("", max_length=32)
    region: str = Field("", max_length=16, description="Six-digit code; includes its subtree.")
    institution: str = Field("", max_length=64, description="Code; includes its subtree.")
    year: str = Field("", max_length=8)
    project: str = Field("", max_length=16)
    tag: str = Field("", max_length=64)
    audience: str = Field("", max_length=32)
    sort: str = Field("newest", max_length=16, description="newest, views or year")


class ResourceSearchFilter(ResourceFilter):
    q: str = Field("", max_length=100)
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=100)


class ResourceStaffFilter(Schema):
    status: str = Field("", max_length=16)
    institution: str = Field("", max_length=64)


class ResourceReviewAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    APPROVE = "approve"
    REJECT = "reject"
    UNPUBLISH = "unpublish"


class ResourceReviewIn(Schema):
    action: ResourceReviewAction
    reason: str = Field("", max_length=2000)


class ResourceMediaIn(Schema):
    media: str | None = Field(None, max_length=64, description="Asset id; null removes it.")


class ResourceFavoriteOut(Schema):
    favorite: bool
    favorites: int


class ResourcePlayOut(Schema):
    counted: bool


class ResourceCommentIn(Schema):
    body: str = Field(max_length=5000)


class ResourceCommentOut(Schema):
    id: int
    author: str
    body: str
    status: str
    created_at: dt.datetime


class ResourceCollectionOut(Schema):
    id: int
    title: str
    description: str
    institution: InstitutionRef
    url: str
    published_at: dt.datetime | None


class ResourceCollectionDetail(ResourceCollectionOut):
    resources: list[ResourceSummary]


class ResourceVocabularies(Schema):
    kinds: list[VocabularyChoice]
    categories: list[VocabularyChoice]
    ich_categories: list[VocabularyChoice]
    rights: list[VocabularyChoice]
    audiences: list[VocabularyChoice]
    heritage_levels: list[VocabularyChoice]


# --- intangible heritage ----------------------------------------------------------------


class HeritageInheritorOut(Schema):
    id: int
    name: str
    level: str
    region: ResourceRegionRef | None
    bio: str
    project: HeritageProjectRef


class HeritageProjectOut(Schema):
    id: int
    name: str
    code: str
    ich_category: str
    level: str
    region: ResourceRegionRef | None
    description: str
    institution: InstitutionRef
    url: str


class HeritageProjectDetailOut(HeritageProjectOut):
    inheritors: list[HeritageInheritorOut]
    resources: int = Field(description="How many published resources belong to the project")


class HeritageProjectIn(Schema):
    institution: str = Field(description="Institution code (only for creating)", default="")
    name: str = Field(max_length=1000)
    code: str = Field(default="", max_length=1000)
    ich_category: str = Field(max_length=100)
    level: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=20)
    description: str = Field(default="", max_length=100_000)


class HeritageInheritorIn(Schema):
    project: int
    name: str = Field(max_length=1000)
    level: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=20)
    bio: str = Field(default="", max_length=100_000)


class HeritageFilter(Schema):
    ich_category: str = Field(default="", max_length=100)
    level: str = Field(default="", max_length=100)
