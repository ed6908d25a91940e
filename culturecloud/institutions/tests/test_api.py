"""/api/v1/institutions: public reads (with pinned query counts), staff writes, bad input."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from culturecloud.core import review
from culturecloud.core.models import AuditEntry
from culturecloud.institutions import services
from culturecloud.institutions.models import Article, Institution, Membership, Role

API = "/api/v1/institutions"


def error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    return body


@pytest.fixture
def published(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.city)
    article = services.create_article(
        actor=editor, institution=tree.county, title="春节联欢", summary="摘要", body="<p>正文</p>"
    )
    review.submit(article, actor=editor)
    review.approve(article, actor=reviewer)
    draft = services.create_article(
        actor=editor, institution=tree.county, title="草稿", summary="", body="<p>未发布</p>"
    )
    return article, draft


@pytest.fixture
def superuser(make_user):
    return make_user(is_superuser=True, is_staff=True)


# --- public reads ---------------------------------------------------------------------


def test_tree_top_levels_and_children(client, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(f"{API}/tree")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    items = response.json()["items"]
    assert [i["code"] for i in items] == ["cn", "gd", "zj"]
    assert items[0]["has_children"] is True
    assert {i["code"]: i["has_children"] for i in items}["zj"] is False
    with django_assert_max_num_queries(3):
        response = client.get(f"{API}/tree", {"parent": "gd-gz"})
    assert [i["code"] for i in response.json()["items"]] == ["gd-gz-zc", "gd-gz-ch"] or [
        i["code"] for i in response.json()["items"]
    ] == ["gd-gz-ch", "gd-gz-zc"]
    error_shape(client.get(f"{API}/tree", {"parent": "nope"}), 404, "not_found")


def test_list_search_and_filters(client, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(API, {"q": "从化"})
    assert [i["code"] for i in response.json()["items"]] == ["gd-gz-ch"]
    body = client.get(API, {"region": "440100"}).json()
    assert {i["code"] for i in body["items"]} == {
        "gd-gz",
        "gd-gz-ch",
        "gd-gz-zc",
        "gd-gz-ch-tp",
        "gd-gz-ch-tp-qg",
    }
    assert body["count"] == 5
    body = client.get(API, {"region": "440000", "kind": "county"}).json()
    assert {i["code"] for i in body["items"]} == {"gd-gz-ch", "gd-gz-zc"}
    body = client.get(API, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 8 and len(body["items"]) == 2
    item = client.get(API, {"q": "gd-gz-ch"}).json()["items"][0]
    assert item["url"] == "/institutions/gd-gz-ch/"
    assert item["region_name"] == "从化区" and item["kind_label"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"region": "999999"}, 400, "unknown_region"),
        ({"region": "44"}, 400, "unknown_region"),
        ({"region": "4401170"}, 422, "validation_error"),
        ({"kind": "palace"}, 400, "invalid_kind"),
        ({"q": "x" * 101}, 422, "validation_error"),
        ({"page": 0}, 422, "validation_error"),
        ({"page": "abc"}, 422, "validation_error"),
    ],
)
def test_list_bad_input(client, tree, params, status, code):
    error_shape(client.get(API, params), status, code)


def test_regions_and_by_region(client, tree, django_assert_max_num_queries):
    provinces = client.get(f"{API}/regions").json()
    assert {r["code"] for r in provinces} == {"440000", "330000"}
    cities = client.get(f"{API}/regions", {"parent": "440100"}).json()
    assert [r["code"] for r in cities] == ["440117", "440118"]
    error_shape(client.get(f"{API}/regions", {"parent": "123456"}), 400, "unknown_region")
    with django_assert_max_num_queries(3):
        body = client.get(f"{API}/by-region/440117").json()
    assert {i["code"] for i in body["items"]} == {"gd-gz-ch", "gd-gz-ch-tp", "gd-gz-ch-tp-qg"}
    error_shape(client.get(f"{API}/by-region/000000"), 400, "unknown_region")
    error_shape(client.get(f"{API}/by-region/{'9' * 300}"), 400, "unknown_region")


def test_detail(client, tree, django_assert_num_queries):
    with django_assert_num_queries(3):
        response = client.get(f"{API}/gd-gz-ch-tp")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    body = response.json()
    assert body["name"] == "太平镇综合文化站"
    assert [a["code"] for a in body["ancestors"]] == ["cn", "gd", "gd-gz", "gd-gz-ch"]
    assert body["children_count"] == 1 and body["has_children"] is True
    assert body["is_grassroots"] is True
    assert body["parent_code"] == "gd-gz-ch"
    error_shape(client.get(f"{API}/missing"), 404, "not_found")
    error_shape(client.get(f"{API}/{'x' * 500}"), 404, "not_found")


def test_public_articles_only_published(client, tree, published, django_assert_max_num_queries):
    article, draft = published
    with django_assert_max_num_queries(3):
        body = client.get(f"{API}/gd-gz-ch/articles").json()
    assert [a["id"] for a in body["items"]] == [article.pk]
    assert body["items"][0]["url"] == f"/institutions/gd-gz-ch/articles/{article.pk}/"
    with django_assert_max_num_queries(2):
        detail = client.get(f"{API}/gd-gz-ch/articles/{article.pk}")
    assert detail.json()["body"] == "<p>正文</p>"
    error_shape(client.get(f"{API}/gd-gz-ch/articles/{draft.pk}"), 404, "not_found")
    # published, but asked for under another institution
    error_shape(client.get(f"{API}/gd-gz-zc/articles/{article.pk}"), 404, "not_found")
    error_shape(client.get(f"{API}/gd-gz-ch/articles/abc"), 422, "validation_error")


def test_conditional_get_answers_304(client, tree):
    first = client.get(f"{API}/gd-gz-ch")
    etag = first["ETag"]
    again = client.get(f"{API}/gd-gz-ch", headers={"if-none-match": etag})
    assert again.status_code == 304


# --- staff writes ----------------------------------------------------------------------


def test_staff_endpoints_need_login(client, tree):
    error_shape(
        client.post(f"{API}/gd-gz-ch/children", {}, content_type="application/json"),
        401,
        "not_authenticated",
    )
    error_shape(client.get(f"{API}/staff/articles"), 401, "not_authenticated")
    error_shape(
        client.patch(f"{API}/gd-gz-ch", {"name": "x"}, content_type="application/json"),
        401,
        "not_authenticated",
    )


def test_bearer_token_works_for_staff(client, tree, make_user):
    from culturecloud.accounts.auth import token_digest
    from culturecloud.accounts.models import ApiToken

    admin = make_user(role=Role.ADMIN, institution=tree.county)
    ApiToken.objects.create(
        user=admin, name="t", key_digest=token_digest("secret-token"), prefix="x"
    )
    response = client.patch(
        f"{API}/gd-gz-ch",
        {"opening_hours": "周二至周日 9:00-17:00"},
        content_type="application/json",
        headers={"authorization": "Bearer secret-token"},
    )
    assert response.status_code == 200
    assert response.json()["opening_hours"] == "周二至周日 9:00-17:00"


def test_create_child_via_api(client, tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    client.force_login(admin)
    payload = {
        "code": "gd-gz-ch-wq",
        "name": "温泉镇综合文化站",
        "kind": "township",
        "region_code": "440117",
        "phone": "020-8788 0000",
    }
    response = client.post(f"{API}/gd-gz-ch/children", payload, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "gd-gz-ch-wq" and body["parent_code"] == "gd-gz-ch"
    assert body["ancestors"][-1]["code"] == "gd-gz-ch"
    # same code again
    again = client.post(f"{API}/gd-gz-ch/children", payload, content_type="application/json")
    assert error_shape(again, 409, "code_taken")["fields"]["code"]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"region_code": "999999"}, 400, "unknown_region", "region"),
        ({"region_code": "x" * 33}, 422, "validation_error", "region_code"),
        ({"code": "坏 code"}, 400, "invalid_code", "code"),
        ({"code": "x" * 65}, 400, "invalid_code", "code"),
        ({"kind": "provincial"}, 400, "kind_order", "kind"),
        ({"kind": "castle"}, 400, "invalid_kind", "kind"),
        ({"name": "名" * 121}, 400, "validation_error", "name"),
        ({"name": "名" * 501}, 422, "validation_error", "name"),
        ({"description": "d" * 20_001}, 422, "validation_error", "description"),
        ({"website": "javascript:alert(1)"}, 400, "validation_error", "website"),
        ({"email": "nope"}, 400, "validation_error", "email"),
        ({"phone": "<script>"}, 400, "validation_error", "phone"),
        ({"name": None}, 422, "validation_error", "name"),
    ],
)
def test_create_child_bad_input(client, tree, make_user, change, status, code, field):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    client.force_login(admin)
    payload = {"code": "gd-gz-ch-x", "name": "新站", "kind": "township", "region_code": "440117"}
    payload.update(change)
    before = Institution.objects.count()
    response = client.post(f"{API}/gd-gz-ch/children", payload, content_type="application/json")
    body = error_shape(response, status, code)
    assert field in body["fields"]
    assert Institution.objects.count() == before


def test_malformed_json_is_a_4xx(client, tree, make_user):
    client.force_login(make_user(role=Role.ADMIN, institution=tree.county))
    response = client.post(f"{API}/gd-gz-ch/children", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "fields"}


def test_update_profile_via_api(client, tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    client.force_login(admin)
    response = client.patch(
        f"{API}/gd-gz-ch",
        {"address": "从化区街口街道 1 号", "postcode": "510900", "region_code": "440117"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["postcode"] == "510900"
    entry = AuditEntry.objects.get(action="institutions.institution.updated")
    assert entry.after == {"address": "从化区街口街道 1 号", "postcode": "510900"}
    bad = client.patch(
        f"{API}/gd-gz-ch", {"region_code": "000001"}, content_type="application/json"
    )
    error_shape(bad, 400, "unknown_region")
    bad = client.patch(f"{API}/gd-gz-ch", {"postcode": "abc"}, content_type="application/json")
    error_shape(bad, 400, "validation_error")
    # fields outside the profile are ignored by the schema and never reach the model
    client.patch(
        f"{API}/gd-gz-ch", {"path": "/1/", "kind": "national"}, content_type="application/json"
    )
    county = Institution.objects.get(code="gd-gz-ch")
    assert county.path == tree.county.path and county.kind == "county"


def test_move_and_merge_via_api(client, tree, superuser):
    client.force_login(superuser)
    cycle = client.post(
        f"{API}/gd-gz-ch/move", {"new_parent": "gd-gz-ch-tp-qg"}, content_type="application/json"
    )
    assert error_shape(cycle, 400, "tree_cycle")["fields"]["new_parent"]
    unknown = client.post(
        f"{API}/gd-gz-ch/move", {"new_parent": "nowhere"}, content_type="application/json"
    )
    error_shape(unknown, 400, "unknown_institution")
    moved = client.post(
        f"{API}/gd-gz-ch-tp/move", {"new_parent": "gd-gz-zc"}, content_type="application/json"
    )
    assert moved.status_code == 200
    assert moved.json()["parent_code"] == "gd-gz-zc"
    merged = client.post(
        f"{API}/gd-gz-ch/merge", {"target": "gd-gz-zc"}, content_type="application/json"
    )
    assert merged.status_code == 200 and merged.json()["code"] == "gd-gz-zc"
    error_shape(client.get(f"{API}/gd-gz-ch"), 404, "not_found")
    again = client.post(
        f"{API}/gd-gz-ch/merge", {"target": "gd-gz-zc"}, content_type="application/json"
    )
    error_shape(again, 409, "already_merged")


def test_county_admin_cannot_move_into_another_county(client, tree, make_user):
    client.force_login(make_user(role=Role.ADMIN, institution=tree.county))
    response = client.post(
        f"{API}/gd-gz-ch-tp/move", {"new_parent": "gd-gz-zc"}, content_type="application/json"
    )
    error_shape(response, 403, "permission_denied")
    assert Institution.objects.get(code="gd-gz-ch-tp").parent_id == tree.county.pk


# --- members -----------------------------------------------------------------------------


def test_members_add_by_id_and_phone_change_and_remove(client, tree, make_user):
    from culturecloud.accounts.services import create_user_with_phone

    admin = make_user(role=Role.ADMIN, institution=tree.county)
    client.force_login(admin)
    person = create_user_with_phone(phone="13812345678", nickname="小王")
    response = client.post(
        f"{API}/gd-gz-ch-tp/members",
        {"phone": "138 1234 5678", "role": "editor"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user_id"] == person.pk and body["role"] == "editor"
    assert "13812345678" not in response.content.decode()
    membership_id = body["id"]
    dup = client.post(
        f"{API}/gd-gz-ch-tp/members",
        {"user_id": person.pk, "role": "editor"},
        content_type="application/json",
    )
    error_shape(dup, 409, "already_member")
    error_shape(
        client.post(
            f"{API}/gd-gz-ch-tp/members",
            {"phone": "13900000000", "role": "editor"},
            content_type="application/json",
        ),
        404,
        "user_not_found",
    )
    error_shape(
        client.post(
            f"{API}/gd-gz-ch-tp/members",
            {"phone": "12345", "role": "editor"},
            content_type="application/json",
        ),
        400,
        "invalid_phone",
    )
    error_shape(
        client.post(
            f"{API}/gd-gz-ch-tp/members",
            {"user_id": person.pk, "role": "king"},
            content_type="application/json",
        ),
        400,
        "invalid_role",
    )
    error_shape(
        client.post(
            f"{API}/gd-gz-ch-tp/members", {"role": "editor"}, content_type="application/json"
        ),
        400,
        "user_required",
    )
    listing = client.get(f"{API}/gd-gz-ch/members", {"subtree": "true"}).json()
    assert {m["user_id"] for m in listing["items"]} == {admin.pk, person.pk}
    changed = client.patch(
        f"{API}/members/{membership_id}", {"role": "reviewer"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["role"] == "reviewer"
    assert client.delete(f"{API}/members/{membership_id}").status_code == 204
    assert not Membership.objects.filter(pk=membership_id).exists()
    actions = list(
        AuditEntry.objects.filter(action__startswith="institutions.member.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [
        "institutions.member.added",
        "institutions.member.removed",
        "institutions.member.role_changed",
    ]


def test_members_of_another_county_are_invisible(
    client, tree, make_user, django_assert_max_num_queries
):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    outsider = make_user(role=Role.EDITOR, institution=tree.sibling_county)
    membership = Membership.objects.get(user=outsider)
    client.force_login(admin)
    error_shape(client.get(f"{API}/gd-gz-zc/members"), 403, "permission_denied")
    error_shape(
        client.patch(
            f"{API}/members/{membership.pk}", {"role": "admin"}, content_type="application/json"
        ),
        404,
        "not_found",
    )
    error_shape(client.delete(f"{API}/members/{membership.pk}"), 404, "not_found")
    membership.refresh_from_db()
    assert membership.role == "editor"
    for _ in range(5):
        make_user(role=Role.OPERATOR, institution=tree.village)
    with django_assert_max_num_queries(6):
        body = client.get(f"{API}/gd-gz-ch/members", {"subtree": "1"}).json()
    assert body["count"] == 6


# --- articles ----------------------------------------------------------------------------


def test_article_lifecycle_via_api(client, tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.city)
    client.force_login(editor)
    created = client.post(
        f"{API}/gd-gz-ch/articles",
        {
            "title": "  非遗展演  ",
            "summary": "周末",
            "body": '<p onclick="x()">好<script>alert(1)</script><a href="javascript:x">链接</a>'
            '<a href="https://example.org">外链</a></p><img src="https://t.example/p.gif">',
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    article = created.json()
    assert article["title"] == "非遗展演"
    assert "script" not in article["body"] and "onclick" not in article["body"]
    assert "javascript" not in article["body"] and "<img" not in article["body"]
    assert 'rel="noopener noreferrer nofollow"' in article["body"]
    pk = article["id"]
    submitted = client.post(f"{API}/staff/articles/{pk}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "pending"
    # pending content cannot be edited
    locked = client.patch(
        f"{API}/staff/articles/{pk}",
        {"title": "x", "summary": "", "body": "<p>y</p>"},
        content_type="application/json",
    )
    error_shape(locked, 409, "not_editable")
    error_shape(client.post(f"{API}/staff/articles/{pk}/submit"), 409, "invalid_transition")
    assert client.get(f"{API}/gd-gz-ch/articles/{pk}").status_code == 404
    review.approve(Article.objects.get(pk=pk), actor=reviewer)
    client.logout()
    assert client.get(f"{API}/gd-gz-ch/articles/{pk}").status_code == 200


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"title": "", "summary": "", "body": "<p>x</p>"}, 400, "title"),
        ({"title": "t" * 201, "summary": "", "body": "<p>x</p>"}, 400, "title"),
        ({"title": "t", "summary": "s" * 301, "body": "<p>x</p>"}, 400, "summary"),
        ({"title": "t", "summary": "", "body": "<script>only</script>"}, 400, "body"),
        ({"title": "t", "summary": "", "body": "b" * 200_001}, 422, "body"),
        ({"title": "t", "summary": ""}, 422, "body"),
    ],
)
def test_article_bad_input(client, tree, make_user, payload, status, field):
    client.force_login(make_user(role=Role.EDITOR, institution=tree.county))
    response = client.post(f"{API}/gd-gz-ch/articles", payload, content_type="application/json")
    body = error_shape(response, status, "validation_error")
    assert field in body["fields"]
    assert not Article.objects.exists()


def test_staff_article_list_is_scoped(client, tree, make_user, django_assert_max_num_queries):
    mine = Article.objects.create(institution=tree.village, title="mine", body="<p>x</p>")
    Article.objects.create(institution=tree.sibling_county, title="theirs", body="<p>x</p>")
    for i in range(5):
        Article.objects.create(institution=tree.township, title=f"m{i}", body="<p>x</p>")
    client.force_login(make_user(role=Role.REVIEWER, institution=tree.county))
    with django_assert_max_num_queries(6):
        body = client.get(f"{API}/staff/articles").json()
    assert body["count"] == 6
    assert mine.pk in {a["id"] for a in body["items"]}
    assert "theirs" not in {a["title"] for a in body["items"]}
    filtered = client.get(f"{API}/staff/articles", {"institution": "gd-gz-zc"}).json()
    assert filtered["count"] == 0


# --- logo ----------------------------------------------------------------------------------


def png_bytes(size=(64, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_logo_upload_is_checked_and_reencoded(client, tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_user(role=Role.ADMIN, institution=tree.county))
    upload = SimpleUploadedFile("logo.png", png_bytes((2000, 1000)), content_type="image/png")
    response = client.post(f"{API}/gd-gz-ch/logo", {"logo": upload})
    assert response.status_code == 200, response.content
    assert response.json()["logo_url"].startswith("/media/institutions/logos/gd-gz-ch-")
    county = Institution.objects.get(code="gd-gz-ch")
    with Image.open(county.logo.path) as stored:
        assert max(stored.size) <= 800
    fake = SimpleUploadedFile("logo.png", b"<?php echo 1; ?>", content_type="image/png")
    error_shape(client.post(f"{API}/gd-gz-ch/logo", {"logo": fake}), 400, "invalid_image")
    settings.MAX_IMAGE_UPLOAD_BYTES = 100
    big = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    error_shape(client.post(f"{API}/gd-gz-ch/logo", {"logo": big}), 400, "image_too_large")
    assert Institution.objects.get(code="gd-gz-ch").logo.name == county.logo.name
    removed = client.delete(f"{API}/gd-gz-ch/logo")
    assert removed.status_code == 200 and removed.json()["logo_url"] is None


def test_logo_upload_outside_subtree_refused(client, tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_user(role=Role.ADMIN, institution=tree.county))
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    error_shape(client.post(f"{API}/gd-gz-zc/logo", {"logo": upload}), 403, "permission_denied")
    assert not list(tmp_path.rglob("*.png")) and not list(tmp_path.rglob("*.jpg"))
