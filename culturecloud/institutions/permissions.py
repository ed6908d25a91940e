"""The one place that decides every staff read and write.

A role held at an institution applies to that institution and its whole subtree.
Every staff query is filtered by `scope_queryset` and every staff action starts with
`check_perm`; nothing else looks at memberships to decide access.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet

from culturecloud.core.errors import PermissionDenied

from .models import Institution, Membership, Role


class Perm(StrEnum):
    WORKBENCH = "workbench"  # enter the workbench, read the subtree's drafts and lists
    EDIT_CONTENT = "edit_content"  # create and edit drafts, submit them for review
    REVIEW = "review"  # approve, reject, unpublish
    OPERATE = "operate"  # day-to-day operations (check-in, bookings) of later modules
    MANAGE_MEMBERS = "manage_members"
    EDIT_INSTITUTION = "edit_institution"  # profile, children, move, merge
    READ_AUDIT = "read_audit"


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.EDITOR: frozenset({Perm.WORKBENCH, Perm.EDIT_CONTENT}),
    Role.REVIEWER: frozenset({Perm.WORKBENCH, Perm.REVIEW}),
    Role.OPERATOR: frozenset({Perm.WORKBENCH, Perm.OPERATE}),
}

_CACHE_ATTR = "_cc_memberships"


def _grants(user: Any) -> list[tuple[str, str]]:
    """(institution path, role) pairs of the user, loaded once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, institution__is_active=True).values_list(
                "institution__path", "role"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user: Any) -> None:
    """Drop the per-object membership cache after memberships change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_platform_admin(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def root_paths(user: Any, perm: Perm) -> list[str]:
    """Paths of the highest institutions at which `user` holds `perm` (subtrees not repeated)."""
    paths = sorted({path for path, role in _grants(user) if perm in ROLE_PERMS[role]})
    roots: list[str] = []
    for path in paths:  # sorted, so an ancestor comes before its descendants
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


def has_perm(user: Any, perm: Perm, institution: Institution) -> bool:
    if is_platform_admin(user):
        return True
    return any(institution.path.startswith(root) for root in root_paths(user, perm))


def check_perm(user: Any, perm: Perm, institution: Institution) -> None:
    if not has_perm(user, perm, institution):
        raise PermissionDenied()


def is_staff_member(user: Any) -> bool:
    return is_platform_admin(user) or bool(_grants(user))


def scope_queryset(
    queryset: QuerySet[Any], user: Any, perm: Perm, path_field: str = "institution__path"
) -> QuerySet[Any]:
    """Restrict `queryset` to rows inside the subtrees where `user` holds `perm`."""
    if is_platform_admin(user):
        return queryset
    roots = root_paths(user, perm)
    if not roots:
        return queryset.none()
    condition = Q()
    for root in roots:
        condition |= Q(**{f"{path_field}__startswith": root})
    return queryset.filter(condition)


def scoped_institutions(user: Any, perm: Perm) -> QuerySet[Institution]:
    return scope_queryset(Institution.objects.all(), user, perm, path_field="path")
