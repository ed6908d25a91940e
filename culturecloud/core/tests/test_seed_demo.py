"""seed_demo: the demo data set is complete, written through the services, and idempotent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.urls import reverse

from culturecloud.accounts.models import AccountKind, User
from culturecloud.accounts.services import create_user_with_phone, login_with_password
from culturecloud.core import review
from culturecloud.core.management import demo_resources
from culturecloud.core.management.demo import (
    ARTICLES,
    CITIZENS,
    DEMO_PASSWORD,
    STAFF,
    login_rows,
    logins_markdown,
)
from culturecloud.core.management.demo_resources import (
    COLLECTION_ITEMS,
    COLLECTION_TITLE,
    PROJECTS,
)
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.core.tests.cache_isolation import private_cache  # noqa: F401
from culturecloud.institutions.models import (
    Article,
    Institution,
    InstitutionKind,
    Membership,
    Region,
    Role,
)
from culturecloud.institutions.permissions import Perm, has_perm, scope_queryset
from culturecloud.media.models import AssetStatus, MediaAsset
from culturecloud.resources.models import (
    Collection,
    HeritageProject,
    Inheritor,
    Resource,
    ResourceKind,
)

K = InstitutionKind

# Log-ins are rate limited per account in the shared cache: a fresh namespace per test.
pytestmark = pytest.mark.usefixtures("private_cache")


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db) -> str:
    return _seed("--no-media")


def test_demo_tree_has_every_level_in_three_provinces(demo):
    national = Institution.objects.get(kind=K.NATIONAL)
    assert national.name == "全国公共文化发展中心"
    provinces = Institution.objects.filter(parent=national)
    assert sorted(p.name for p in provinces) == ["四川省文化馆", "广东省文化馆", "浙江省文化馆"]
    for province in provinces:
        subtree = Institution.objects.filter(path__startswith=province.path)
        kinds = set(subtree.values_list("kind", flat=True))
        assert {K.PROVINCIAL, K.MUNICIPAL, K.COUNTY, K.TOWNSHIP, K.VILLAGE} <= kinds
        assert 1 <= subtree.filter(kind=K.MUNICIPAL).count() <= 2
    for inst in Institution.objects.exclude(parent=None).select_related("parent", "region"):
        parent, region = inst.parent, inst.region
        assert parent is not None
        assert inst.path == f"{parent.path}{inst.pk}/"
        assert inst.depth == parent.depth + 1
        # Real region codes, consistent with the parent's region.
        assert region is not None
        if parent.region is not None:
            assert region.code.startswith(parent.region.code_prefix)
        assert inst.address and inst.opening_hours and inst.description
    county = Region.objects.select_related("parent__parent").get(institution__code="gd-gz-ch")
    assert (county.code, county.name) == ("440117", "从化区")
    city = county.parent
    assert city is not None and city.name == "广州市"
    assert city.parent is not None and city.parent.name == "广东省"
    # The whole code table was loaded from the npm package.
    assert Region.objects.count() > 3000
    assert AuditEntry.objects.filter(action="institutions.institution.created").count() == (
        Institution.objects.count()
    )


def test_demo_staff_hold_roles_at_every_level(demo):
    admin_kinds = set(
        Membership.objects.filter(role=Role.ADMIN).values_list("institution__kind", flat=True)
    )
    assert admin_kinds == {K.NATIONAL, K.PROVINCIAL, K.MUNICIPAL, K.COUNTY, K.TOWNSHIP, K.VILLAGE}
    for kind in (K.COUNTY, K.TOWNSHIP):
        roles = set(
            Membership.objects.filter(institution__kind=kind).values_list("role", flat=True)
        )
        assert roles == set(Role.values)
    assert Membership.objects.count() == len(STAFF)
    assert AuditEntry.objects.filter(action="institutions.member.added").count() == len(STAFF)
    assert set(User.objects.filter(memberships__isnull=False).values_list("kind", flat=True)) == {
        AccountKind.STAFF
    }
    citizens = User.objects.filter(kind=AccountKind.CITIZEN)
    assert citizens.count() == len(CITIZENS) >= 10
    assert all(c.nickname and c.region_id for c in citizens)
    # Subtree roles: the county reviewer may review the village below.
    reviewer = Membership.objects.get(role=Role.REVIEWER, institution__code="gd-gz-ch").user
    village = Institution.objects.get(code="gd-gz-ch-tp-qg")
    assert has_perm(reviewer, Perm.REVIEW, village)
    assert not has_perm(reviewer, Perm.REVIEW, Institution.objects.get(code="zj-hz-tl"))


def test_demo_articles_went_through_review(demo):
    counts = {status: Article.objects.filter(status=status).count() for status in ReviewStatus}
    expected = {status: sum(a.outcome == status for a in ARTICLES) for status in ReviewStatus}
    assert counts == expected
    assert counts[ReviewStatus.PUBLISHED] >= 3
    assert counts[ReviewStatus.PENDING] >= 3
    for article in review.published(Article.objects.all()):
        assert article.published_at is not None
        assert article.reviewed_by_id not in (None, article.created_by_id)
    assert (
        AuditEntry.objects.filter(action="institutions.article.approved").count()
        == (counts[ReviewStatus.PUBLISHED])
    )
    assert AuditEntry.objects.filter(action="institutions.article.submitted").count() == (
        len(ARTICLES) - counts[ReviewStatus.DRAFT]
    )
    rejected = Article.objects.get(status=ReviewStatus.REJECTED)
    assert rejected.rejection_reason
    # The township reviewer's queue holds the village's pending article.
    reviewer = Membership.objects.get(role=Role.REVIEWER, institution__code="gd-gz-ch-tp").user
    queue = scope_queryset(
        Article.objects.filter(status=ReviewStatus.PENDING), reviewer, Perm.REVIEW
    )
    assert [a.title for a in queue] == ["钱岗村古村落文化讲堂本周六开讲"]


def test_every_demo_login_works(demo):
    for phone, password, _role, _institution in login_rows():
        identifier = phone.split(" / ")[0]
        user = login_with_password(identifier=identifier, password=password)
        assert user.phone_masked == f"{identifier[:3]}****{identifier[-4:]}"
    superuser = authenticate(username="admin", password=DEMO_PASSWORD)
    assert superuser is not None
    assert superuser.is_superuser and superuser.is_staff


def test_demo_login_through_the_login_page(demo, client):
    response = client.post(
        reverse("accounts:login"),
        {"method": "password", "identifier": "13800000133", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        Membership.objects.get(role=Role.REVIEWER, institution__code="gd-gz-ch-tp").user_id
    )
    assert client.login(username="admin", password=DEMO_PASSWORD)


def test_mini_site_shows_published_demo_news_only(demo, client):
    response = client.get(reverse("institutions:detail", kwargs={"code": "gd-gz-ch"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "从化区文化馆" in page
    assert "从化区2026年“村晚”节目征集启事" in page
    assert "非遗传承人进校园活动安排" not in page  # pending


def test_seed_demo_prints_the_logins_table(demo):
    assert "Demo data loaded: 32 institutions" in demo
    assert logins_markdown() in demo


def test_readme_lists_the_same_demo_logins():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert logins_markdown() in readme


def test_seed_demo_once_is_a_no_op_the_second_time(db):
    first = _seed("--once", "--no-media")
    assert "Demo data loaded" in first
    counts = (
        Institution.objects.count(),
        User.objects.count(),
        Article.objects.count(),
        AuditEntry.objects.count(),
    )
    assert _seed("--once") == ""
    with pytest.raises(CommandError, match="already loaded"):
        _seed("--no-media")
    assert counts == (
        Institution.objects.count(),
        User.objects.count(),
        Article.objects.count(),
        AuditEntry.objects.count(),
    )


def test_seed_demo_is_all_or_nothing(db):
    # A number the demo wants is taken: nothing of the demo may stay behind.
    taken = create_user_with_phone(phone=CITIZENS[-1].phone, nickname="先注册的人")
    before_audit = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="phone_taken"):
        _seed("--once", "--no-media")
    assert list(User.objects.all()) == [taken]
    assert Institution.objects.count() == 0
    assert Article.objects.count() == 0
    assert Membership.objects.count() == 0
    assert Region.objects.count() == 0
    assert AuditEntry.objects.count() == before_audit


def test_seed_demo_reuses_an_existing_national_centre(db):
    call_command("seed_scale", institutions=5, users=0, stdout=io.StringIO())
    _seed("--no-media")
    assert Institution.objects.filter(kind=K.NATIONAL).count() == 1
    national = Institution.objects.get(kind=K.NATIONAL)
    assert Institution.objects.filter(parent=national).count() == 5 + 3
    assert (
        Institution.objects.get(code="gd").path
        == f"{national.path}{Institution.objects.get(code='gd').pk}/"
    )


# --- the resource library -------------------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_FFMPEG_NICE = 0
    return Path(settings.MEDIA_ROOT)


def test_demo_library_went_through_services_and_review(demo):
    published = review.published(Resource.objects.all())
    assert 12 <= published.count() <= 20
    assert Resource.objects.filter(status=ReviewStatus.PENDING).count() == 1
    assert set(published.values_list("kind", flat=True)) == set(ResourceKind.values)
    assert len(set(published.values_list("category", flat=True))) >= 6
    assert published.exclude(ich_category="").count() >= 8
    for resource in published.select_related("heritage_project"):
        assert resource.reviewed_by_id not in (None, resource.created_by_id)
        if resource.heritage_project is not None:
            assert resource.heritage_project.institution_id == resource.institution_id
    assert HeritageProject.objects.count() == len(PROJECTS)
    assert Inheritor.objects.count() >= 4
    assert Resource.objects.filter(inheritors__isnull=False).distinct().count() >= 4
    assert AuditEntry.objects.filter(action="resources.resource.approved").count() == (
        published.count()
    )
    assert AuditEntry.objects.filter(action="resources.heritage_project.created").count() == (
        len(PROJECTS)
    )
    collection = Collection.objects.get(title=COLLECTION_TITLE)
    assert collection.status == ReviewStatus.PUBLISHED
    assert collection.items.count() == len(COLLECTION_ITEMS)
    assert not MediaAsset.objects.exists()  # --no-media
    assert "resources: 1 pending, 16 published (0 media files)" in demo


def test_demo_library_pages(demo, client):
    page = client.get(reverse("resources:index")).content.decode()
    assert "从化舞龙表演" in page and "从化荔枝节农民画" not in page  # pending
    project = HeritageProject.objects.get(name="从化舞龙")
    page = client.get(project.get_absolute_url()).content.decode()
    assert "陈汉光" in page and "从化舞龙表演" in page


def test_full_demo_seed_generates_and_processes_real_media(
    db, media_root, django_capture_on_commit_callbacks
):
    from culturecloud.celery import app as celery_app

    # The command's own commit runs the processing inside its eager window; here the test's
    # transaction defers the callbacks past that window, so keep Celery eager (as it is
    # without Redis) while they run.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            out = _seed()
    finally:
        celery_app.conf.task_always_eager = eager
    assert "resources: 1 pending, 16 published (20 media files)" in out
    assets = MediaAsset.objects.all()
    assert assets.count() == 20
    assert set(assets.values_list("status", flat=True)) == {AssetStatus.READY}
    assert {a.kind for a in assets} == {"video", "audio", "image", "document"}
    video = Resource.objects.get(title="从化舞龙表演")
    assert video.media is not None and video.media.hls_path
    assert (media_root / video.media.hls_path).is_file()
    images = Resource.objects.get(title="太平镇剪纸作品集").images.count()
    assert images == 3


def test_demo_library_failure_leaves_no_rows_and_no_files(
    db, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    # Two resources with media, then a collection naming a resource that is not there.
    picked = tuple(r for r in demo_resources.RESOURCES if r.kind in ("image", "document"))[:2]
    monkeypatch.setattr(demo_resources, "RESOURCES", picked)
    monkeypatch.setattr(demo_resources, "COLLECTION_ITEMS", ("没有这个资源",))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(KeyError):
        _seed()
    assert Institution.objects.count() == 0
    assert Resource.objects.count() == 0 and MediaAsset.objects.count() == 0
    assert not [p for p in media_root.rglob("*") if p.is_file()]
