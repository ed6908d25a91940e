"""The values that cross the backend interface: a request in, results out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.safestring import SafeString

from .segmentation import QueryTerm


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    VIEWS = "views"


@dataclass(frozen=True)
class Filters:
    """Every filter is optional; all given ones must hold."""

    institution_path: str = ""  # the institution's subtree ("/1/4/")
    region_prefix: str = ""  # "44" (a province), "4401" (a city), "440117" (a county)
    category: str = ""
    kind: str = ""
    language: str = ""
    year_from: int | None = None
    year_to: int | None = None
    extra: tuple[tuple[str, str], ...] = ()  # registered extra facets: (("ich_category", "…"),)


@dataclass(frozen=True)
class SearchRequest:
    q: str
    terms: tuple[QueryTerm, ...]
    doc_types: tuple[str, ...] = ()
    filters: Filters = Filters()
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    page_size: int = 20
    # Rank, sort and facet only the `candidates` most viewed (newest for Sort.NEWEST) matches;
    # a larger total shows as "1000+".
    candidates: int = 1000
    facets: bool = True


@dataclass
class Hit:
    doc_type: str
    object_id: str
    title: str
    title_html: SafeString  # escaped, query words in <mark>
    snippet_html: SafeString  # a window of the text around the first hit, the same way
    url: str
    image: str
    institution_id: int | None
    institution_name: str
    region_code: str
    category: str
    kind: str
    language: str
    year: int | None
    facets: dict[str, list[str]]
    published_at: dt.datetime | None
    popularity: int
    score: float = 0.0
    type_label: str = ""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue]


@dataclass
class Results:
    items: list[Hit]
    total: int
    total_is_capped: bool  # more matches than `total` ("1000+"); facets count those `total`
    facets: list[Facet] = field(default_factory=list)
    took_ms: float = 0.0
    page: int = 1
    page_size: int = 20
    sort: Sort = Sort.RELEVANCE
    terms: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1
