from django.conf import settings
from django.http import HttpRequest, HttpResponse


def int_param(value: object, *, max_digits: int = 18) -> int | None:
    """A whole number from a query parameter, or None. ASCII digits only: str.isdigit() also
    takes "²" and "٣", and int() of thousands of digits raises, so neither is a 500."""
    text = str(value or "").strip()
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def page_number(value: object) -> int:
    """A page number from a query parameter: 1 for anything but a positive whole number
    (a page past the end is the list's business)."""
    return int_param(value) or 1


def public(response: HttpResponse, max_age: int | None = None) -> HttpResponse:
    """Mark a public GET as cacheable by browsers and the CDN; the ETag comes from
    ConditionalGetMiddleware, which also answers If-None-Match with 304."""
    if response.status_code == 429:  # says who asked too often: never shared
        return private(response)
    seconds = settings.PUBLIC_CACHE_SECONDS if max_age is None else max_age
    response["Cache-Control"] = f"public, max-age={seconds}"
    response["Vary"] = "Accept-Language, Cookie"
    return response


def public_unless_personal(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A page that shows who is logged in (the header, favourites, staff links): shared only
    in its anonymous form."""
    if request.user.is_authenticated:
        return private(response)
    return public(response)


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response
