"""Public pages: directory (tree, search), mini-site, article; drafts never public. Admin."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from culturecloud.core import review
from culturecloud.core.models import AuditEntry
from culturecloud.institutions import services
from culturecloud.institutions.models import Institution, InstitutionKind, Membership, Role


@pytest.fixture
def articles(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.city)
    public = services.create_article(
        actor=editor,
        institution=tree.county,
        title="村晚报名开始",
        summary="欢迎报名",
        body="<p>报名<strong>开始</strong></p><script>alert(1)</script>",
    )
    review.submit(public, actor=editor)
    review.approve(public, actor=reviewer)
    draft = services.create_article(
        actor=editor, institution=tree.county, title="内部草稿", summary="", body="<p>秘密</p>"
    )
    return public, draft


def test_directory_shows_the_tree(client, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("institutions:directory"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "全国公共文化发展中心" in html and "广东省文化馆" in html and "浙江省文化馆" in html
    # 广东 has children: lazily expandable; 浙江 has none
    assert f'hx-get="{reverse("institutions:children", kwargs={"code": "gd"})}"' in html
    assert reverse("institutions:children", kwargs={"code": "zj"}) not in html
    assert response["Cache-Control"].startswith("public")
    # every form control has a label
    for control_id in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', html):
        assert f'for="{control_id}"' in html


def test_tree_children_fragment(client, tree):
    url = reverse("institutions:children", kwargs={"code": "gd-gz"})
    response = client.get(url, headers={"hx-request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "从化区文化馆" in html and "增城区文化馆" in html
    assert "<html" not in html
    # without htmx, the institution's own page lists its children
    assert client.get(url).status_code == 302
    assert client.get(reverse("institutions:children", kwargs={"code": "nope"})).status_code == 404


def test_directory_search_and_filters(client, tree):
    url = reverse("institutions:directory")
    html = client.get(url, {"q": "从化"}).content.decode()
    assert "从化区文化馆" in html and "增城区文化馆" not in html
    html = client.get(url, {"region": "440100", "kind": "county"}).content.decode()
    assert "从化区文化馆" in html and "增城区文化馆" in html and "广州市文化馆" not in html
    html = client.get(url, {"q": "不存在的馆"}).content.decode()
    assert "No institution matches your search." in html or "没有" in html


@pytest.mark.parametrize(
    "params", [{"region": "999999"}, {"region": "abc"}, {"kind": "palace"}, {"q": "x" * 101}]
)
def test_directory_bad_filters_are_a_400_with_the_error_shown(client, tree, params):
    response = client.get(reverse("institutions:directory"), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist"' in html
    assert 'aria-invalid="true"' in html


def test_directory_pagination(client, tree):
    for i in range(25):
        services.create_institution(
            code=f"lib-{i:02d}",
            name=f"图书室{i:02d}",
            kind=InstitutionKind.LIBRARY,
            parent=tree.village,
        )
    url = reverse("institutions:directory")
    first = client.get(url, {"q": "图书室"}).content.decode()
    assert "图书室00" in first and "图书室24" not in first
    assert 'rel="next"' in first
    second = client.get(url, {"q": "图书室", "page": 2}).content.decode()
    assert "图书室24" in second and 'rel="prev"' in second
    assert client.get(url, {"q": "图书室", "page": "x"}).status_code == 200


def test_mini_site(client, tree, articles, django_assert_max_num_queries):
    services.update_institution(
        actor=_superuser(),
        institution=tree.county,
        address="从化区街口街道 1 号",
        opening_hours="周二至周日 9:00-17:00",
        phone="020-87000000",
        description="第一段\n\n第二段",
    )
    url = reverse("institutions:detail", kwargs={"code": "gd-gz-ch"})
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("从化区文化馆", "从化区街口街道 1 号", "周二至周日 9:00-17:00", "020-87000000"):
        assert text in html
    assert "<p>第一段</p>" in html
    # breadcrumbs of the ancestors, in order
    crumbs = html[html.index('class="breadcrumbs"') :]
    positions = [
        crumbs.index(name) for name in ("全国公共文化发展中心", "广东省文化馆", "广州市文化馆")
    ]
    assert positions == sorted(positions)
    assert 'aria-current="page">从化区文化馆' in crumbs
    # published articles only; children listed
    assert "村晚报名开始" in html and "内部草稿" not in html
    assert "太平镇综合文化站" in html


def _superuser():
    from culturecloud.accounts.models import User

    return User.objects.create_user(username="root-for-pages", is_superuser=True)


def test_grassroots_units_have_a_mini_site(client, tree):
    html = client.get(reverse("institutions:detail", kwargs={"code": "gd-gz-ch-tp-qg"})).content
    assert "钱岗村综合性文化服务中心" in html.decode()


def test_unknown_and_merged_institutions(client, tree, make_user):
    assert client.get(reverse("institutions:detail", kwargs={"code": "nope"})).status_code == 404
    services.merge_institutions(
        actor=make_user(is_superuser=True), source=tree.sibling_county, target=tree.county
    )
    response = client.get(reverse("institutions:detail", kwargs={"code": "gd-gz-zc"}))
    assert response.status_code == 301
    assert response["Location"] == reverse("institutions:detail", kwargs={"code": "gd-gz-ch"})


def test_article_page_and_drafts_never_public(client, tree, articles):
    public, draft = articles
    url = reverse("institutions:article", kwargs={"code": "gd-gz-ch", "pk": public.pk})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>开始</strong>" in html and "<script>alert" not in html
    assert "广州市文化馆" in html  # breadcrumbs
    for code, pk in (("gd-gz-ch", draft.pk), ("gd-gz-zc", public.pk), ("gd-gz-ch", 999999)):
        assert (
            client.get(reverse("institutions:article", kwargs={"code": code, "pk": pk})).status_code
            == 404
        )
    review.unpublish(public, actor=Membership.objects.get(role=Role.REVIEWER).user, reason="过期")
    assert client.get(url).status_code == 404


# --- admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("model", ["region", "institution", "membership", "article"])
def test_admin_lists_open(admin_client, tree, articles, model):
    assert admin_client.get(f"/admin/institutions/{model}/").status_code == 200


def test_admin_adds_institution_through_the_service(admin_client, tree):
    response = admin_client.post(
        "/admin/institutions/institution/add/",
        {
            "code": "gd-gz-ch-lib",
            "name": "从化区图书馆",
            "kind": "library",
            "parent": tree.county.pk,
            "region": "440117",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inst = Institution.objects.get(code="gd-gz-ch-lib")
    assert inst.path == f"{tree.county.path}{inst.pk}/"
    assert AuditEntry.objects.filter(
        action="institutions.institution.created", target_id=str(inst.pk)
    ).exists()
    bad = admin_client.post(
        "/admin/institutions/institution/add/",
        {"code": "gd-x", "name": "x", "kind": "provincial", "parent": tree.county.pk},
    )
    assert bad.status_code == 200  # the form again, with the error
    assert not Institution.objects.filter(code="gd-x").exists()


def test_admin_edits_profile_and_members_through_services(admin_client, tree, make_user):
    response = admin_client.get(f"/admin/institutions/institution/{tree.county.pk}/change/")
    assert response.status_code == 200
    person = make_user()
    response = admin_client.post(
        "/admin/institutions/membership/add/",
        {"user": person.pk, "institution": tree.county.pk, "role": "editor"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    assert AuditEntry.objects.filter(action="institutions.member.added").exists()
    response = admin_client.post(
        f"/admin/institutions/membership/{membership.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="institutions.member.removed").exists()
    assert admin_client.get("/admin/institutions/article/add/").status_code == 403
