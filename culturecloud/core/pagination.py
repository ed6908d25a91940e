"""The API's page-number pagination (`@paginate`, NINJA_PAGINATION_CLASS in settings).

Ninja's own class takes any page number; past the database's integer range the OFFSET
overflows (SQLite: "datatype mismatch", PostgreSQL: "bigint out of range") and the
request ends in a 500. Here the page is bounded, so such a request is a 422 with the
error shape, and a page past the end is an empty page as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination as NinjaPageNumberPagination
from ninja.pagination import PaginationBase

from culturecloud.core.errors import ServiceError

# 100 000 pages of up to 100 items: far past any list a person pages through; beyond it,
# filters narrow the list.
MAX_PAGE = 100_000


class PageNumberPagination(NinjaPageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        # Larger sizes are cut to NINJA_MAX_PER_PAGE_SIZE, as Ninja does.
        page_size: int | None = Field(None, ge=1)


class Mapped:
    """A queryset seen through `fn`, for @paginate: only the page's rows are loaded and
    turned into payloads (after `load`, which may read more for the page at once); the count
    is one COUNT query."""

    def __init__(
        self,
        queryset: Any,
        fn: Callable[[Any], dict[str, Any]],
        load: Callable[[list[Any]], list[Any]] = list,
    ) -> None:
        self.queryset = queryset
        self.fn = fn
        self.load = load

    def all(self) -> Mapped:
        return self

    def count(self) -> int:
        return int(self.queryset.count())

    def capped_count(self, cap: int) -> tuple[int, bool]:
        return capped_count(self.queryset, cap)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return [self.fn(row) for row in self.load(list(self.queryset[index]))]


# --- capped counts ----------------------------------------------------------------------
# A long list's COUNT(*) reads every matching row; stopping at RESULT_CAP + 1 keeps it
# bounded. Past the cap a list says "1000+" (`count_is_capped`) and its pages stop at the
# cap: filters narrow it (docs/decisions/0018-capped-resource-lists.md).

RESULT_CAP = 1000


def capped_count(queryset: Any, cap: int | None = None) -> tuple[int, bool]:
    """(matches up to `cap` (RESULT_CAP), whether there are more):
    SELECT count(*) FROM (… LIMIT cap + 1)."""
    cap = RESULT_CAP if cap is None else cap
    n = int(queryset.order_by().values("pk")[: cap + 1].count())
    return min(n, cap), n > cap


@dataclass
class CappedPage:
    """One page of a list whose count stops at a cap; quacks like a Django Page for the
    templates (`page_obj.paginator.count`, `num_pages`, `has_next`, ...)."""

    items: list[Any]
    count: int
    count_is_capped: bool
    number: int
    page_size: int

    @property
    def object_list(self) -> list[Any]:
        return self.items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def paginator(self) -> CappedPage:
        return self

    @property
    def num_pages(self) -> int:
        return last_page(self.count, self.page_size)

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def last_page(rows: int, page_size: int) -> int:
    """The last page of `rows` rows (at least 1): of a list's count, or of the rows a capped
    list's pages reach."""
    return max(1, -(-rows // page_size))


def capped_page(
    queryset: Any, number: int, page_size: int, *, cap: int | None = None, clamp: bool = False
) -> CappedPage:
    """Page `number` of `queryset` (ordered), counted up to `cap`. Pages reach the first
    `cap` rows: deeper is a ServiceError (400, "page_too_deep"), or with `clamp` (HTML
    pages, like Paginator.get_page) the last page; a page past the end is empty (clamped:
    the last page). Two queries: the capped count and the page (none when empty)."""
    cap = RESULT_CAP if cap is None else cap
    deepest = last_page(cap, page_size)
    if number > deepest and not clamp:
        message = _("Pages go as far as the first %(cap)s results; narrow the list with filters.")
        message %= {"cap": cap}
        raise ServiceError(message, code="page_too_deep", fields={"page": [message]})
    # A wrapper of a queryset (e.g. one mapping rows to payloads) counts itself.
    counter = getattr(queryset, "capped_count", None)
    count, is_capped = counter(cap) if counter else capped_count(queryset, cap)
    if clamp:
        number = max(1, min(number, last_page(count, page_size)))
    start = (number - 1) * page_size
    end = min(start + page_size, count)
    items = list(queryset[start:end]) if end > start else []
    return CappedPage(items, count, is_capped, number, page_size)


class CappedPagination(PaginationBase):
    """@paginate(CappedPagination) for lists that may be long: `count` stops at RESULT_CAP
    (`count_is_capped`), pages reach the first RESULT_CAP rows (deeper: 400)."""

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

    @staticmethod
    def size(pagination: CappedPagination.Input) -> int:
        return min(pagination.page_size or settings.API_PAGE_SIZE, settings.API_MAX_PAGE_SIZE)

    @staticmethod
    def output(page: CappedPage, items: list[Any]) -> dict[str, Any]:
        return {"items": items, "count": page.count, "count_is_capped": page.count_is_capped}

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page = capped_page(queryset, pagination.page, self.size(pagination))
        return self.output(page, page.items)
