"""Pagination of the directory's API lists: the capped pages of core.pagination, read from a
`directory.Paged` (the directory's own search gives the page, not a queryset)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from culturecloud.core.pagination import CappedPagination

from .directory import Paged


class DirectoryPagination(CappedPagination):
    def paginate_queryset(  # type: ignore[override]
        self,
        queryset: Paged,
        pagination: CappedPagination.Input,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        page = queryset.page(pagination.page, self.size(pagination))
        return self.output(page, [queryset.to_item(row) for row in page.items])
