"""Pagination of the directory's API lists: pages of `directory.ResultPage`, whose count
stops at `directory.RESULT_CAP` (`count_is_capped`: show "1000+")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from culturecloud.core.pagination import MAX_PAGE

from .directory import Paged


class DirectoryPagination(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        # Larger sizes are cut to API_MAX_PAGE_SIZE, as everywhere in the API.
        page_size: int | None = Field(None, ge=1)

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Matches, counted up to 1,000.")
        count_is_capped: bool = Field(
            False, description="More matches exist than `count` (show “1000+”); narrow the list."
        )

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Paged, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = min(pagination.page_size or settings.API_PAGE_SIZE, settings.API_MAX_PAGE_SIZE)
        page = queryset.page(pagination.page, size)
        return {
            "items": [queryset.to_item(row) for row in page.items],
            "count": page.count,
            "count_is_capped": page.count_is_capped,
        }
