"""THE permission matrix: role × target (relative to the staff member's own institution)
× read / write, through the permission helper, the services and the API.

The staff member always holds the role at 从化区文化馆 (the county):
    own = the county, child = its township, sibling = 增城 (the sibling county),
    parent = 广州 (the city above).
A role applies to its institution's subtree: allowed ⇔ target in {own, child} and the
role's ROLE_PERMS contain the permission the action needs.
"""

from __future__ import annotations

import pytest

from culturecloud.core.errors import PermissionDenied
from culturecloud.core.models import AuditEntry
from culturecloud.institutions import services
from culturecloud.institutions.models import Article, Institution, Membership, Role
from culturecloud.institutions.permissions import (
    ROLE_PERMS,
    Perm,
    has_perm,
    is_staff_member,
    scope_queryset,
    scoped_institutions,
)

RELATIONS = {"own": "county", "child": "township", "sibling": "sibling_county", "parent": "city"}
IN_SUBTREE = {"own", "child"}
ROLES = [Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.OPERATOR]

matrix = pytest.mark.parametrize(
    ("role", "relation"), [(role, rel) for role in ROLES for rel in RELATIONS]
)


def expected(role: str, relation: str, perm: Perm) -> bool:
    return relation in IN_SUBTREE and perm in ROLE_PERMS[role]


@pytest.fixture
def staff_at_county(tree, make_user):
    def factory(role: str):
        return make_user(role=role, institution=tree.county)

    return factory


def target_of(tree, relation: str) -> Institution:
    return getattr(tree, RELATIONS[relation])


def error_shape(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["message"]
    return body


# --- the helper itself ------------------------------------------------------------------


@matrix
@pytest.mark.parametrize("perm", list(Perm))
def test_has_perm_matrix(tree, staff_at_county, role, relation, perm):
    staff = staff_at_county(role)
    assert has_perm(staff, perm, target_of(tree, relation)) is expected(role, relation, perm)


@matrix
def test_scoped_institutions_matrix(tree, staff_at_county, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    scope = scoped_institutions(staff, Perm.WORKBENCH)
    assert scope.filter(pk=target.pk).exists() is (relation in IN_SUBTREE)
    assert set(scope.values_list("code", flat=True)) == {
        "gd-gz-ch",
        "gd-gz-ch-tp",
        "gd-gz-ch-tp-qg",
    }


def test_no_role_no_access(tree, make_user):
    citizen = make_user()
    assert not is_staff_member(citizen)
    assert not scoped_institutions(citizen, Perm.WORKBENCH).exists()
    assert not any(has_perm(citizen, perm, tree.village) for perm in Perm)


def test_platform_admin_and_inactive_users(tree, make_user):
    root = make_user(is_superuser=True)
    assert all(has_perm(root, perm, tree.village) for perm in Perm)
    assert scoped_institutions(root, Perm.EDIT_INSTITUTION).count() == Institution.objects.count()
    gone = make_user(role=Role.ADMIN, institution=tree.national, is_active=False)
    assert not has_perm(gone, Perm.WORKBENCH, tree.village)


def test_roles_at_several_institutions_add_up(tree, make_user):
    staff = make_user(role=Role.EDITOR, institution=tree.county)
    Membership.objects.create(user=staff, institution=tree.other_province, role=Role.REVIEWER)
    assert has_perm(staff, Perm.EDIT_CONTENT, tree.village)
    assert not has_perm(staff, Perm.REVIEW, tree.village)
    assert has_perm(staff, Perm.REVIEW, tree.other_province)
    assert not has_perm(staff, Perm.EDIT_CONTENT, tree.other_province)


# --- reads: drafts, members, records ----------------------------------------------------


@matrix
def test_read_drafts_members_and_records_matrix(tree, staff_at_county, make_user, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    draft = Article.objects.create(institution=target, title="草稿", body="<p>x</p>")
    other = make_user(role=Role.EDITOR, institution=target)
    services.update_institution(actor=make_user(is_superuser=True), institution=target, address="a")
    visible = relation in IN_SUBTREE
    assert (
        scope_queryset(Article.objects.all(), staff, Perm.WORKBENCH).filter(pk=draft.pk).exists()
        is visible
    )
    members = scope_queryset(Membership.objects.all(), staff, Perm.MANAGE_MEMBERS)
    assert members.filter(user=other).exists() is expected(role, relation, Perm.MANAGE_MEMBERS)
    records = scope_queryset(
        AuditEntry.objects.filter(action="institutions.institution.updated"),
        staff,
        Perm.READ_AUDIT,
        path_field="institution_path",
    )
    assert records.filter(institution=target).exists() is expected(role, relation, Perm.READ_AUDIT)


@matrix
def test_api_read_matrix(client, tree, staff_at_county, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    draft = Article.objects.create(institution=target, title="草稿", body="<p>x</p>")
    client.force_login(staff)
    response = client.get(f"/api/v1/institutions/staff/articles/{draft.pk}")
    if relation in IN_SUBTREE:
        assert response.status_code == 200
        assert response.json()["status"] == "draft"
    else:
        assert response.status_code == 404
        assert error_shape(response)["code"] == "not_found"
    listing = client.get("/api/v1/institutions/staff/articles").json()
    assert (draft.pk in {item["id"] for item in listing["items"]}) is (relation in IN_SUBTREE)
    members = client.get(f"/api/v1/institutions/{target.code}/members")
    if expected(role, relation, Perm.MANAGE_MEMBERS):
        assert members.status_code == 200
    else:
        assert members.status_code == 403
        assert error_shape(members)["code"] == "permission_denied"
    # the public never sees a draft
    client.logout()
    public = client.get(f"/api/v1/institutions/{target.code}/articles/{draft.pk}")
    assert public.status_code == 404


# --- writes through the services ---------------------------------------------------------


@matrix
def test_create_article_matrix(tree, staff_at_county, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    allowed = expected(role, relation, Perm.EDIT_CONTENT)
    if allowed:
        article = services.create_article(
            actor=staff, institution=target, title="通知", summary="", body="<p>内容</p>"
        )
        assert article.institution == target and article.status == "draft"
    else:
        with pytest.raises(PermissionDenied):
            services.create_article(
                actor=staff, institution=target, title="通知", summary="", body="<p>内容</p>"
            )
        assert not Article.objects.filter(institution=target).exists()


@matrix
def test_update_article_matrix(tree, staff_at_county, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    article = Article.objects.create(institution=target, title="old", body="<p>old</p>")
    allowed = expected(role, relation, Perm.EDIT_CONTENT)
    if allowed:
        services.update_article(actor=staff, article=article, title="new", summary="", body="b")
    else:
        with pytest.raises(PermissionDenied):
            services.update_article(actor=staff, article=article, title="new", summary="", body="b")
    article.refresh_from_db()
    assert article.title == ("new" if allowed else "old")


@matrix
def test_add_member_matrix(tree, staff_at_county, make_user, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    newcomer = make_user()
    allowed = expected(role, relation, Perm.MANAGE_MEMBERS)
    if allowed:
        services.add_member(actor=staff, institution=target, user=newcomer, role=Role.EDITOR)
    else:
        with pytest.raises(PermissionDenied):
            services.add_member(actor=staff, institution=target, user=newcomer, role=Role.EDITOR)
    assert Membership.objects.filter(user=newcomer, institution=target).exists() is allowed
    assert AuditEntry.objects.filter(action="institutions.member.added").exists() is allowed


@matrix
def test_update_institution_matrix(tree, staff_at_county, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    allowed = expected(role, relation, Perm.EDIT_INSTITUTION)
    if allowed:
        services.update_institution(actor=staff, institution=target, opening_hours="9:00-17:00")
    else:
        with pytest.raises(PermissionDenied):
            services.update_institution(actor=staff, institution=target, opening_hours="9:00-17:00")
    target.refresh_from_db()
    assert (target.opening_hours == "9:00-17:00") is allowed


@matrix
def test_remove_member_matrix(tree, staff_at_county, make_user, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    other = make_user(role=Role.OPERATOR, institution=target)
    membership = Membership.objects.get(user=other)
    allowed = expected(role, relation, Perm.MANAGE_MEMBERS)
    if allowed:
        services.remove_member(actor=staff, membership=membership)
    else:
        with pytest.raises(PermissionDenied):
            services.remove_member(actor=staff, membership=membership)
    assert Membership.objects.filter(pk=membership.pk).exists() is not allowed


# --- writes through the API ----------------------------------------------------------------


@matrix
def test_api_write_matrix(client, tree, staff_at_county, make_user, role, relation):
    staff = staff_at_county(role)
    target = target_of(tree, relation)
    client.force_login(staff)
    base = f"/api/v1/institutions/{target.code}"

    # create an article (EDIT_CONTENT)
    response = client.post(
        f"{base}/articles",
        {"title": "通知", "summary": "", "body": "<p>正文</p>"},
        content_type="application/json",
    )
    if expected(role, relation, Perm.EDIT_CONTENT):
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert error_shape(response)["code"] == "permission_denied"

    # edit an existing draft (EDIT_CONTENT; invisible outside the subtree)
    draft = Article.objects.create(institution=target, title="old", body="<p>old</p>")
    response = client.patch(
        f"/api/v1/institutions/staff/articles/{draft.pk}",
        {"title": "new", "summary": "", "body": "<p>new</p>"},
        content_type="application/json",
    )
    if expected(role, relation, Perm.EDIT_CONTENT):
        assert response.status_code == 200
    else:
        assert response.status_code == (403 if relation in IN_SUBTREE else 404)
        error_shape(response)
    draft.refresh_from_db()
    assert (draft.title == "new") is expected(role, relation, Perm.EDIT_CONTENT)

    # add a member (MANAGE_MEMBERS)
    newcomer = make_user()
    response = client.post(
        f"{base}/members",
        {"user_id": newcomer.pk, "role": "editor"},
        content_type="application/json",
    )
    if expected(role, relation, Perm.MANAGE_MEMBERS):
        assert response.status_code == 201
        assert response.json()["user_id"] == newcomer.pk
    else:
        assert response.status_code == 403
        error_shape(response)
    assert Membership.objects.filter(user=newcomer).exists() is expected(
        role, relation, Perm.MANAGE_MEMBERS
    )

    # update the profile (EDIT_INSTITUTION)
    response = client.patch(base, {"address": "新地址"}, content_type="application/json")
    if expected(role, relation, Perm.EDIT_INSTITUTION):
        assert response.status_code == 200
        assert response.json()["address"] == "新地址"
    else:
        assert response.status_code == 403
        error_shape(response)
    target.refresh_from_db()
    assert (target.address == "新地址") is expected(role, relation, Perm.EDIT_INSTITUTION)
