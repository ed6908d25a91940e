"""/api/v1/institutions: the public directory and mini-sites, and staff writes.

Public GETs (auth=None, cacheable): list/search, tree, regions, by-region, detail,
published articles. Staff endpoints use the API's default auth (session or bearer) and
leave every permission decision to the services and `permissions`.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from culturecloud.core.errors import NotFound, ServiceError
from culturecloud.core.http import private, public

from . import directory, services
from .models import Article, Institution, InstitutionKind, Membership, Region, Role
from .pagination import DirectoryPagination
from .permissions import Perm, check_perm, scope_queryset
from .regions import get_region
from .schemas import (
    ArticleDetail,
    ArticleIn,
    ArticleSummary,
    ChildIn,
    InstitutionDetail,
    InstitutionSummary,
    MemberIn,
    MemberOut,
    MemberRoleIn,
    MergeIn,
    MoveIn,
    ProfileIn,
    RegionOut,
    StaffArticleOut,
)

router = Router(tags=["institutions"])


# --- helpers ---------------------------------------------------------------------


def summary(inst: Institution) -> dict[str, Any]:
    return {
        "code": inst.code,
        "name": inst.name,
        "short_name": inst.short_name,
        "kind": inst.kind,
        "kind_label": str(inst.get_kind_display()),
        "parent_code": inst.parent.code if inst.parent_id and inst.parent else None,
        "region_code": inst.region_id,
        "region_name": inst.region.name if inst.region_id and inst.region else None,
        "depth": inst.depth,
        "has_children": bool(getattr(inst, "has_kids", False)),
        "logo_url": inst.logo.url if inst.logo else None,
        "url": reverse("institutions:detail", kwargs={"code": inst.code}),
    }


def detail_payload(inst: Institution) -> dict[str, Any]:
    ancestors = list(
        Institution.objects.filter(pk__in=inst.ancestor_ids()[:-1])
        .order_by("depth")
        .values("code", "name")
    )
    children_count = services.public_institutions().filter(parent=inst).count()
    inst.has_kids = children_count > 0  # type: ignore[attr-defined]
    return {
        **summary(inst),
        "address": inst.address,
        "postcode": inst.postcode,
        "phone": inst.phone,
        "email": inst.email,
        "contact_name": inst.contact_name,
        "website": inst.website,
        "description": inst.description,
        "opening_hours": inst.opening_hours,
        "is_grassroots": inst.kind in services.GRASSROOTS_KINDS,
        "ancestors": ancestors,
        "children_count": children_count,
        "updated_at": inst.updated_at,
    }


def article_summary(article: Article) -> dict[str, Any]:
    code = article.institution.code
    return {
        "id": article.pk,
        "institution_code": code,
        "title": article.title,
        "summary": article.summary,
        "published_at": article.published_at,
        "url": reverse("institutions:article", kwargs={"code": code, "pk": article.pk}),
    }


def staff_article(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "institution_code": article.institution.code,
        "institution_name": article.institution.name,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "status": article.status,
        "status_label": str(article.get_status_display()),
        "rejection_reason": article.rejection_reason,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "submitted_at": article.submitted_at,
        "published_at": article.published_at,
    }


def member_payload(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "user_id": m.user_id,
        "display_name": m.user.get_short_name(),
        "phone_masked": m.user.phone_masked,
        "role": m.role,
        "role_label": str(m.get_role_display()),
        "institution_code": m.institution.code,
        "institution_name": m.institution.name,
        "created_at": m.created_at,
    }


def public_institution(code: str) -> Institution:
    inst = services.with_code(
        services.public_institutions().select_related("region", "parent"), code
    ).first()
    if inst is None:
        raise NotFound(_("No such institution."))
    return inst


def any_institution(code: str) -> Institution:
    inst = services.with_code(Institution.objects.select_related("region", "parent"), code).first()
    if inst is None:
        raise NotFound(_("No such institution."))
    return inst


def kind_filter(kind: str) -> str:
    if kind and kind not in InstitutionKind.values:
        message = _("Choose a valid kind of institution.")
        raise ServiceError(message, code="invalid_kind", fields={"kind": [message]})
    return kind


def user_of(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class InstitutionFilter(Schema):
    q: str = Field("", max_length=100, description="Part of the name or code.")
    region: str = Field("", max_length=6, description="GB/T 2260 code; includes sub-regions.")
    kind: str = Field("", max_length=16)


class TreeFilter(Schema):
    parent: str = Field("", max_length=64, description="Code of the node to expand.")


class RegionFilter(Schema):
    parent: str = Field("", max_length=6, description="Region code; empty for provinces.")


class StaffArticleFilter(Schema):
    status: str = Field("", max_length=16)
    institution: str = Field("", max_length=64)


# --- public ----------------------------------------------------------------------


@router.get("", response=list[InstitutionSummary], auth=None, summary="List and search")
@paginate(DirectoryPagination)
def list_institutions(
    request: HttpRequest, response: HttpResponse, filters: Query[InstitutionFilter]
) -> Any:
    """Top of the tree first, then by name. `q`: part of the name or short name (any
    case), or the exact code. The count stops at 1,000 (`count_is_capped`), and so do the
    pages: narrow with `q`, `region`, `kind`, or browse `/tree`."""
    public(response)
    region = get_region(filters.region) if filters.region.strip() else None
    kind = kind_filter(filters.kind.strip())
    return directory.Paged(
        lambda number, size: directory.find(
            q=filters.q, region=region, kind=kind, number=number, page_size=size
        ),
        summary,
    )


@router.get("/tree", response=list[InstitutionSummary], auth=None, summary="Tree level")
@paginate(DirectoryPagination)
def tree(request: HttpRequest, response: HttpResponse, filters: Query[TreeFilter]) -> Any:
    """Children of `parent` (all of them, counted exactly), or the top two levels (the
    national centre and provinces)."""
    public(response)
    qs = services.public_institutions()
    if filters.parent:
        qs = qs.filter(parent=public_institution(filters.parent))
    else:
        qs = qs.filter(depth__lte=1)
    return directory.Paged(
        lambda number, size: directory.list_page(qs, number=number, page_size=size, capped=False),
        summary,
    )


@router.get("/regions", response=list[RegionOut], auth=None, summary="Regions")
def regions(request: HttpRequest, response: HttpResponse, filters: Query[RegionFilter]) -> Any:
    """Provinces, or the regions directly inside `parent`."""
    public(response, max_age=3600)
    if filters.parent:
        qs = Region.objects.filter(parent=get_region(filters.parent))
    else:
        qs = Region.objects.filter(level=Region.Level.PROVINCE)
    return [
        {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_id}
        for r in qs.order_by("code")
    ]


@router.get(
    "/by-region/{region_code}", response=list[InstitutionSummary], auth=None, summary="By region"
)
@paginate(DirectoryPagination)
def by_region(request: HttpRequest, response: HttpResponse, region_code: str) -> Any:
    """Institutions whose region lies inside `region_code`, top of the tree first (count
    capped at 1,000 as in the list)."""
    public(response)
    region = get_region(region_code[:6] if len(region_code) <= 6 else "invalid")
    return directory.Paged(
        lambda number, size: directory.find(region=region, number=number, page_size=size),
        summary,
    )


# --- staff: articles and members by id (before the /{code} routes) --------------------


@router.get("/staff/articles", response=list[StaffArticleOut], summary="Staff: articles in scope")
@paginate
def staff_articles(request: HttpRequest, filters: Query[StaffArticleFilter]) -> Any:
    qs = scope_queryset(
        Article.objects.select_related("institution"), user_of(request), Perm.WORKBENCH
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.institution:
        qs = qs.filter(institution__code=filters.institution)
    return [staff_article(a) for a in qs.order_by("-updated_at", "-pk")]


def staff_article_or_404(request: HttpRequest, article_id: int) -> Article:
    qs = scope_queryset(
        Article.objects.select_related("institution"), user_of(request), Perm.WORKBENCH
    )
    article = qs.filter(pk=article_id).first()
    if article is None:
        raise NotFound()
    return article


@router.get("/staff/articles/{article_id}", response=StaffArticleOut, summary="Staff: article")
def staff_article_detail(request: HttpRequest, response: HttpResponse, article_id: int) -> Any:
    private(response)
    return staff_article(staff_article_or_404(request, article_id))


@router.patch("/staff/articles/{article_id}", response=StaffArticleOut, summary="Staff: edit")
def staff_article_update(request: HttpRequest, article_id: int, payload: ArticleIn) -> Any:
    article = staff_article_or_404(request, article_id)
    article = services.update_article(
        actor=user_of(request),
        article=article,
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
    )
    return staff_article(article)


@router.post(
    "/staff/articles/{article_id}/submit", response=StaffArticleOut, summary="Staff: submit"
)
def staff_article_submit(request: HttpRequest, article_id: int) -> Any:
    article = staff_article_or_404(request, article_id)
    return staff_article(services.submit_article(actor=user_of(request), article=article))


def membership_or_404(request: HttpRequest, membership_id: int) -> Membership:
    qs = scope_queryset(
        Membership.objects.select_related("user", "institution"),
        user_of(request),
        Perm.MANAGE_MEMBERS,
    )
    membership = qs.filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    return membership


@router.patch("/members/{membership_id}", response=MemberOut, summary="Staff: change role")
def change_member(request: HttpRequest, membership_id: int, payload: MemberRoleIn) -> Any:
    membership = membership_or_404(request, membership_id)
    membership = services.change_member_role(
        actor=user_of(request), membership=membership, role=payload.role
    )
    return member_payload(membership)


@router.delete("/members/{membership_id}", response={204: None}, summary="Staff: remove member")
def delete_member(request: HttpRequest, membership_id: int) -> Any:
    membership = membership_or_404(request, membership_id)
    services.remove_member(actor=user_of(request), membership=membership)
    return Status(204, None)


# --- public: one institution -----------------------------------------------------------


@router.get("/{code}", response=InstitutionDetail, auth=None, summary="Institution")
def institution_detail(request: HttpRequest, response: HttpResponse, code: str) -> Any:
    public(response)
    return detail_payload(public_institution(code))


@router.get("/{code}/articles", response=list[ArticleSummary], auth=None, summary="Articles")
@paginate
def institution_articles(request: HttpRequest, response: HttpResponse, code: str) -> Any:
    public(response)
    inst = public_institution(code)
    return [
        article_summary(a) for a in services.public_articles(inst).select_related("institution")
    ]


@router.get("/{code}/articles/{article_id}", response=ArticleDetail, auth=None, summary="Article")
def institution_article(
    request: HttpRequest, response: HttpResponse, code: str, article_id: int
) -> Any:
    public(response)
    inst = public_institution(code)
    article = services.public_articles(inst).select_related("institution").filter(pk=article_id)
    found = article.first()
    if found is None:
        raise NotFound()
    return {**article_summary(found), "body": found.body}


# --- staff: one institution -----------------------------------------------------------


@router.patch("/{code}", response=InstitutionDetail, summary="Staff: update profile")
def update_profile(request: HttpRequest, code: str, payload: ProfileIn) -> Any:
    inst = any_institution(code)
    fields = payload.model_dump(exclude_unset=True)
    inst = services.update_institution(actor=user_of(request), institution=inst, **fields)
    return detail_payload(any_institution(inst.code))


@router.post("/{code}/children", response={201: InstitutionDetail}, summary="Staff: add child")
def create_child(request: HttpRequest, code: str, payload: ChildIn) -> Any:
    parent = any_institution(code)
    data = payload.model_dump()
    child = services.create_child_institution(
        actor=user_of(request),
        parent=parent,
        code=data.pop("code"),
        name=data.pop("name"),
        kind=data.pop("kind"),
        region_code=data.pop("region_code"),
        **data,
    )
    return Status(201, detail_payload(any_institution(child.code)))


@router.post("/{code}/logo", response=InstitutionDetail, summary="Staff: upload logo")
def upload_logo(request: HttpRequest, code: str, logo: File[UploadedFile]) -> Any:
    inst = services.set_institution_logo(
        actor=user_of(request), institution=any_institution(code), upload=logo
    )
    return detail_payload(any_institution(inst.code))


@router.delete("/{code}/logo", response=InstitutionDetail, summary="Staff: remove logo")
def delete_logo(request: HttpRequest, code: str) -> Any:
    inst = services.set_institution_logo(
        actor=user_of(request), institution=any_institution(code), upload=None
    )
    return detail_payload(any_institution(inst.code))


@router.post("/{code}/move", response=InstitutionDetail, summary="Staff: move")
def move(request: HttpRequest, code: str, payload: MoveIn) -> Any:
    inst = any_institution(code)
    try:
        new_parent = any_institution(payload.new_parent)
    except NotFound:
        message = _("No such institution.")
        raise ServiceError(
            message, code="unknown_institution", fields={"new_parent": [message]}
        ) from None
    inst = services.move_institution(
        actor=user_of(request), institution=inst, new_parent=new_parent
    )
    return detail_payload(any_institution(inst.code))


@router.post("/{code}/merge", response=InstitutionDetail, summary="Staff: merge into target")
def merge(request: HttpRequest, code: str, payload: MergeIn) -> Any:
    source = any_institution(code)
    try:
        target = any_institution(payload.target)
    except NotFound:
        message = _("No such institution.")
        raise ServiceError(
            message, code="unknown_institution", fields={"target": [message]}
        ) from None
    target = services.merge_institutions(actor=user_of(request), source=source, target=target)
    return detail_payload(any_institution(target.code))


class MemberFilter(Schema):
    subtree: bool = Field(False, description="Include the members of sub-institutions.")


@router.get("/{code}/members", response=list[MemberOut], summary="Staff: members")
@paginate
def members(
    request: HttpRequest, response: HttpResponse, code: str, filters: Query[MemberFilter]
) -> Any:
    private(response)
    inst = any_institution(code)
    check_perm(user_of(request), Perm.MANAGE_MEMBERS, inst)
    qs = Membership.objects.select_related("user", "institution")
    if filters.subtree:
        qs = qs.filter(institution__path__startswith=inst.path)
    else:
        qs = qs.filter(institution=inst)
    return [member_payload(m) for m in qs.order_by("institution__path", "role", "pk")]


@router.post("/{code}/members", response={201: MemberOut}, summary="Staff: add member")
def add_member(request: HttpRequest, code: str, payload: MemberIn) -> Any:
    from culturecloud.accounts.models import User

    actor = user_of(request)
    inst = any_institution(code)
    check_perm(actor, Perm.MANAGE_MEMBERS, inst)
    if payload.role not in Role.values:
        message = _("Choose a valid role.")
        raise ServiceError(message, code="invalid_role", fields={"role": [message]})
    user: Any = None
    if payload.user_id is not None:
        user = User.objects.filter(pk=payload.user_id, is_active=True).first()
        field = "user_id"
    elif payload.phone:
        user = services.find_person_by_phone(actor=actor, phone=payload.phone)
        field = "phone"
    else:
        message = _("Give the person's account number or mobile number.")
        raise ServiceError(message, code="user_required", fields={"user_id": [message]})
    if user is None:
        message = _("No account was found. The person needs to sign up first.")
        raise NotFound(message, code="user_not_found", fields={field: [message]})
    membership = services.add_member(actor=actor, institution=inst, user=user, role=payload.role)
    membership = Membership.objects.select_related("user", "institution").get(pk=membership.pk)
    return Status(201, member_payload(membership))


@router.post("/{code}/articles", response={201: StaffArticleOut}, summary="Staff: new article")
def create_article(request: HttpRequest, code: str, payload: ArticleIn) -> Any:
    article = services.create_article(
        actor=user_of(request),
        institution=any_institution(code),
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
    )
    return Status(201, staff_article(article))
