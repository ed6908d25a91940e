"""Which institutions a workbench page offers: the user's scope for the page's permission."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import Perm, scoped_institutions
from culturecloud.institutions.services import with_code

# A picker lists at most this many institutions (a county's subtree fits easily); any
# other institution in scope is still reachable with ?institution=<code>.
PICKER_LIMIT = 500


def institutions_for(user: Any, perm: Perm) -> QuerySet[Institution]:
    """Active institutions where `user` holds `perm`, in tree order, for pickers."""
    return (
        scoped_institutions(user, perm)
        .filter(is_active=True)
        .only("id", "code", "name", "path", "depth")
        .order_by("path")[:PICKER_LIMIT]
    )


def institution_choices(institutions: Any) -> list[tuple[str, str]]:
    """(code, name) pairs, names indented by depth below the shallowest one."""
    rows = list(institutions)
    if not rows:
        return []
    top = min(i.depth for i in rows)
    return [(i.code, "\u3000" * (i.depth - top) + i.name) for i in rows]


def pick_institution(user: Any, perm: Perm, code: str | None) -> Institution | None:
    """The institution `code` if it is in the user's `perm` scope; without a code, the
    highest institution of the scope. None when there is none (or `code` is outside)."""
    scope = scoped_institutions(user, perm).filter(is_active=True).select_related("region")
    if code:
        return with_code(scope, code.strip()).first()
    return scope.order_by("depth", "path").first()
