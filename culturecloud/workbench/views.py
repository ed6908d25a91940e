"""The staff workbench (工作台): review queue, audit log, members, profile, articles.

Every page needs a logged-in member of staff (else the login page, or the 403 page for
anyone without a staff role) and shows only the user's scope, decided by
`institutions.permissions`. Every change goes through a service, which checks the
permission again and writes the audit entry. Items outside the scope answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from culturecloud.core import review
from culturecloud.core.errors import PermissionDenied, ServiceError
from culturecloud.core.forms import add_service_error
from culturecloud.core.http import private
from culturecloud.core.models import Reviewable, ReviewStatus
from culturecloud.core.queries import (
    ACTION_TRANSITIONS,
    ACTIONS_WITH_REASON,
    QueueItem,
    ReviewQueue,
    audit_log,
    available_actions,
    content_for_editor,
    count_by_status,
    last_submitters,
    model_label,
    review_queue,
    reviewable_model,
    visible_to_staff,
)
from culturecloud.core.review import reviewable_models
from culturecloud.institutions.models import Article, Institution, Membership
from culturecloud.institutions.permissions import (
    Perm,
    is_platform_admin,
    is_staff_member,
    root_paths,
    scope_queryset,
)
from culturecloud.institutions.services import (
    EDITABLE_STATUSES,
    add_member,
    create_article,
    find_person_by_phone,
    remove_member,
    set_institution_logo,
    update_article,
    update_institution,
)

from .forms import (
    AddMemberForm,
    ArticleForm,
    AuditFilterForm,
    ProfileForm,
    QueueFilterForm,
    ReasonForm,
)
from .published import PublishedContent, published_content
from .scope import institution_choices, institutions_for, pick_institution

QUEUE_PAGE_SIZE = 20
PUBLISHED_PAGE_SIZE = 20
AUDIT_PAGE_SIZE = 50
ARTICLES_PAGE_SIZE = 20

View = Callable[..., HttpResponse]


def holds_somewhere(user: Any, perm: Perm) -> bool:
    return is_platform_admin(user) or bool(root_paths(user, perm))


def nav(user: Any) -> dict[str, bool]:
    """Which workbench sections the user can use (the menu shows only these)."""
    return {
        "queue": holds_somewhere(user, Perm.REVIEW),
        "published": holds_somewhere(user, Perm.REVIEW),
        "articles": holds_somewhere(user, Perm.EDIT_CONTENT),
        "audit": holds_somewhere(user, Perm.READ_AUDIT),
        "members": holds_somewhere(user, Perm.MANAGE_MEMBERS),
        "profile": holds_somewhere(user, Perm.EDIT_INSTITUTION),
        # the digital resource library (resources app) and uploads (media app)
        "resources": holds_somewhere(user, Perm.EDIT_CONTENT),
    }


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    context = {"wb_nav": nav(request.user), **context}
    return private(render(request, template, context, status=status))


def forbidden(request: HttpRequest) -> HttpResponse:
    return page(request, "workbench/forbidden.html", {}, status=403)


def staff_page(perm: Perm | None = None) -> Callable[[View], View]:
    """Login required; staff only; with `perm`, the user must hold it at some institution."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_staff_member(user) or (perm is not None and not holds_somewhere(user, perm)):
                return forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                return forbidden(request)

        return wrapped

    return decorator


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def with_institution(url_name: str, institution: Institution) -> str:
    return f"{reverse(url_name)}?institution={institution.code}"


# --- dashboard -------------------------------------------------------------------


@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    sections = nav(user)
    roles: dict[int, tuple[Institution, list[str]]] = {}
    memberships = (
        Membership.objects.filter(user_id=cast(int, user.pk), institution__is_active=True)
        .select_related("institution")
        .order_by("institution__path", "role")
    )
    for membership in memberships:
        entry = roles.setdefault(membership.institution_id, (membership.institution, []))
        entry[1].append(membership.get_role_display())
    counts: dict[str, int] = {}
    if sections["queue"]:
        counts["pending"] = review_queue(user).count()
    if sections["articles"]:
        counts["drafts"] = count_by_status(user, Perm.EDIT_CONTENT, ReviewStatus.DRAFT)
        counts["rejected"] = count_by_status(user, Perm.EDIT_CONTENT, ReviewStatus.REJECTED)
    return page(
        request,
        "workbench/home.html",
        {"roles": list(roles.values()), "counts": counts, "sections": sections},
    )


# --- review queue and review actions ------------------------------------------------


def type_choices() -> list[tuple[str, str]]:
    return [(model_label(m), str(m._meta.verbose_name)) for m in reviewable_models()]


@staff_page(Perm.REVIEW)
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = QueueFilterForm(
        request.GET, types=type_choices(), institutions=institutions_for(user, Perm.REVIEW)
    )
    status = 200
    if filters.is_valid():
        model = reviewable_model(filters.cleaned_data["type"] or "")
        items = review_queue(user, model=model, institution=filters.cleaned_data["institution"])
    else:
        status = 400
        items = ReviewQueue({})
    current = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request,
        "workbench/queue.html",
        {"filters": filters, "page_obj": current, "reason_form": ReasonForm()},
        status=status,
    )


def staff_item(user: Any, content_type: str, pk: int) -> Reviewable:
    """The item if it is in the user's workbench scope; 404 otherwise (exists or not)."""
    model = reviewable_model(content_type)
    if model is None:
        raise Http404
    obj = (
        visible_to_staff(user, model)
        .select_related("created_by", "reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if obj is None:
        raise Http404
    return obj


def item_page(
    request: HttpRequest,
    obj: Reviewable,
    *,
    error: ServiceError | None = None,
    reason: str = "",
    status: int = 200,
) -> HttpResponse:
    return page(
        request,
        "workbench/review_item.html",
        {
            "obj": obj,
            "content_type": model_label(obj),
            "actions": available_actions(request.user, obj),
            "error": error,
            "reason": reason,
            "next": safe_next(request, ""),
        },
        status=status,
    )


@staff_page()
def review_item(request: HttpRequest, content_type: str, pk: int) -> HttpResponse:
    return item_page(request, staff_item(request.user, content_type, pk))


DONE = {
    "submit": gettext_lazy("“%(title)s” was submitted for review."),
    "withdraw": gettext_lazy("“%(title)s” was withdrawn and is a draft again."),
    "reopen": gettext_lazy("“%(title)s” is a draft again."),
    "approve": gettext_lazy("“%(title)s” was approved and is now published."),
    "reject": gettext_lazy("“%(title)s” was rejected."),
    "unpublish": gettext_lazy("“%(title)s” was unpublished."),
}


@require_POST
@staff_page()
def review_action(request: HttpRequest, content_type: str, pk: int, action: str) -> HttpResponse:
    """Apply a review action from a page form (htmx swaps the queue card in place)."""
    user = request.user
    obj = staff_item(user, content_type, pk)
    if action not in ACTION_TRANSITIONS:
        raise Http404
    form = ReasonForm(request.POST)
    reason = ""
    error: ServiceError | None = None
    if not form.is_valid():
        error = ServiceError(
            _("Some fields are not valid."),
            code="validation_error",
            fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
        )
    elif action in ACTIONS_WITH_REASON:
        reason = form.cleaned_data["reason"]
    if error is None:
        try:
            done = review.transition(obj, ACTION_TRANSITIONS[action], actor=user, reason=reason)
        except PermissionDenied:
            return forbidden(request)
        except ServiceError as exc:
            error = exc
    if error is not None:
        raw_reason = str(request.POST.get("reason", ""))[:2000]
        if request.htmx:  # type: ignore[attr-defined]
            card = published_card if action == "unpublish" else queue_card
            return card(request, obj, error=error, reason=raw_reason, status=400)
        return item_page(request, obj, error=error, reason=raw_reason, status=400)
    message = DONE[action] % {"title": done.audit_label()}
    if request.htmx:  # type: ignore[attr-defined]
        return private(
            render(request, "workbench/_queue_item_done.html", {"obj": done, "message": message})
        )
    messages.success(request, message)
    return redirect(safe_next(request, reverse("workbench:queue")))


def queue_card(
    request: HttpRequest, obj: Reviewable, *, error: ServiceError, reason: str, status: int
) -> HttpResponse:
    key = (model_label(obj), str(obj.pk))
    item = QueueItem(obj=obj, submitted_by=last_submitters([key]).get(key, ""))
    context = {"item": item, "error": error, "reason": reason, "reason_form": ReasonForm()}
    return private(render(request, "workbench/_queue_item.html", context, status=status))


# --- published content (reviewers take it down) -----------------------------------------


@staff_page(Perm.REVIEW)
def published(request: HttpRequest) -> HttpResponse:
    """Published items of the user's REVIEW scope, newest first, each with "Unpublish"."""
    user = request.user
    filters = QueueFilterForm(
        request.GET, types=type_choices(), institutions=institutions_for(user, Perm.REVIEW)
    )
    status = 200
    if filters.is_valid():
        model = reviewable_model(filters.cleaned_data["type"] or "")
        items = published_content(
            user, model=model, institution=filters.cleaned_data["institution"]
        )
    else:
        status = 400
        items = PublishedContent({})
    current = Paginator(items, PUBLISHED_PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request,
        "workbench/published.html",
        {"filters": filters, "page_obj": current},
        status=status,
    )


def published_card(
    request: HttpRequest, obj: Reviewable, *, error: ServiceError, reason: str, status: int
) -> HttpResponse:
    """The card of the published list again, with the refused attempt (htmx)."""
    context = {"obj": obj, "error": error, "reason": reason}
    return private(render(request, "workbench/_published_item.html", context, status=status))


# --- audit log -------------------------------------------------------------------------


@staff_page(Perm.READ_AUDIT)
def audit(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = AuditFilterForm(request.GET, institutions=institutions_for(user, Perm.READ_AUDIT))
    status = 200
    if filters.is_valid():
        data = filters.cleaned_data
        entries = audit_log(
            user,
            action_prefix=data["action"] or None,
            institution=data["institution"],
            since=data["since"],
            until=data["until"],
        )
    else:
        status = 400
        entries = audit_log(user).none()
    current = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request, "workbench/audit.html", {"filters": filters, "page_obj": current}, status=status
    )


# --- members -----------------------------------------------------------------------------


def picked(request: HttpRequest, perm: Perm) -> Institution:
    institution = pick_institution(request.user, perm, request.GET.get("institution"))
    if institution is None:
        raise Http404
    return institution


@require_http_methods(["GET", "POST"])
@staff_page(Perm.MANAGE_MEMBERS)
def members(request: HttpRequest) -> HttpResponse:
    user = request.user
    institution = picked(request, Perm.MANAGE_MEMBERS)
    form = AddMemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                person = find_person_by_phone(actor=user, phone=form.cleaned_data["phone"])
                if person is None:
                    message = _(
                        "No account uses this mobile number. "
                        "Please ask the person to sign up first."
                    )
                    raise ServiceError(message, code="unknown_phone", fields={"phone": [message]})
                membership = add_member(
                    actor=user,
                    institution=institution,
                    user=person,
                    role=form.cleaned_data["role"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is now %(role)s at %(institution)s.")
                    % {
                        "name": person.get_short_name(),
                        "role": membership.get_role_display(),
                        "institution": institution.name,
                    },
                )
                return redirect(with_institution("workbench:members", institution))
    rows = (
        Membership.objects.filter(institution=institution)
        .select_related("user", "granted_by")
        .order_by("role", "created_at", "pk")
    )
    return page(
        request,
        "workbench/members.html",
        {
            "institution": institution,
            "choices": institution_choices(institutions_for(user, Perm.MANAGE_MEMBERS)),
            "memberships": rows,
            "form": form,
        },
        status=status,
    )


@require_POST
@staff_page(Perm.MANAGE_MEMBERS)
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    membership = (
        scope_queryset(
            Membership.objects.select_related("user", "institution"), user, Perm.MANAGE_MEMBERS
        )
        .filter(pk=pk)
        .first()
    )
    if membership is None:
        raise Http404
    try:
        remove_member(actor=user, membership=membership)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s no longer has the role %(role)s at %(institution)s.")
            % {
                "name": membership.user.get_short_name(),
                "role": membership.get_role_display(),
                "institution": membership.institution.name,
            },
        )
    return redirect(with_institution("workbench:members", membership.institution))


# --- institution profile ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_INSTITUTION)
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    institution = picked(request, Perm.EDIT_INSTITUTION)
    status = 200
    if request.method == "POST":
        status = 400
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            fields = {name: data[name] for name in ProfileForm.PROFILE_FIELDS}
            try:
                with transaction.atomic():
                    update_institution(actor=user, institution=institution, **fields)
                    if data["logo"]:
                        set_institution_logo(
                            actor=user, institution=institution, upload=data["logo"]
                        )
                    elif data["remove_logo"] and institution.logo:
                        set_institution_logo(actor=user, institution=institution, upload=None)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The profile was saved."))
                return redirect(with_institution("workbench:profile", institution))
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(institution))
    return page(
        request,
        "workbench/profile.html",
        {
            "institution": institution,
            "choices": institution_choices(institutions_for(user, Perm.EDIT_INSTITUTION)),
            "form": form,
        },
        status=status,
    )


# --- articles ----------------------------------------------------------------------------------


@staff_page(Perm.EDIT_CONTENT)
def articles(request: HttpRequest) -> HttpResponse:
    qs = content_for_editor(request.user, Article)
    status_filter = request.GET.get("status", "")
    if status_filter in ReviewStatus.values:
        qs = qs.filter(status=status_filter)
    else:
        status_filter = ""
    current = Paginator(qs, ARTICLES_PAGE_SIZE).get_page(request.GET.get("page"))
    for article in current:
        article.wb_actions = editor_actions(request.user, article)  # type: ignore[attr-defined]
    return page(
        request,
        "workbench/articles.html",
        {
            "page_obj": current,
            "statuses": ReviewStatus.choices,
            "status_filter": status_filter,
            "editable": EDITABLE_STATUSES,
        },
    )


EDITOR_ACTIONS = ("submit", "withdraw", "reopen")


def editor_actions(user: Any, article: Article) -> list[str]:
    """Editors' actions for the articles pages; reviewers decide in the queue."""
    return [a for a in available_actions(user, article) if a in EDITOR_ACTIONS]


def save_article(request: HttpRequest, form: ArticleForm, article: Article | None) -> Article:
    """Create or update from `form` (valid); submit too when the submit button was used."""
    data = form.cleaned_data
    user = request.user
    with transaction.atomic():
        if article is None:
            article = create_article(
                actor=user,
                institution=data["institution"],
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
            )
        else:
            article = update_article(
                actor=user,
                article=article,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
            )
        if "submit" in request.POST:
            article = review.submit(article, actor=user)
    return article


def article_saved(request: HttpRequest, article: Article) -> HttpResponse:
    if article.status == ReviewStatus.PENDING:
        message = _("“%(title)s” was saved and submitted for review.")
    else:
        message = _("“%(title)s” was saved as a draft.")
    messages.success(request, message % {"title": article.title})
    return redirect("workbench:articles")


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def article_new(request: HttpRequest) -> HttpResponse:
    institutions = institutions_for(request.user, Perm.EDIT_CONTENT)
    form = ArticleForm(request.POST or None, institutions=institutions)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return article_saved(request, save_article(request, form, None))
            except ServiceError as exc:
                add_service_error(form, exc)
    return page(
        request, "workbench/article_form.html", {"form": form, "article": None}, status=status
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = content_for_editor(request.user, Article).filter(pk=pk).first()
    if article is None:
        raise Http404
    initial = {"title": article.title, "summary": article.summary, "body": article.body}
    form = ArticleForm(request.POST or None, institutions=None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return article_saved(request, save_article(request, form, article))
            except ServiceError as exc:
                add_service_error(form, exc)
    return page(
        request,
        "workbench/article_form.html",
        {
            "form": form,
            "article": article,
            "editable": article.status in EDITABLE_STATUSES,
            "actions": editor_actions(request.user, article),
        },
        status=status,
    )
