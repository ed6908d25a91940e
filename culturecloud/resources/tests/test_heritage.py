"""Heritage projects (非遗项目) and inheritors (传承人): services (scope, validation, audit),
staff pages, the public project page and /api/v1/resources/heritage/…"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from culturecloud.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from culturecloud.core.models import AuditEntry
from culturecloud.resources import services
from culturecloud.resources.models import HeritageLevel, HeritageProject, IchCategory, Inheritor

API = "/api/v1/resources/heritage"


def post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def project(tree, editor, regions):
    return services.create_heritage_project(
        actor=editor,
        institution=tree.county,
        name="从化舞龙",
        code="Ⅵ-99",
        ich_category=IchCategory.SPORTS,
        level=HeritageLevel.MUNICIPAL,
        region="440117",
        description="<b>流传</b>于从化区的舞龙。",
    )


@pytest.fixture
def sibling_project(tree, staff):
    return services.create_heritage_project(
        actor=staff["sibling_editor"],
        institution=tree.sibling_county,
        name="增城麒麟舞",
        ich_category=IchCategory.DANCE,
        level=HeritageLevel.COUNTY,
    )


def test_services_create_update_audited(tree, editor, project, regions):
    assert project.description == "流传于从化区的舞龙。"  # plain text
    assert project.region_id == "440117"
    entry = AuditEntry.objects.get(action="resources.heritage_project.created")
    assert entry.target_id == str(project.pk)
    updated = services.update_heritage_project(
        actor=editor,
        project=project,
        name="从化舞龙（太平）",
        code="Ⅵ-99",
        ich_category=IchCategory.SPORTS,
        level=HeritageLevel.PROVINCIAL,
        region="",
        description="",
    )
    assert updated.level == HeritageLevel.PROVINCIAL and updated.region_id is None
    change = AuditEntry.objects.get(action="resources.heritage_project.updated")
    assert change.before["level"] == "municipal" and change.after["level"] == "provincial"
    person = services.create_inheritor(
        actor=editor,
        project=project,
        name="李师傅",
        level=HeritageLevel.MUNICIPAL,
        region="440117",
        bio="<script>x</script>从事舞龙四十年。",
    )
    assert person.bio == "从事舞龙四十年。"
    services.update_inheritor(
        actor=editor, inheritor=person, name="李师傅", level=HeritageLevel.PROVINCIAL
    )
    assert AuditEntry.objects.filter(action="resources.inheritor.updated").count() == 1
    person.refresh_from_db()
    assert person.level == HeritageLevel.PROVINCIAL and person.region_id is None


def test_services_scope_and_bad_input(tree, staff, editor, project, sibling_project):
    with pytest.raises(PermissionDenied):
        services.update_heritage_project(
            actor=staff["sibling_editor"],
            project=project,
            name="x",
            ich_category=IchCategory.SPORTS,
            level=HeritageLevel.COUNTY,
        )
    with pytest.raises(PermissionDenied):  # reviewers do not edit
        services.create_heritage_project(
            actor=staff["reviewer"],
            institution=tree.county,
            name="x",
            ich_category=IchCategory.SPORTS,
            level=HeritageLevel.COUNTY,
        )
    with pytest.raises(PermissionDenied):
        services.create_inheritor(
            actor=editor, project=sibling_project, name="某", level=HeritageLevel.COUNTY
        )
    person = services.create_inheritor(
        actor=editor, project=project, name="某", level=HeritageLevel.COUNTY
    )
    with pytest.raises(PermissionDenied):  # moving into another's project
        services.update_inheritor(
            actor=editor,
            inheritor=person,
            project=sibling_project,
            name="某",
            level=HeritageLevel.COUNTY,
        )
    with pytest.raises(ServiceError) as exc:
        services.create_heritage_project(
            actor=editor,
            institution=tree.county,
            name="  ",
            ich_category="民俗",
            level="国家级",
            region="999999",
            description="长" * 5000,
        )
    assert set(exc.value.fields) == {"name", "ich_category", "level", "region", "description"}
    with pytest.raises(ServiceError) as exc:
        services.create_inheritor(
            actor=editor, project=project, name="x" * 61, level="", bio="长" * 1001
        )
    assert set(exc.value.fields) == {"name", "level", "bio"}
    with pytest.raises(Conflict):
        services.create_heritage_project(
            actor=editor,
            institution=tree.county,
            name="重号",
            code="Ⅵ-99",
            ich_category=IchCategory.SPORTS,
            level=HeritageLevel.MUNICIPAL,
        )
    with pytest.raises(NotFound):
        services.get_public_heritage_project("abc")
    assert HeritageProject.objects.count() == 2
    assert Inheritor.objects.count() == 1


def test_moving_an_inheritor_drops_it_from_old_resources(tree, editor, project, make_resource):
    person = services.create_inheritor(
        actor=editor, project=project, name="李师傅", level=HeritageLevel.COUNTY
    )
    other = services.create_heritage_project(
        actor=editor,
        institution=tree.county,
        name="太平剪纸",
        ich_category=IchCategory.ART,
        level=HeritageLevel.COUNTY,
    )
    resource = make_resource("舞龙", heritage_project=project.pk, inheritors=[person.pk])
    services.update_inheritor(
        actor=editor, inheritor=person, project=other, name="李师傅", level=HeritageLevel.COUNTY
    )
    assert list(resource.inheritors.all()) == []


def test_staff_pages_scope(client, tree, staff, editor, project, sibling_project):
    client.force_login(editor)
    listing = client.get(reverse("resources:manage_heritage"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "从化舞龙" in html and "增城麒麟舞" not in html
    assert (
        client.get(reverse("resources:manage_heritage_edit", args=[project.pk])).status_code == 200
    )
    assert (
        client.get(reverse("resources:manage_heritage_edit", args=[sibling_project.pk])).status_code
        == 404
    )
    # a reviewer has no EDIT_CONTENT
    client.force_login(staff["reviewer"])
    assert client.get(reverse("resources:manage_heritage")).status_code == 403
    client.logout()
    assert client.get(reverse("resources:manage_heritage")).status_code == 302


def test_staff_pages_create_edit_and_errors(client, tree, editor, project):
    client.force_login(editor)
    url = reverse("resources:manage_heritage_new")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"institution": "gd-gz-zc", "name": "", "ich_category": "x"})
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.content.decode() or "errorlist" in bad.content.decode()
    duplicate = client.post(
        url,
        {
            "institution": "gd-gz-ch",
            "name": "又一个舞龙",
            "code": "Ⅵ-99",
            "ich_category": IchCategory.SPORTS,
            "level": HeritageLevel.MUNICIPAL,
        },
    )
    assert duplicate.status_code == 400
    good = client.post(
        url,
        {
            "institution": "gd-gz-ch-tp",
            "name": "太平剪纸",
            "ich_category": IchCategory.ART,
            "level": HeritageLevel.COUNTY,
            "region": "440117",
            "description": "剪纸",
        },
    )
    assert good.status_code == 302
    created = HeritageProject.objects.get(name="太平剪纸")
    assert created.institution == tree.township
    edit = client.post(
        reverse("resources:manage_heritage_edit", args=[created.pk]),
        {"name": "太平镇剪纸", "ich_category": IchCategory.ART, "level": HeritageLevel.COUNTY},
    )
    assert edit.status_code == 302
    created.refresh_from_db()
    assert created.name == "太平镇剪纸" and created.institution == tree.township
    # inheritors
    new = reverse("resources:manage_inheritor_new")
    assert client.get(new, {"project": created.pk}).status_code == 200
    assert client.post(new, {"project": created.pk, "name": "", "level": "x"}).status_code == 400
    ok = client.post(
        new, {"project": created.pk, "name": "王剪", "level": HeritageLevel.COUNTY, "bio": "剪纸"}
    )
    assert ok.status_code == 302
    person = Inheritor.objects.get(name="王剪")
    edited = client.post(
        reverse("resources:manage_inheritor_edit", args=[person.pk]),
        {"project": project.pk, "name": "王剪", "level": HeritageLevel.MUNICIPAL},
    )
    assert edited.status_code == 302
    person.refresh_from_db()
    assert person.project == project and person.level == HeritageLevel.MUNICIPAL
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "resources.heritage_project.created",
        "resources.heritage_project.updated",
        "resources.inheritor.created",
        "resources.inheritor.updated",
    } <= actions


def test_inheritor_page_outside_scope(client, staff, editor, sibling_project):
    person = services.create_inheritor(
        actor=staff["sibling_editor"],
        project=sibling_project,
        name="邻居",
        level=HeritageLevel.COUNTY,
    )
    client.force_login(editor)
    assert (
        client.get(reverse("resources:manage_inheritor_edit", args=[person.pk])).status_code == 404
    )
    # a project outside the scope is not a choice
    response = client.post(
        reverse("resources:manage_inheritor_new"),
        {"project": sibling_project.pk, "name": "偷", "level": HeritageLevel.COUNTY},
    )
    assert response.status_code == 400
    assert not Inheritor.objects.filter(name="偷").exists()


def test_public_project_page(client, editor, project, published, make_resource):
    services.create_inheritor(
        actor=editor, project=project, name="李师傅", level=HeritageLevel.COUNTY, bio="舞龙四十年"
    )
    published("从化舞龙表演", heritage_project=project.pk)
    make_resource("草稿舞龙", heritage_project=project.pk)
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "从化舞龙表演" in html and "草稿舞龙" not in html
    assert "李师傅" in html and "舞龙四十年" in html
    assert client.get(reverse("resources:heritage_project", args=[999999])).status_code == 404


def test_api_public_list_and_detail(
    client, editor, project, sibling_project, published, django_assert_max_num_queries
):
    services.create_inheritor(
        actor=editor, project=project, name="李师傅", level=HeritageLevel.COUNTY
    )
    published("从化舞龙表演", heritage_project=project.pk)
    with django_assert_max_num_queries(3):
        listing = client.get(f"{API}/projects")
    assert listing.status_code == 200
    assert listing.json()["count"] == 2
    filtered = client.get(f"{API}/projects", {"ich_category": IchCategory.DANCE}).json()
    assert [p["name"] for p in filtered["items"]] == ["增城麒麟舞"]
    with django_assert_max_num_queries(4):
        detail = client.get(f"{API}/projects/{project.pk}")
    body = detail.json()
    assert body["resources"] == 1 and body["inheritors"][0]["name"] == "李师傅"
    assert body["region"] == {"code": "440117", "name": "从化区"}
    assert client.get(f"{API}/projects/999999").status_code == 404
    people = client.get(f"{API}/inheritors").json()
    assert people["count"] == 1 and people["items"][0]["project"]["id"] == project.pk
    pk = people["items"][0]["id"]
    assert client.get(f"{API}/inheritors/{pk}").json()["name"] == "李师傅"
    assert client.get(f"{API}/inheritors/999999").status_code == 404


def test_api_staff_create_update_scope_and_errors(client, tree, staff, editor, sibling_project):
    # anonymous: no
    anonymous = post(client, f"{API}/projects", {"institution": "gd-gz-ch", "name": "x"})
    assert anonymous.status_code in (401, 403)
    client.force_login(editor)
    bad = post(
        client,
        f"{API}/projects",
        {"institution": "gd-gz-ch", "name": "", "ich_category": "x", "level": "y"},
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"name", "ich_category", "level"}
    assert (
        post(
            client,
            f"{API}/projects",
            {"institution": "nope", "name": "x", "ich_category": "quyi", "level": "county"},
        ).status_code
        == 404
    )
    outside = post(
        client,
        f"{API}/projects",
        {"institution": "gd-gz-zc", "name": "x", "ich_category": "quyi", "level": "county"},
    )
    assert outside.status_code == 403
    created = post(
        client,
        f"{API}/projects",
        {
            "institution": "gd-gz-ch",
            "name": "从化山歌",
            "ich_category": IchCategory.MUSIC,
            "level": HeritageLevel.COUNTY,
            "region": "440117",
        },
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    updated = post(
        client,
        f"{API}/projects/{pk}",
        {"name": "从化客家山歌", "ich_category": IchCategory.MUSIC, "level": "municipal"},
        method="put",
    )
    assert updated.status_code == 200 and updated.json()["level"] == "municipal"
    assert (
        post(
            client,
            f"{API}/projects/{sibling_project.pk}",
            {"name": "x", "ich_category": "quyi", "level": "county"},
            method="put",
        ).status_code
        == 403
    )
    person = post(client, f"{API}/inheritors", {"project": pk, "name": "山歌王", "level": "county"})
    assert person.status_code == 201
    assert (
        post(
            client,
            f"{API}/inheritors",
            {"project": sibling_project.pk, "name": "x", "level": "county"},
        ).status_code
        == 403
    )
    assert (
        post(
            client, f"{API}/inheritors", {"project": 999999, "name": "x", "level": "county"}
        ).status_code
        == 404
    )
    moved = post(
        client,
        f"{API}/inheritors/{person.json()['id']}",
        {"project": pk, "name": "山歌王", "level": "provincial", "bio": "唱山歌五十年"},
        method="put",
    )
    assert moved.status_code == 200 and moved.json()["bio"] == "唱山歌五十年"
    assert client.put(
        f"{API}/inheritors/1", "not json", content_type="application/json"
    ).status_code in (
        400,
        422,
    )


def test_workbench_links_only_for_editors(client, staff, editor):
    client.force_login(editor)
    html = client.get(reverse("workbench:home")).content.decode()
    for name in ("resources:manage", "resources:manage_heritage", "media:upload"):
        assert f'href="{reverse(name)}"' in html
    client.force_login(staff["reviewer"])
    html = client.get(reverse("workbench:home")).content.decode()
    for name in ("resources:manage", "resources:manage_heritage", "media:upload"):
        assert f'href="{reverse(name)}"' not in html
