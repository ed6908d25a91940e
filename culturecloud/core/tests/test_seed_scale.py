"""seed_scale: bulk rows that are as consistent as the ones the services write."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from culturecloud.accounts.models import AccountKind, User
from culturecloud.accounts.services import (
    create_user_with_phone,
    find_user_by_phone,
    login_with_password,
    user_phone,
)
from culturecloud.core.management.scale import LEVELS, plan_tree
from culturecloud.core.models import AuditEntry
from culturecloud.core.tests.cache_isolation import private_cache  # noqa: F401
from culturecloud.institutions.models import Institution, InstitutionKind, Membership
from culturecloud.institutions.permissions import Perm, has_perm, scoped_institutions
from culturecloud.institutions.services import create_institution


def _run(**options) -> str:
    out = io.StringIO()
    call_command("seed_scale", stdout=out, **options)
    return out.getvalue()


def _assert_tree_consistent() -> None:
    by_pk = {i.pk: i for i in Institution.objects.all()}
    roots = [i for i in by_pk.values() if i.parent_id is None]
    assert [r.kind for r in roots] == [InstitutionKind.NATIONAL]
    for inst in by_pk.values():
        if inst.parent_id is None:
            assert inst.path == f"/{inst.pk}/"
            assert inst.depth == 0
            continue
        parent = by_pk[inst.parent_id]
        assert inst.path == f"{parent.path}{inst.pk}/"
        assert inst.depth == parent.depth + 1
        assert inst.ancestor_ids()[-1] == inst.pk
        assert inst.ancestor_ids()[:-1] == parent.ancestor_ids()
    # The subtree by path prefix equals the subtree by walking parents.
    children: dict[int, list[int]] = {}
    for inst in by_pk.values():
        if inst.parent_id is not None:
            children.setdefault(inst.parent_id, []).append(inst.pk)
    for inst in by_pk.values():
        walked, stack = set(), [inst.pk]
        while stack:
            pk = stack.pop()
            walked.add(pk)
            stack.extend(children.get(pk, []))
        by_prefix = set(
            Institution.objects.filter(path__startswith=inst.path).values_list("pk", flat=True)
        )
        assert by_prefix == walked


def _check_small_run() -> None:
    output = _run(institutions=50, users=200, batch=64)
    assert "Created 50 institutions, 200 users and 50 memberships" in output
    assert "users: 200/200" in output

    assert Institution.objects.count() == 51  # the national centre was created too
    assert Institution.objects.filter(kind=InstitutionKind.NATIONAL).count() == 1
    _assert_tree_consistent()
    depth_kinds = set(Institution.objects.values_list("depth", "kind"))
    assert depth_kinds <= {(0, InstitutionKind.NATIONAL)} | {
        (level + 1, kind) for level, (kind, _fanout, _label) in enumerate(LEVELS)
    }
    assert Institution.objects.filter(depth=1).count() == 34  # the first level is full

    assert User.objects.count() == 200
    user = find_user_by_phone("19900000007")
    assert user is not None
    assert user.username == "scale00000007"
    assert user_phone(user) == "19900000007"
    assert user.phone_masked == "199****0007"
    assert not user.has_usable_password()
    assert user.nickname
    assert User.objects.filter(kind=AccountKind.STAFF).count() == 50

    assert Membership.objects.count() == 50
    assert set(Membership.objects.values_list("role", flat=True)) == {
        "admin",
        "editor",
        "reviewer",
        "operator",
    }
    # The permission helper sees bulk memberships like any other.
    admin_ship = (
        Membership.objects.filter(role="admin", institution__depth=1)
        .select_related("user", "institution")
        .first()
    )
    assert admin_ship is not None
    below = Institution.objects.filter(
        path__startswith=admin_ship.institution.path, depth__gt=1
    ).first()
    assert below is not None
    assert has_perm(admin_ship.user, Perm.EDIT_INSTITUTION, below)
    assert set(scoped_institutions(admin_ship.user, Perm.WORKBENCH)) == set(
        Institution.objects.filter(path__startswith=admin_ship.institution.path)
    )
    entry = AuditEntry.objects.get(action="core.scale_data.created")
    assert entry.after["institutions"] == 50
    assert entry.after["users"] == 200
    # Keys were reserved properly: the next ordinary inserts do not collide.
    user = create_user_with_phone(phone="13912340000", nickname="after bulk")
    assert user.pk > max(User.objects.exclude(pk=user.pk).values_list("pk", flat=True))
    national = Institution.objects.get(kind=InstitutionKind.NATIONAL)
    late = create_institution(code="late", name="后建文化馆", kind="provincial", parent=national)
    assert late.pk > max(Institution.objects.exclude(pk=late.pk).values_list("pk", flat=True))


def test_seed_scale_small_numbers_make_a_consistent_tree_and_users(db):
    _check_small_run()


def test_seed_scale_again_continues_numbers_and_reuses_the_national_centre(tree):
    _run(institutions=10, users=5, batch=3)
    _run(institutions=10, users=5, batch=3)
    assert Institution.objects.filter(kind=InstitutionKind.NATIONAL).count() == 1
    assert Institution.objects.filter(parent=tree.national, kind="provincial").count() == 2 + 20
    assert sorted(User.objects.values_list("username", flat=True)) == [
        f"scale{n:08d}" for n in range(1, 11)
    ]
    assert len(set(User.objects.values_list("phone_digest", flat=True))) == 10
    _assert_tree_consistent()
    # The fixture's own institutions keep their paths.
    tree.village.refresh_from_db()
    assert tree.village.path.startswith(tree.township.path)


@pytest.mark.usefixtures("private_cache")
def test_bulk_user_can_get_a_password_and_log_in(db):
    from culturecloud.accounts.services import set_password

    _run(institutions=0, users=3)
    user = find_user_by_phone("19900000002")
    assert user is not None
    set_password(user=user, new_password="bulk-user-pass-2026")
    assert login_with_password(identifier="199 0000 0002", password="bulk-user-pass-2026") == user


def test_plan_tree_last_level_takes_the_rest():
    root = Institution(id=1, path="/1/", depth=0)
    total = 34 + 34 * 12 + 10
    planned = plan_tree(root=root, count=total, ids=list(range(2, total + 2)), tag="t", now=None)
    assert len(planned) == total
    assert [p.depth for p in planned].count(1) == 34
    assert [p.depth for p in planned].count(2) == 34 * 12
    assert [p.depth for p in planned].count(3) == 10
    assert len({p.code for p in planned}) == total
    assert all(p.path.endswith(f"/{p.pk}/") for p in planned)


@pytest.mark.parametrize(
    "options",
    [{"institutions": -1}, {"users": -5}, {"users": 1, "batch": 0}],
)
def test_seed_scale_refuses_bad_numbers(db, options):
    with pytest.raises(CommandError):
        _run(**options)
    assert User.objects.count() == 0
    assert Institution.objects.count() == 0


@pytest.mark.postgres
def test_seed_scale_uses_copy_on_postgresql(db):
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."
    _check_small_run()


# --- resources ------------------------------------------------------------------------


def _check_resources(count: int) -> None:
    from culturecloud.core.review import published
    from culturecloud.resources import browse
    from culturecloud.resources.models import Resource
    from culturecloud.search.models import SearchDocument
    from culturecloud.search.query import search

    resources = Resource.objects.filter(identifier__startswith="cc:res:scale-")
    assert resources.count() == count
    assert published(Resource.objects.all()).count() == count
    docs = SearchDocument.objects.filter(doc_type="resources.resource")
    assert docs.count() == count
    sample = resources.select_related("institution").order_by("pk")[: min(count, 50)]
    for r in sample:
        assert r.title and r.description.startswith("<p>") and r.year
        assert r.institution_path == r.institution.path
        assert r.region_id  # a county of the code table
    kinds = set(resources.values_list("kind", flat=True))
    assert kinds <= {"video", "audio", "image", "image_set", "document"} and len(kinds) >= 3
    assert resources.exclude(ich_category="").exists()
    # what the library and the search find
    assert browse.listing(browse.parse_filters({})).count() == count
    first = sample[0]
    topic = first.subject.split()[0]
    results = search(first.title, doc_types=["resources.resource"], page_size=50)
    assert results.total >= 1
    assert all(topic in hit.title for hit in results.items)
    same_title = set(resources.filter(title=first.title).values_list("pk", flat=True))
    assert same_title <= {int(hit.object_id) for hit in results.items} or results.total > 50


def test_seed_scale_resources_with_search_documents(db):
    out = _run(institutions=30, resources=120, batch=50)
    assert "Created 120 resources and 120 search documents" in out
    _check_resources(120)
    from culturecloud.resources.models import Resource

    used = set(Resource.objects.values_list("institution_id", flat=True))
    assert len(used) >= 20  # spread over the tree (31 institutions)
    assert used <= set(Institution.objects.values_list("pk", flat=True))
    assert AuditEntry.objects.filter(
        action="core.scale_data.created", after__resources=120
    ).exists()


def test_seed_scale_refuses_negative_resources(db):
    with pytest.raises(CommandError):
        _run(resources=-1)
    with pytest.raises(CommandError):
        _run(resources=1, workers=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seed_scale_resources_on_postgresql_rebuilds_indexes_with_workers():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."
    from culturecloud.core.management.scale import seed_resources

    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename IN "
                "('resources_resource', 'search_searchdocument')"
            )
            return {row[0] for row in cursor.fetchall()}

    before = index_names()
    result = seed_resources(count=400, batch=100, rebuild_indexes=True, workers=2)
    assert result.resources == result.documents == 400
    assert index_names() == before  # dropped for the load, built again
    _check_resources(400)
