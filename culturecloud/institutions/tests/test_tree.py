"""Tree writes: create child, move, merge — kinds, cycles, path rewrite, nothing half-written."""

from __future__ import annotations

import pytest

from culturecloud.core.errors import Conflict, PermissionDenied, ServiceError
from culturecloud.core.models import AuditEntry
from culturecloud.institutions import services
from culturecloud.institutions.models import Article, Institution, InstitutionKind, Membership, Role

K = InstitutionKind


def snapshot() -> list[tuple]:
    return list(
        Institution.objects.order_by("pk").values_list(
            "pk", "parent_id", "path", "depth", "is_active", "merged_into_id"
        )
    )


def assert_tree_consistent() -> None:
    """Every path is the parent's path plus the pk; depth matches; no cycles."""
    rows = {i.pk: i for i in Institution.objects.all()}
    for inst in rows.values():
        if inst.parent_id is None:
            assert inst.path == f"/{inst.pk}/"
            assert inst.depth == 0
        else:
            parent = rows[inst.parent_id]
            assert inst.path == f"{parent.path}{inst.pk}/"
            assert inst.depth == parent.depth + 1
        assert inst.path.count(f"/{inst.pk}/") == 1


@pytest.fixture
def superuser(make_user):
    return make_user(is_superuser=True, is_staff=True)


def test_kind_order_rules():
    allowed = services.kind_allowed_under
    assert allowed(K.PROVINCIAL, K.NATIONAL)
    assert allowed(K.COUNTY, K.PROVINCIAL)  # 省直辖县: a level may be skipped
    assert not allowed(K.MUNICIPAL, K.COUNTY)
    assert not allowed(K.COUNTY, K.COUNTY)
    assert not allowed(K.NATIONAL, K.PROVINCIAL)
    assert allowed(K.LIBRARY, K.VILLAGE)
    assert allowed(K.MUSEUM, K.NATIONAL)
    assert allowed(K.LIBRARY, K.LIBRARY)  # a branch library
    assert not allowed(K.TOWNSHIP, K.LIBRARY)


def test_create_child_institution(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    child = services.create_child_institution(
        actor=admin,
        parent=tree.county,
        code="gd-gz-ch-wq",
        name="温泉镇综合文化站",
        kind=K.TOWNSHIP,
        region_code="440117",
        address="温泉镇 1 号",
    )
    assert child.path == f"{tree.county.path}{child.pk}/"
    assert child.depth == tree.county.depth + 1
    assert child.region_id == "440117"
    assert child.address == "温泉镇 1 号"
    entry = AuditEntry.objects.get(
        action="institutions.institution.created", target_id=str(child.pk)
    )
    assert entry.actor == admin
    assert entry.institution_path == child.path


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"region_code": "999999"}, "unknown_region", "region"),
        ({"region_code": "44011"}, "unknown_region", "region"),
        ({"region_code": ""}, "required", "region"),
        ({"kind": K.MUNICIPAL}, "kind_order", "kind"),
        ({"kind": "palace"}, "invalid_kind", "kind"),
        ({"code": "Bad Code!"}, "invalid_code", "code"),
        ({"code": "tree"}, "invalid_code", "code"),
        ({"code": "gd-gz-zc"}, "code_taken", "code"),
        ({"name": "  "}, "validation_error", "name"),
        ({"name": "x" * 121}, "validation_error", "name"),
        ({"email": "not-an-email"}, "validation_error", "email"),
        ({"postcode": "12"}, "validation_error", "postcode"),
        ({"parent_id": 1}, "unknown_field", "parent_id"),
    ],
)
def test_create_child_refuses_bad_input(tree, make_user, kwargs, code, field):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    args = {
        "code": "gd-gz-ch-new",
        "name": "新站",
        "kind": K.TOWNSHIP,
        "region_code": "440117",
        **kwargs,
    }
    before = Institution.objects.count()
    with pytest.raises(ServiceError) as info:
        services.create_child_institution(actor=admin, parent=tree.county, **args)
    assert info.value.code == code
    assert field in info.value.fields
    assert info.value.status in (400, 409)
    assert Institution.objects.count() == before


def test_create_child_outside_subtree_is_refused(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    with pytest.raises(PermissionDenied):
        services.create_child_institution(
            actor=admin,
            parent=tree.sibling_county,
            code="gd-gz-zc-x",
            name="x",
            kind=K.TOWNSHIP,
            region_code="440118",
        )
    assert not Institution.objects.filter(code="gd-gz-zc-x").exists()


def test_move_rewrites_paths_of_a_deep_subtree(tree, superuser):
    # township (with its village) moves from 从化 to 增城
    deep = services.create_institution(
        code="lib", name="村图书室", kind=K.LIBRARY, parent=tree.village
    )
    deeper = services.create_institution(
        code="lib-branch", name="分室", kind=K.LIBRARY, parent=deep
    )
    audit_before = AuditEntry.objects.filter(institution=deeper).count()
    moved = services.move_institution(
        actor=superuser, institution=tree.township, new_parent=tree.sibling_county
    )
    assert moved.parent_id == tree.sibling_county.pk
    assert moved.path == f"{tree.sibling_county.path}{tree.township.pk}/"
    for node in (tree.village, deep, deeper):
        node.refresh_from_db()
        assert node.path.startswith(moved.path)
    assert deeper.depth == 7
    assert_tree_consistent()
    # the audit entries' scope moved with the subtree
    entries = AuditEntry.objects.filter(institution=deeper)
    assert entries.count() == audit_before
    assert all(e.institution_path == deeper.path for e in entries)
    entry = AuditEntry.objects.get(action="institutions.institution.moved")
    assert entry.before["parent"] == tree.county.code
    assert entry.after["parent"] == tree.sibling_county.code
    assert entry.after["subtree_size"] == 4


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_move_refuses_cycles_and_writes_nothing(tree, superuser, target):
    new_parent = {"self": tree.county, "child": tree.township, "grandchild": tree.village}[target]
    before = snapshot()
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as info:
        services.move_institution(actor=superuser, institution=tree.county, new_parent=new_parent)
    assert info.value.code == "tree_cycle"
    assert "new_parent" in info.value.fields
    assert snapshot() == before
    assert AuditEntry.objects.count() == audit_before


def test_move_refuses_wrong_kind_and_root(tree, superuser):
    before = snapshot()
    with pytest.raises(ServiceError) as info:
        services.move_institution(
            actor=superuser, institution=tree.sibling_county, new_parent=tree.township
        )
    assert info.value.code == "kind_order"
    with pytest.raises(ServiceError) as info:
        services.move_institution(actor=superuser, institution=tree.national, new_parent=tree.city)
    assert info.value.code in {"cannot_move_root", "tree_cycle"}
    assert snapshot() == before


def test_move_needs_edit_rights_at_both_ends(tree, make_user):
    # admin of 从化 cannot move its township to 增城 (outside the subtree) ...
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.move_institution(
            actor=county_admin, institution=tree.township, new_parent=tree.sibling_county
        )
    # ... nor pull 增城's units into 从化
    with pytest.raises(PermissionDenied):
        services.move_institution(
            actor=county_admin, institution=tree.sibling_county, new_parent=tree.county
        )
    # an editor of the city has no EDIT_INSTITUTION at all
    city_editor = make_user(role=Role.EDITOR, institution=tree.city)
    with pytest.raises(PermissionDenied):
        services.move_institution(
            actor=city_editor, institution=tree.township, new_parent=tree.sibling_county
        )
    assert snapshot() == before
    # the city admin holds both ends
    city_admin = make_user(role=Role.ADMIN, institution=tree.city)
    services.move_institution(
        actor=city_admin, institution=tree.township, new_parent=tree.sibling_county
    )
    assert_tree_consistent()


def test_move_changes_who_may_act(tree, make_user, superuser):
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    services.move_institution(
        actor=superuser, institution=tree.township, new_parent=tree.sibling_county
    )
    county_admin = type(county_admin).objects.get(pk=county_admin.pk)
    township = Institution.objects.get(pk=tree.township.pk)
    with pytest.raises(PermissionDenied):
        services.update_institution(actor=county_admin, institution=township, name="x")


def test_merge_moves_children_members_articles_and_records(tree, make_user, superuser):
    # 从化 merges into 增城
    both = make_user(role=Role.EDITOR, institution=tree.county)
    Membership.objects.create(user=both, institution=tree.sibling_county, role=Role.EDITOR)
    only_source = make_user(role=Role.REVIEWER, institution=tree.county)
    article = Article.objects.create(institution=tree.county, title="t", body="<p>b</p>")
    services.update_institution(actor=superuser, institution=tree.county, address="old address")

    target = services.merge_institutions(
        actor=superuser, source=tree.county, target=tree.sibling_county
    )
    assert target.pk == tree.sibling_county.pk
    source = Institution.objects.get(pk=tree.county.pk)
    assert not source.is_active
    assert source.merged_into_id == target.pk
    assert not source.children.exists()
    township = Institution.objects.get(pk=tree.township.pk)
    assert township.parent_id == target.pk
    assert township.path == f"{target.path}{township.pk}/"
    assert_tree_consistent()
    # memberships moved, duplicates dropped
    assert not Membership.objects.filter(institution=source).exists()
    assert Membership.objects.filter(user=both, institution=target, role=Role.EDITOR).count() == 1
    assert Membership.objects.filter(user=only_source, institution=target).exists()
    # content and the audit trail now belong to the target
    article.refresh_from_db()
    assert article.institution_id == target.pk
    updated = AuditEntry.objects.get(action="institutions.institution.updated")
    assert updated.institution_id == target.pk
    assert updated.institution_path == target.path
    merged = AuditEntry.objects.get(action="institutions.institution.merged")
    assert merged.before["source"] == "gd-gz-ch"
    assert merged.after["members"] == 1


def test_merge_refusals_write_nothing(tree, superuser, make_user):
    other_village = services.create_institution(
        code="zc-v", name="村", kind=K.VILLAGE, parent=tree.sibling_county
    )
    before = snapshot()
    cases = [
        (tree.county, tree.county, "tree_cycle"),
        (tree.national, tree.province, "cannot_move_root"),
        (tree.county, tree.village, "tree_cycle"),
        (tree.township, other_village, "kind_order"),  # a village cannot hang under a village
    ]
    for source, target, code in cases:
        with pytest.raises(ServiceError) as info:
            services.merge_institutions(actor=superuser, source=source, target=target)
        assert info.value.code == code, (source, target)
    assert snapshot() == before
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    with pytest.raises(PermissionDenied):
        services.merge_institutions(
            actor=county_admin, source=tree.township, target=tree.sibling_county
        )
    services.merge_institutions(actor=superuser, source=tree.sibling_county, target=tree.county)
    with pytest.raises(Conflict):
        services.merge_institutions(actor=superuser, source=tree.sibling_county, target=tree.county)


def test_merged_institution_is_hidden_and_its_grants_lapse(tree, make_user, superuser):
    services.merge_institutions(actor=superuser, source=tree.sibling_county, target=tree.county)
    assert not services.public_institutions().filter(pk=tree.sibling_county.pk).exists()
    with pytest.raises(ServiceError) as info:
        services.move_institution(
            actor=superuser, institution=tree.township, new_parent=tree.sibling_county
        )
    assert info.value.code == "inactive"
