"""Core staff API at /api/v1/: the review queue, review actions and the audit log.

Access rules (the workbench pages follow the same):
- not logged in → 401; logged in but no staff role at all, or holding the page's
  permission (REVIEW for the queue, READ_AUDIT for the log) at no institution → 403;
- an item outside the user's workbench scope (another county's) → 404, exactly as for
  an item that does not exist, so the answer reveals nothing;
- an item inside the scope but an action the user's role does not allow (an editor
  approving, a reviewer below the item's institution) → 403.
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import (
    Perm,
    is_platform_admin,
    is_staff_member,
    root_paths,
)
from culturecloud.institutions.services import with_code

from . import review
from .errors import NotFound, PermissionDenied, ServiceError
from .models import Reviewable
from .queries import (
    ACTION_TRANSITIONS,
    ACTIONS_WITH_REASON,
    audit_log,
    review_queue,
    reviewable_model,
    visible_to_staff,
)
from .schemas import (
    AuditEntryOut,
    AuditFilter,
    QueueFilter,
    ReviewAction,
    ReviewActionIn,
    ReviewItemOut,
    ReviewStateOut,
)

router = Router(tags=["review and audit"])


def require_perm_somewhere(user: Any, perm: Perm) -> None:
    """403 unless the user holds `perm` at some institution (or runs the platform)."""
    if is_platform_admin(user):
        return
    if not is_staff_member(user) or not root_paths(user, perm):
        raise PermissionDenied()


def institution_filter(code: str | None) -> Institution | None:
    if not code:
        return None
    institution = with_code(Institution.objects.all(), code.strip()).first()
    if institution is None:
        message = _("There is no institution with this code.")
        raise ServiceError(message, code="unknown_institution", fields={"institution": [message]})
    return institution


def content_model(label: str) -> type[Reviewable]:
    model = reviewable_model(label)
    if model is None:
        raise NotFound(_("Unknown content type."), code="unknown_content_type")
    return model


@router.get("/review/queue", response=list[ReviewItemOut], summary="Review queue")
@paginate
def list_review_queue(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    """Pending items the caller may approve or reject, oldest submission first."""
    require_perm_somewhere(request.user, Perm.REVIEW)
    model = content_model(filters.type) if filters.type else None
    return review_queue(
        request.user, model=model, institution=institution_filter(filters.institution)
    )


@router.post(
    "/review/{content_type}/{item_id}/{action}",
    response=ReviewStateOut,
    summary="Submit, withdraw, reopen, approve, reject or unpublish an item",
)
def review_action(
    request: HttpRequest,
    content_type: str,
    item_id: int,
    action: ReviewAction,
    payload: ReviewActionIn | None = None,
) -> Any:
    model = content_model(content_type)
    if not is_staff_member(request.user):
        raise PermissionDenied()
    obj = visible_to_staff(request.user, model).filter(pk=item_id).first()
    if obj is None:
        raise NotFound()
    reason = payload.reason if payload is not None and action in ACTIONS_WITH_REASON else ""
    return review.transition(obj, ACTION_TRANSITIONS[action], actor=request.user, reason=reason)


@router.get("/audit", response=list[AuditEntryOut], summary="Audit log")
@paginate
def list_audit(request: HttpRequest, filters: Query[AuditFilter]) -> Any:
    """Audit entries of the caller's subtrees (READ_AUDIT), newest first."""
    require_perm_somewhere(request.user, Perm.READ_AUDIT)
    if filters.since and filters.until and filters.since > filters.until:
        message = _("The end date must not be before the start date.")
        raise ServiceError(message, code="invalid_date_range", fields={"until": [message]})
    return audit_log(
        request.user,
        action_prefix=filters.action,
        institution=institution_filter(filters.institution),
        since=filters.since,
        until=filters.until,
    )
