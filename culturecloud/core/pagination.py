"""The API's page-number pagination (`@paginate`, NINJA_PAGINATION_CLASS in settings).

Ninja's own class takes any page number; past the database's integer range the OFFSET
overflows (SQLite: "datatype mismatch", PostgreSQL: "bigint out of range") and the
request ends in a 500. Here the page is bounded, so such a request is a 422 with the
error shape, and a page past the end is an empty page as before.
"""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination as NinjaPageNumberPagination

# 100 000 pages of up to 100 items: far past any list a person pages through; beyond it,
# filters narrow the list.
MAX_PAGE = 100_000


class PageNumberPagination(NinjaPageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        # Larger sizes are cut to NINJA_MAX_PER_PAGE_SIZE, as Ninja does.
        page_size: int | None = Field(None, ge=1)
