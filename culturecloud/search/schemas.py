"""Pydantic schemas of /api/v1/search."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class SearchFilter(Schema):
    q: str = Field("", max_length=100, description="Words; each must match. Empty: browse.")
    type: list[str] = Field(
        default_factory=list, description='Document types, e.g. "institutions.article".'
    )
    sort: str = Field("relevance", description="relevance, newest or views.")
    institution: str = Field("", max_length=64, description="An institution code: its subtree.")
    region: str = Field("", max_length=6, description="A region code or prefix (44, 4401).")
    category: str = Field("", max_length=64)
    kind: str = Field("", max_length=32)
    language: str = Field("", max_length=16)
    year: int | None = Field(None, ge=1, le=9999)
    year_from: int | None = Field(None, ge=1, le=9999)
    year_to: int | None = Field(None, ge=1, le=9999)
    facet: list[str] = Field(
        default_factory=list, description='More filters as "name:value" (registered facets).'
    )
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=100)


class HitInstitution(Schema):
    id: int
    name: str


class HitOut(Schema):
    doc_type: str
    object_id: str
    title: str
    title_html: str = Field(description="Escaped title, query words in <mark>.")
    snippet_html: str = Field(description="Escaped text around the first hit, words in <mark>.")
    url: str
    image: str
    institution: HitInstitution | None
    region_code: str
    category: str
    kind: str
    language: str
    year: int | None
    facets: dict[str, list[str]]
    published_at: datetime | None
    views: int


class FacetValueOut(Schema):
    value: str = Field(description="What the filter parameter of this facet takes.")
    label: str
    count: int
    selected: bool


class FacetOut(Schema):
    name: str = Field(
        description="type, category, kind, institution, region, year, language, or an extra "
        "facet (filter with facet=name:value)."
    )
    label: str
    values: list[FacetValueOut]


class SearchOut(Schema):
    items: list[HitOut]
    count: int
    count_is_capped: bool = Field(
        description="More matches exist than `count` (show “1000+”); facets count `count` hits."
    )
    page: int
    page_size: int
    num_pages: int
    sort: str
    terms: list[str] = Field(description="The words searched for, after segmentation.")
    facets: list[FacetOut]
    took_ms: float
