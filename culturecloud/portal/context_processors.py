"""Site-wide template context: elder-friendly mode and the staff navigation flag.

Elder-friendly mode (适老化) is remembered in the `cc_elder` cookie for one year, for
anonymous and logged-in visitors alike; it is a display preference of the device, so
no account field stores it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.http import HttpRequest

ELDER_COOKIE = "cc_elder"
ELDER_COOKIE_AGE = 365 * 86400


def elder_mode_from(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def _staff_flag(request: HttpRequest) -> Callable[[], bool]:
    """A callable (the template calls it) so pages that never ask run no query."""

    @cache
    def show_workbench() -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        from culturecloud.institutions.permissions import is_staff_member

        return is_staff_member(user)

    return show_workbench


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "elder_mode": elder_mode_from(request),
        "show_workbench": _staff_flag(request),
    }
