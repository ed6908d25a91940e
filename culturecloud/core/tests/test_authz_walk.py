"""Authorization walk: every staff operation and page, tried by staff of a sibling county.

The world: the county 从化 (tree.county) and its subtree own one of every kind of staff
object (draft, pending and published articles, a membership, media files, an upload, a
draft and a published resource, a pending comment, a draft collection, an API token).
Every non-public thing carries MARK in a text field, so a leak shows in any answer.

For each role (admin, editor, reviewer, operator) held at the sibling county 增城
(tree.sibling_county):

- every API operation of `culturecloud.api.api` that needs credentials is called with
  the ids of 从化's objects (and, for lists, with ?institution=<从化>): the answer must be a
  refusal (403/404 with the error shape) or, for a list, contain nothing of 从化's; and the
  database must be exactly as before (every row of every table, audit entries included);
- every staff page (URL patterns of the workbench and the staff pages of other apps) is
  requested the same way, GET and, where the view takes it, POST with a valid form.

The walk is automatic: the operations come from the api object and the pages from the URL
resolver. An operation or page that is neither walked nor in one of the allow-lists below
(each entry says why it is not a staff operation) fails the test, so a staff endpoint added
later is walked as soon as its path parameters are known here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from culturecloud.accounts.models import ApiToken, User
from culturecloud.accounts.services import create_user_with_phone, issue_api_token
from culturecloud.api import api
from culturecloud.core import review
from culturecloud.core.models import ReviewStatus
from culturecloud.institutions.models import Membership, Role
from culturecloud.media.models import AssetStatus, MediaAsset, UploadSession
from culturecloud.resources import services as resource_services
from culturecloud.resources.models import Comment
from culturecloud.workbench.testing import make_article, submitted_article

MARK = "邻县机密SIBLINGPRIVATE"
NEWCOMER_PHONE = "13800138000"  # a registered person 从化 could add as a member
ROLES = (Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.OPERATOR)
ERROR_KEYS = {"code", "message", "fields"}

# --- operations and pages that are not staff operations on institution-scoped objects ----

# (METHOD, path) -> why it is not walked. Public operations are listed one by one on
# purpose: a staff endpoint that lost its credentials by mistake fails here.
PUBLIC_OR_SELF_SERVICE: dict[tuple[str, str], str] = {
    # public reads (auth=None); test_public_reads_leak_nothing_unpublished walks them for leaks
    ("GET", "/api/v1/institutions"): "public directory",
    ("GET", "/api/v1/institutions/tree"): "public directory",
    ("GET", "/api/v1/institutions/regions"): "public list of regions",
    ("GET", "/api/v1/institutions/by-region/{region_code}"): "public directory",
    ("GET", "/api/v1/institutions/{code}"): "public institution page",
    ("GET", "/api/v1/institutions/{code}/articles"): "published articles only",
    ("GET", "/api/v1/institutions/{code}/articles/{article_id}"): "published article only",
    ("GET", "/api/v1/search"): "published documents only",
    ("GET", "/api/v1/resources"): "published resources only",
    ("GET", "/api/v1/resources/search"): "published resources only",
    ("GET", "/api/v1/resources/vocabularies"): "fixed vocabularies",
    ("GET", "/api/v1/resources/collections"): "published collections only",
    ("GET", "/api/v1/resources/collections/{collection_id}"): "published collection only",
    ("GET", "/api/v1/resources/{resource_id}"): "published resource only",
    ("GET", "/api/v1/resources/{resource_id}/comments"): "approved comments only",
    ("POST", "/api/v1/resources/{resource_id}/play"): "anonymous play counter",
    ("POST", "/api/v1/resources/{resource_id}/view"): "anonymous view counter",
    ("GET", "/api/v1/resources/heritage/projects"): "public list of heritage projects",
    ("GET", "/api/v1/resources/heritage/projects/{project_id}"): "public heritage project",
    ("GET", "/api/v1/resources/heritage/inheritors"): "public list of inheritors",
    ("GET", "/api/v1/resources/heritage/inheritors/{inheritor_id}"): "public inheritor",
    # log-in (auth=None, rate-limited: test_security_ratelimits.py)
    ("POST", "/api/v1/auth/code"): "sends a log-in code to a number",
    ("POST", "/api/v1/auth/verify"): "log-in with a code",
    ("POST", "/api/v1/auth/password-login"): "log-in with a password",
    # the caller's own account: no institution involved, the user is the request's own
    ("POST", "/api/v1/auth/logout"): "own session or token",
    ("GET", "/api/v1/auth/me"): "own account",
    ("PATCH", "/api/v1/auth/me"): "own account",
    ("POST", "/api/v1/auth/me/avatar"): "own account",
    ("POST", "/api/v1/auth/me/kind"): "own account",
    ("POST", "/api/v1/auth/password"): "own account",
    ("GET", "/api/v1/auth/realname"): "own account",
    ("POST", "/api/v1/auth/realname"): "own account",
    ("POST", "/api/v1/auth/realname/withdraw"): "own account",
    ("GET", "/api/v1/auth/export"): "own account",
    ("POST", "/api/v1/auth/delete"): "own account",
    ("GET", "/api/v1/auth/tokens"): "own tokens",
    ("POST", "/api/v1/auth/tokens"): "own tokens",
    ("GET", "/api/v1/auth/points"): "own points ledger",
    # readers' actions on a published resource (any logged-in person)
    ("POST", "/api/v1/resources/{resource_id}/favorite"): "own favorites",
    ("DELETE", "/api/v1/resources/{resource_id}/favorite"): "own favorites",
    ("POST", "/api/v1/resources/{resource_id}/comments"): "own comment, moderated",
}

# URL names (or routes, for unnamed patterns) of pages that are not staff pages.
PUBLIC_OR_SELF_SERVICE_PAGES: dict[str, str] = {
    "healthz": "load balancer probe",
    "set_language": "language cookie",
    "portal:home": "public",
    "portal:set_elder_mode": "a cookie of the visitor",
    "portal:terms": "public",
    "portal:privacy": "public",
    "portal:robots_txt": "public",
    "portal:favicon": "public",
    "search:page": "published documents only",
    "institutions:directory": "public",
    "institutions:detail": "public",
    "institutions:children": "public",
    "institutions:article": "published article only",
    "resources:index": "published resources only",
    "resources:detail": "published resource only",
    "resources:collections": "published collections only",
    "resources:collection": "published collection only",
    "resources:favorite": "own favorites",
    "resources:favorites": "own favorites",
    "resources:comment": "own comment, moderated",
    "resources:heritage_project": "public heritage project",
    "resources:oai": "OAI-PMH: published records only",
    "resources:iiif_manifest": "IIIF: published resources only",
    "resources:iiif_collection": "IIIF: published collections only",
    "resources:iiif_base": "IIIF image API: published images only",
    "resources:iiif_info": "IIIF image API: published images only",
    "resources:iiif_image": "IIIF image API: published images only",
    "accounts:login": "log-in",
    "accounts:send_code": "log-in",
    "accounts:logout": "own session",
    "accounts:signup": "sign-up",
    "accounts:me": "own account",
    "accounts:profile": "own account",
    "accounts:password": "own account",
    "accounts:realname": "own account",
    "accounts:api_tokens": "own tokens",
    "accounts:api_token_revoke": "own tokens (scoped to the user: accounts tests)",
    "accounts:export": "own account",
    "accounts:delete": "own account",
    "^media/(?P<path>.*)$": "DEBUG-only static serving of uploaded files",
}
# Namespaces with their own gate: Django's admin lets in platform superusers only
# (is_staff), and /api/v1/ is walked operation by operation above.
SKIPPED_NAMESPACES = ("admin", "api")


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    tree: Any
    owner_editor: User
    owner_reviewer: User
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def media_asset(institution: Any, user: User, *, status: str = AssetStatus.FAILED) -> MediaAsset:
    asset_id = uuid.uuid4()
    return MediaAsset.objects.create(
        id=asset_id,
        institution=institution,
        uploaded_by=user,
        kind="image",
        status=status,
        original=f"media/{asset_id}/original.png",
        original_name=f"{MARK}.png",
        mime="image/png",
        size=100,
        sha256=hashlib.sha256(asset_id.bytes).hexdigest(),
        error_code="decode_failed" if status == AssetStatus.FAILED else "",
    )


@pytest.fixture
def world(tree, make_user, settings, tmp_path, django_capture_on_commit_callbacks) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    caches = {**settings.CACHES}
    caches["default"] = {**caches["default"], "KEY_PREFIX": f"authz-{uuid.uuid4().hex[:8]}"}
    settings.CACHES = caches
    county = tree.county
    editor = make_user(role=Role.EDITOR, institution=county, nickname=f"{MARK}编辑")
    reviewer = make_user(role=Role.REVIEWER, institution=county, nickname=f"{MARK}审核")
    citizen = make_user(nickname=f"{MARK}读者")
    w = World(tree=tree, owner_editor=editor, owner_reviewer=reviewer)
    o = w.objects
    o["article"] = make_article(tree.township, author=editor, title=f"{MARK}草稿")
    o["pending"] = submitted_article(county, author=editor, title=f"{MARK}待审")
    o["published"] = make_article(
        county, author=editor, title="已发布文章", status=ReviewStatus.PUBLISHED
    )
    o["membership"] = Membership.objects.get(user=editor, institution=county)
    o["asset"] = media_asset(county, editor)
    o["session"] = UploadSession.objects.create(
        institution=county,
        created_by=editor,
        filename=f"{MARK}.png",
        expected_size=len(png_bytes()),
        chunk_size=len(png_bytes()),
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    o["resource"] = resource_services.create_resource(
        actor=editor, institution=county, title=f"{MARK}资源", kind="image", category="music"
    )
    o["resource"].media = o["asset"]
    o["resource"].save(update_fields=["media"])
    public_resource = resource_services.create_resource(
        actor=editor, institution=county, title="公开资源", kind="video", category="music"
    )
    with django_capture_on_commit_callbacks(execute=True):
        review.submit(public_resource, actor=editor)
        o["public_resource"] = review.approve(public_resource, actor=reviewer)
    o["comment"] = resource_services.post_comment(
        user=citizen, resource=o["public_resource"], body=f"{MARK}留言"
    )
    o["collection"] = resource_services.create_collection(
        actor=editor, institution=county, title=f"{MARK}专题", resource_ids=[o["resource"].pk]
    )
    o["token"], _raw = issue_api_token(user=editor, name=f"{MARK}令牌")
    o["newcomer"] = create_user_with_phone(phone=NEWCOMER_PHONE, nickname="新人")
    o["project"] = resource_services.create_heritage_project(
        actor=editor,
        institution=county,
        name="从化非遗项目",
        ich_category="traditional_music",
        level="municipal",
    )
    o["inheritor"] = resource_services.create_inheritor(
        actor=editor, project=o["project"], name="从化传承人", level="municipal"
    )
    return w


def attacker(make_user, tree, role: str) -> User:
    """A member of staff of the sibling county 增城."""
    return make_user(role=role, institution=tree.sibling_county, nickname="增城同事")


# --- database fingerprint --------------------------------------------------------------------

# Columns a read may touch: the last use of the bearer token, the session table.
VOLATILE = {"accounts.apitoken": {"last_used_at"}, "accounts.user": {"last_login"}}


def fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the project manages, in primary-key order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower == "sessions.session":
            continue
        skip = VOLATILE.get(meta.label_lower, set())
        columns = [f.attname for f in meta.concrete_fields if f.attname not in skip]
        rows[meta.label_lower] = list(model._default_manager.order_by("pk").values_list(*columns))
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- the API walk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the OpenAPI document: /api/v1/institutions/{code}
    needs_auth: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def api_operations() -> list[Operation]:
    found: dict[tuple[str, str], Operation] = {}
    # The operations as bound to the api (with the api's default auth applied).
    for router in api._get_bound_routers():
        for route, path_view in router.path_operations.items():
            parts = [p.strip("/") for p in (router.prefix, route) if p.strip("/")]
            path = "/api/v1/" + "/".join(parts)
            path = re.sub(r"{(?:\w+:)?(\w+)}", r"{\1}", path.rstrip("/") or "/api/v1")
            for operation in path_view.operations:
                for method in operation.methods:
                    op = Operation(method, path, bool(operation.auth_callbacks))
                    found[op.key] = op
    return sorted(found.values(), key=lambda op: (op.path, op.method))


# Path parameters by name: the 从化 object each one names.
PATH_VALUES: dict[str, Callable[[World], Any]] = {
    "code": lambda w: w.tree.county.code,
    "article_id": lambda w: w.article.pk,
    "membership_id": lambda w: w.membership.pk,
    "content_type": lambda w: "institutions.article",
    "item_id": lambda w: w.pending.pk,
    "action": lambda w: "approve",
    "asset_id": lambda w: w.asset.pk,
    "session_id": lambda w: w.session.pk,
    "resource_id": lambda w: w.resource.pk,
    "collection_id": lambda w: w.collection.pk,
    "token_id": lambda w: w.token.pk,
    "project_id": lambda w: w.project.pk,
    "inheritor_id": lambda w: w.inheritor.pk,
    "region_code": lambda w: "440117",
}


@dataclass
class Call:
    """One request: JSON body, multipart form, or raw bytes; query parameters."""

    json: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    raw: bytes | None = None
    query: dict[str, Any] = field(default_factory=dict)
    label: str = ""


def upload(name: str = "logo.png") -> io.BytesIO:
    data = io.BytesIO(png_bytes())
    data.name = name
    return data


# Valid requests for the write operations, so that nothing but the permission can refuse
# them (a 422 here fails the walk: the call never reached the check it is meant to test).
# Several calls per operation where the body can name a second object.
CALLS: dict[tuple[str, str], Callable[[World], list[Call]]] = {
    ("POST", "/api/v1/review/{content_type}/{item_id}/{action}"): lambda w: [
        Call(json={"reason": "越权"})
    ],
    ("PATCH", "/api/v1/institutions/staff/articles/{article_id}"): lambda w: [
        Call(json={"title": "改标题", "summary": "", "body": "<p>改</p>"})
    ],
    ("PATCH", "/api/v1/institutions/members/{membership_id}"): lambda w: [
        Call(json={"role": Role.ADMIN})
    ],
    ("PATCH", "/api/v1/institutions/{code}"): lambda w: [Call(json={"name": "被改的名字"})],
    ("POST", "/api/v1/institutions/{code}/articles"): lambda w: [
        Call(json={"title": "越权文章", "summary": "", "body": "<p>x</p>"})
    ],
    ("POST", "/api/v1/institutions/{code}/children"): lambda w: [
        Call(
            json={
                "code": "gd-gz-ch-new",
                "name": "新站",
                "kind": "township",
                "region_code": "440117",
            }
        )
    ],
    ("POST", "/api/v1/institutions/{code}/logo"): lambda w: [Call(form={"logo": upload()})],
    ("POST", "/api/v1/institutions/{code}/move"): lambda w: [
        Call(json={"new_parent": w.tree.province.code})
    ],
    ("POST", "/api/v1/institutions/{code}/merge"): lambda w: [
        Call(json={"target": w.tree.sibling_county.code})
    ],
    ("POST", "/api/v1/institutions/{code}/members"): lambda w: [
        Call(json={"role": Role.ADMIN, "user_id": w.caller.pk}, label="self as admin"),
        Call(json={"role": Role.EDITOR, "phone": NEWCOMER_PHONE}, label="by phone"),
    ],
    ("POST", "/api/v1/media/assets"): lambda w: [
        Call(form={"institution": w.tree.county.code, "file": upload("a.png")})
    ],
    ("POST", "/api/v1/media/sessions"): lambda w: [
        Call(json={"institution": w.tree.county.code, "filename": "a.png", "size": 100})
    ],
    ("PUT", "/api/v1/media/sessions/{session_id}/chunks"): lambda w: [
        Call(raw=png_bytes(), query={"offset": 0})
    ],
    ("POST", "/api/v1/resources"): lambda w: [
        Call(
            json={
                "institution": w.tree.county.code,
                "title": "越权资源",
                "kind": "video",
                "category": "music",
            }
        )
    ],
    ("PATCH", "/api/v1/resources/{resource_id}"): lambda w: [Call(json={"title": "改"})],
    ("POST", "/api/v1/resources/{resource_id}/upload"): lambda w: [
        Call(form={"file": upload("a.png")})
    ],
    ("PUT", "/api/v1/resources/{resource_id}/media"): lambda w: [Call(json={"media": None})],
    ("POST", "/api/v1/resources/{resource_id}/review"): lambda w: [
        Call(json={"action": "submit"}),
        Call(json={"action": "approve"}),
    ],
    ("POST", "/api/v1/resources/heritage/projects"): lambda w: [
        Call(json={**heritage_project(w), "institution": w.tree.county.code})
    ],
    ("PUT", "/api/v1/resources/heritage/projects/{project_id}"): lambda w: [
        Call(json=heritage_project(w))
    ],
    ("POST", "/api/v1/resources/heritage/inheritors"): lambda w: [Call(json=inheritor(w))],
    ("PUT", "/api/v1/resources/heritage/inheritors/{inheritor_id}"): lambda w: [
        Call(json=inheritor(w))
    ],
    ("POST", "/api/v1/resources/import"): lambda w: [Call(form={"file": import_csv(w)})],
}


def import_csv(w: World) -> io.BytesIO:
    """Two rows for 从化: a new resource, and 从化's draft by its identifier."""
    county = w.tree.county.code
    text = (
        "dc:title,dc:type,dc:identifier,institution\n"
        f"越权导入,MovingImage,walk-new-1,{county}\n"
        f"越权改写,StillImage,{w.resource.identifier},{county}\n"
    )
    data = io.BytesIO(text.encode())
    data.name = "rows.csv"
    return data


def import_refused(response: Any, what: str) -> None:
    """An import answers 200 with a report, where every row of 从化 must be refused (or,
    for a caller without EDIT_CONTENT anywhere, 403 before reading the file)."""
    if response.status_code == 403:
        assert set(response.json()) == ERROR_KEYS
        return
    assert response.status_code == 200, (what, response.content)
    report = response.json()
    assert report["imported"] == report["updated"] == 0, (what, report)
    assert report["failed"] == 2, (what, report)


# Operations that answer with a report instead of a refusal: how to read it.
REPORTS: dict[tuple[str, str], Callable[[Any, str], None]] = {
    ("POST", "/api/v1/resources/import"): import_refused,
}


def heritage_project(w: World) -> dict[str, Any]:
    return {"name": "越权非遗项目", "ich_category": "traditional_music", "level": "municipal"}


def inheritor(w: World) -> dict[str, Any]:
    return {"project": w.project.pk, "name": "越权传承人", "level": "municipal"}


# Writes on the caller's OWN objects that name one of 从化's: refused all the same.
CROSS_REFERENCES: list[tuple[str, str, Callable[[World], Call]]] = [
    (
        "PUT",
        "/api/v1/resources/{own_resource}/media",
        lambda w: Call(json={"media": str(w.asset.pk)}, label="own resource, their file"),
    ),
    (
        "POST",
        "/api/v1/resources",
        lambda w: Call(
            json={
                "institution": w.tree.sibling_county.code,
                "title": "引用邻县文件",
                "kind": "video",
                "category": "music",
                "media": str(w.asset.pk),
            },
            label="own institution, their file",
        ),
    ),
    (
        "POST",
        "/api/v1/institutions/{own_code}/merge",
        lambda w: Call(json={"target": w.tree.county.code}, label="own county into theirs"),
    ),
]


def is_list(op: Operation) -> bool:
    return op.method == "GET" and not op.params


def request(client: Client, method: str, url: str, call: Call, headers: dict[str, Any]):
    query = "&".join(f"{k}={v}" for k, v in call.query.items())
    if query:
        url = f"{url}?{query}"
    if call.form is not None:
        for value in call.form.values():
            if hasattr(value, "seek"):
                value.seek(0)
        if method == "POST":
            return client.post(url, call.form, **headers)
        raise AssertionError("multipart only with POST")
    if call.raw is not None:
        return client.generic(
            method, url, call.raw, content_type="application/octet-stream", **headers
        )
    body = call.json if call.json is not None else ({} if method != "GET" else None)
    if body is None:
        return client.generic(method, url, **headers)
    return client.generic(method, url, json.dumps(body), content_type="application/json", **headers)


def walked_operations() -> Iterator[Operation]:
    for op in api_operations():
        if op.key not in PUBLIC_OR_SELF_SERVICE:
            yield op


def test_every_operation_is_walked_or_allowed_with_a_reason():
    operations = api_operations()
    assert len(operations) >= 50
    keys = {op.key for op in operations}
    stale = sorted(set(PUBLIC_OR_SELF_SERVICE) - keys)
    assert not stale, f"allow-list names operations that no longer exist: {stale}"
    for op in walked_operations():
        assert op.needs_auth, f"{op.method} {op.path} is public but not in the allow-list"
        unknown = [p for p in op.params if p not in PATH_VALUES]
        assert not unknown, f"{op.method} {op.path}: no 从化 object for {unknown} in PATH_VALUES"
        if op.method != "GET" and op.method != "DELETE" and op.key not in CALLS:
            bodyless = {
                ("POST", "/api/v1/institutions/staff/articles/{article_id}/submit"),
                ("POST", "/api/v1/media/assets/{asset_id}/retry"),
                ("POST", "/api/v1/media/sessions/{session_id}/complete"),
            }
            assert op.key in bodyless, f"{op.method} {op.path}: add a valid request to CALLS"
    for key in CALLS:
        assert key in keys, f"CALLS names an operation that no longer exists: {key}"
    for key, reason in PUBLIC_OR_SELF_SERVICE.items():
        assert reason, key


def assert_refused(response, what: str) -> None:
    assert response.status_code in (403, 404), (what, response.status_code, response.content)
    body = response.json()
    assert set(body) == ERROR_KEYS, (what, body)
    assert MARK not in response.content.decode(), what


@pytest.mark.parametrize("role", ROLES)
def test_sibling_county_staff_are_refused_every_staff_operation(role, world, make_user, tree):
    caller = attacker(make_user, tree, role)
    world.objects["caller"] = caller
    _token, raw = issue_api_token(user=caller, name="walk")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    walked = 0
    for op in walked_operations():
        url = op.path
        for name in op.params:
            url = url.replace("{" + name + "}", str(PATH_VALUES[name](world)))
        calls = CALLS[op.key](world) if op.key in CALLS else [Call()]
        if is_list(op):
            calls = [Call(), Call(query={"institution": tree.county.code})]
        for call in calls:
            what = f"{role} {op.method} {url} {call.label or call.query}"
            before = fingerprint()
            response = request(client, op.method, url, call, headers)
            after = fingerprint()
            assert not changed_tables(before, after), (what, changed_tables(before, after))
            walked += 1
            if is_list(op) and response.status_code == 200:
                assert MARK not in response.content.decode(), f"{what} leaks 从化's objects"
                continue
            assert MARK not in response.content.decode(), f"{what} leaks 从化's objects"
            if op.key in REPORTS:
                REPORTS[op.key](response, what)
                continue
            assert_refused(response, what)
    assert walked >= 40


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint rolled back at the end, that services' durable blocks may nest in (as in
    the test's own transaction: Django marks that one `_from_testcase`)."""
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        yield
        transaction.set_rollback(True)


def test_the_same_calls_succeed_for_staff_above_both_counties(world, make_user, tree):
    """The control: an admin of the province (above both counties) gets past every call the
    walk makes, so each refusal above comes from the permission, not from a bad request.
    Each call runs in a savepoint that is rolled back, so all see the same world."""
    caller = make_user(role=Role.ADMIN, institution=tree.province)
    world.objects["caller"] = make_user(nickname="新成员")  # "self as admin" adds this one
    _token, raw = issue_api_token(user=caller, name="control")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    outcomes: dict[str, int] = {}
    for op in walked_operations():
        url = op.path
        for name in op.params:
            url = url.replace("{" + name + "}", str(PATH_VALUES[name](world)))
        calls = CALLS[op.key](world) if op.key in CALLS else [Call()]
        for call in calls:
            with rolled_back():
                response = request(Client(), op.method, url, call, headers)
            outcomes[f"{op.method} {url} {call.label}"] = response.status_code
            if op.key in REPORTS and response.status_code == 200:
                report = response.json()
                assert report["imported"] + report["updated"] == 2, report
    refused = {k: v for k, v in outcomes.items() if v in (400, 401, 403, 404, 422)}
    # Tokens are the owner's alone, whatever the caller's roles (accounts tests cover it).
    expected = {f"DELETE /api/v1/auth/tokens/{world.token.pk} "}
    assert set(refused) <= expected, refused
    assert all(200 <= v < 300 or v == 409 for k, v in outcomes.items() if k not in refused)


@pytest.mark.parametrize("role", (Role.ADMIN, Role.EDITOR))
def test_writes_on_own_objects_cannot_reference_the_sibling_county(role, world, make_user, tree):
    caller = attacker(make_user, tree, role)
    own_resource = resource_services.create_resource(
        actor=make_user(role=Role.EDITOR, institution=tree.sibling_county),
        institution=tree.sibling_county,
        title="增城资源",
        kind="video",
        category="music",
    )
    _token, raw = issue_api_token(user=caller, name="walk")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for method, path, make in CROSS_REFERENCES:
        url = path.replace("{own_resource}", str(own_resource.pk)).replace(
            "{own_code}", tree.sibling_county.code
        )
        call = make(world)
        before = fingerprint()
        response = request(Client(), method, url, call, headers)
        after = fingerprint()
        what = f"{role} {method} {url} ({call.label})"
        assert not changed_tables(before, after), (what, changed_tables(before, after))
        assert response.status_code in (400, 403, 404), (what, response.content)
        assert set(response.json()) == ERROR_KEYS
        assert MARK not in response.content.decode(), what


# Public reads, called with 从化's unpublished objects: nothing of them may show.
def test_public_reads_leak_nothing_unpublished(world, make_user, tree):
    caller = attacker(make_user, tree, Role.ADMIN)
    _token, raw = issue_api_token(user=caller, name="walk")
    anonymous: dict[str, Any] = {}
    for headers in (anonymous, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}):
        for op in api_operations():
            if op.needs_auth or op.method != "GET":
                continue
            url = op.path
            for name in op.params:
                url = url.replace("{" + name + "}", str(PATH_VALUES[name](world)))
            for query in ("", "?q=" + MARK[:4], f"?institution={tree.county.code}"):
                response = Client().get(url + query, **headers)
                assert response.status_code in (200, 400, 404, 422), (url, response.content)
                assert MARK not in response.content.decode(), f"{url}{query} leaks a draft"


# --- the page walk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str  # "namespace:name", or the route of an unnamed pattern
    route: str
    converters: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # the converters' classes: IntConverter, UUIDConverter, ...


def project_pages() -> list[Page]:
    pages: list[Page] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or ""
                if ns in SKIPPED_NAMESPACES:
                    continue
                full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                walk(entry, prefix + str(entry.pattern), full)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if entry.name:
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                else:
                    name = route
                converters = entry.pattern.converters
                kinds = tuple(type(c).__name__ for c in converters.values())
                pages.append(Page(name, route, tuple(converters), kinds))

    walk(get_resolver(), "", "")
    return pages


# URL kwargs by name, for the 从化 objects.
PAGE_KWARGS: dict[str, Callable[[World], Any]] = {
    "pk": lambda w: w.current_pk,
    "content_type": lambda w: "institutions.article",
    "action": lambda w: "approve",
    "asset": lambda w: w.asset.pk,
    "image": lambda w: 1,
    "decision": lambda w: "approve",
}


@dataclass
class PageWalk:
    pk: Callable[[World], Any] | None = None  # the object `pk` names
    post: Callable[[World], dict[str, Any]] | None = None  # valid form, if the view takes POST
    get: bool = True
    list_page: bool = False  # may answer 200, showing nothing of 从化's
    # The institution is a field of the form (its choices: the caller's scope), not ?institution=
    form_scope: bool = False


def article_form(w: World) -> dict[str, Any]:
    return {"institution": w.tree.county.code, "title": "越权", "summary": "", "body": "<p>x</p>"}


def resource_form(w: World) -> dict[str, Any]:
    return {
        "institution": w.tree.county.code,
        "title": "越权资源",
        "kind": "image",
        "category": "music",
        "rights": "in_copyright",
        "audience": "general",
        "language": "zh",
    }


STAFF_PAGES: dict[str, PageWalk] = {
    "workbench:home": PageWalk(list_page=True),
    "workbench:queue": PageWalk(list_page=True),
    "workbench:published": PageWalk(list_page=True),
    "workbench:audit": PageWalk(list_page=True),
    "workbench:articles": PageWalk(list_page=True),
    "workbench:review_item": PageWalk(pk=lambda w: w.pending.pk),
    "workbench:review_action": PageWalk(
        pk=lambda w: w.pending.pk, get=False, post=lambda w: {"reason": "越权"}
    ),
    "workbench:members": PageWalk(post=lambda w: {"phone": "13800138000", "role": Role.ADMIN}),
    "workbench:member_remove": PageWalk(pk=lambda w: w.membership.pk, get=False, post=lambda w: {}),
    "workbench:profile": PageWalk(post=lambda w: {"name": "被改的名字"}),
    "workbench:article_new": PageWalk(post=article_form, form_scope=True),
    "workbench:article_edit": PageWalk(pk=lambda w: w.article.pk, post=article_form),
    "media:upload": PageWalk(),
    "media:detail": PageWalk(pk=lambda w: w.asset.pk),
    "media:retry": PageWalk(pk=lambda w: w.asset.pk, get=False, post=lambda w: {}),
    "resources:manage": PageWalk(list_page=True),
    "resources:manage_new": PageWalk(post=resource_form, form_scope=True),
    "resources:manage_edit": PageWalk(pk=lambda w: w.resource.pk, post=resource_form),
    "resources:manage_retry": PageWalk(pk=lambda w: w.resource.pk, get=False, post=lambda w: {}),
    "resources:manage_remove_image": PageWalk(
        pk=lambda w: w.resource.pk, get=False, post=lambda w: {}
    ),
    "resources:manage_comments": PageWalk(list_page=True),
    "resources:manage_comment_decide": PageWalk(
        pk=lambda w: w.comment.pk, get=False, post=lambda w: {}
    ),
    "resources:manage_collections": PageWalk(list_page=True),
    "resources:manage_collection_new": PageWalk(
        post=lambda w: {"institution": w.tree.county.code, "title": "越权专题"}, form_scope=True
    ),
    "resources:manage_collection_edit": PageWalk(
        pk=lambda w: w.collection.pk, post=lambda w: {"title": "改"}
    ),
    "resources:manage_heritage": PageWalk(list_page=True),
    "resources:manage_heritage_new": PageWalk(
        post=lambda w: {**heritage_project(w), "institution": w.tree.county.code},
        form_scope=True,
    ),
    "resources:manage_heritage_edit": PageWalk(
        pk=lambda w: w.project.pk,
        post=lambda w: {**heritage_project(w), "institution": w.tree.county.code},
    ),
    "resources:manage_inheritor_new": PageWalk(post=inheritor, form_scope=True),
    "resources:manage_inheritor_edit": PageWalk(pk=lambda w: w.inheritor.pk, post=inheritor),
}


def test_every_page_is_walked_or_allowed_with_a_reason():
    pages = project_pages()
    names = {p.name for p in pages}
    unclassified = sorted(
        p.name
        for p in pages
        if p.name not in STAFF_PAGES and p.name not in PUBLIC_OR_SELF_SERVICE_PAGES
    )
    assert not unclassified, f"pages neither walked nor allowed: {unclassified}"
    stale = sorted((set(STAFF_PAGES) | set(PUBLIC_OR_SELF_SERVICE_PAGES)) - names)
    stale = [s for s in stale if not s.startswith("^media/")]  # only with DEBUG on
    assert not stale, f"lists name pages that no longer exist: {stale}"
    for page in pages:
        if page.name in STAFF_PAGES:
            unknown = [c for c in page.converters if c not in PAGE_KWARGS]
            assert not unknown, f"{page.name}: no 从化 object for {unknown}"
            if "pk" in page.converters:
                assert STAFF_PAGES[page.name].pk is not None, page.name


def page_url(page: Page, w: World, spec: PageWalk) -> str:
    from django.urls import reverse

    if spec.pk is not None:
        w.objects["current_pk"] = spec.pk(w)
    kwargs = {name: PAGE_KWARGS[name](w) for name in page.converters}
    return reverse(page.name, kwargs=kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_sibling_county_staff_are_refused_every_staff_page(role, world, make_user, tree):
    caller = attacker(make_user, tree, role)
    client = Client()
    client.force_login(caller)
    pages = {p.name: p for p in project_pages()}
    walked = 0
    for name, spec in STAFF_PAGES.items():
        url = page_url(pages[name], world, spec)
        # Without an object in the URL, the page works on the caller's own scope unless told
        # otherwise: ask for 从化 with ?institution= (and, in forms, institution=<从化>).
        foreign = url if spec.pk is not None else f"{url}?institution={tree.county.code}"
        if spec.get:
            for target in dict.fromkeys([url, foreign]):
                before = fingerprint()
                response = client.get(target)
                assert not changed_tables(before, fingerprint()), (role, "GET", target)
                walked += 1
                assert MARK not in response.content.decode(), f"{role} GET {target} leaks"
                if spec.list_page:
                    allowed: tuple[int, ...] = (200, 400, 403)
                elif spec.pk is None and (target == url or spec.form_scope):
                    allowed = (200, 403)  # the caller's own scope (or no permission)
                else:
                    allowed = (400, 403, 404)
                assert response.status_code in allowed, (role, target, response.status_code)
        if spec.post is not None:
            before = fingerprint()
            response = client.post(foreign, spec.post(world))
            changed = changed_tables(before, fingerprint())
            assert not changed, (role, "POST", foreign, changed)
            walked += 1
            assert response.status_code in (400, 403, 404), (
                role,
                "POST",
                foreign,
                response.status_code,
            )
            assert MARK not in response.content.decode(), (role, "POST", foreign)
    assert walked >= 30


def test_the_same_page_forms_succeed_for_staff_above_both_counties(world, make_user, tree):
    """The control of the page walk: a province admin's POSTs of the same forms go through
    (a redirect after the change), so the refusals above come from the permission."""
    caller = make_user(role=Role.ADMIN, institution=tree.province)
    client = Client()
    client.force_login(caller)
    pages = {p.name: p for p in project_pages()}
    outcomes: dict[str, int] = {}
    for name, spec in STAFF_PAGES.items():
        if spec.post is None:
            continue
        url = page_url(pages[name], world, spec)
        target = url if spec.pk is not None else f"{url}?institution={tree.county.code}"
        with rolled_back():
            response = client.post(target, spec.post(world))
        outcomes[name] = response.status_code
    refused = {k: v for k, v in outcomes.items() if v not in (200, 302)}
    assert not refused, refused


def test_the_world_is_what_the_walks_assume(world, make_user, tree):
    """The world is what the walks assume: 从化 owns the objects, the caller is 增城's."""
    caller = attacker(make_user, tree, Role.ADMIN)
    assert Membership.objects.get(user=caller).institution == tree.sibling_county
    assert not tree.county.path.startswith(tree.sibling_county.path)
    assert world.article.institution.path.startswith(tree.county.path)
    assert world.asset.institution == tree.county
    assert world.comment.status == "pending"
    assert Comment.objects.filter(pk=world.comment.pk).exists()
    assert ApiToken.objects.filter(user=world.owner_editor).count() == 1
