"""Resource services: validation and sanitizing, identifiers, scope, editing rules, media kinds,
heritage records, collections."""

from __future__ import annotations

import pytest

from culturecloud.core import review
from culturecloud.core.errors import Conflict, PermissionDenied, ServiceError
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Role
from culturecloud.resources import services
from culturecloud.resources.models import (
    Collection,
    HeritageLevel,
    IchCategory,
    Resource,
    ResourceImage,
    Tag,
)


def test_create_sanitizes_and_derives(make_resource, editor, regions):
    resource = make_resource(
        "  古琴曲\n《流水》  ",
        description=(
            '<p onclick="steal()">管平湖 <a href="javascript:alert(1)">打谱</a> '
            '<a href="https://example.org/x">来源</a></p><script>alert("x")</script>'
            '<img src=x onerror="alert(2)"><style>body{}</style>'
        ),
        creator="<b>管平湖</b>",
        tags=["古琴", "古琴", " 琴曲 ", "#非遗"],
        date="1956-05",
        region="440117",
        language="ZH-Hans",
        rights="cc_by",
        rights_statement="<i>CC BY 4.0</i>",
    )
    resource.refresh_from_db()
    assert resource.title == "古琴曲 《流水》"
    assert "script" not in resource.description and "onclick" not in resource.description
    assert "javascript:" not in resource.description and "<img" not in resource.description
    assert 'rel="noopener noreferrer nofollow"' in resource.description
    assert "https://example.org/x" in resource.description
    assert resource.creator == "管平湖"
    assert resource.rights_statement == "CC BY 4.0"
    assert sorted(t.name for t in resource.tags.all()) == ["古琴", "琴曲", "非遗"]
    assert (resource.date, resource.year) == ("1956-05", 1956)
    assert resource.region_id == "440117"
    assert resource.language == "zh-Hans"
    assert resource.identifier.startswith("cc:res:") and len(resource.identifier) == 43
    assert resource.institution_path == resource.institution.path
    assert resource.status == ReviewStatus.DRAFT
    entry = AuditEntry.objects.get(action="resources.resource.created")
    assert entry.target_id == str(resource.pk) and entry.institution_id == resource.institution_id


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"category": "opera"}, "unknown_category", "category"),
        ({"ich_category": "传统音乐"}, "unknown_category", "ich_category"),
        ({"kind": "hologram"}, "unknown_kind", "kind"),
        ({"region": "999999"}, "unknown_region", "region"),
        ({"heritage_project": 424242}, "unknown_heritage_project", "heritage_project"),
        ({"rights": "all_rights"}, "unknown_rights", "rights"),
        ({"date": "1956-13"}, "invalid_date", "date"),
        ({"language": "中文"}, "invalid_language", "language"),
        ({"media": "not-a-uuid"}, "unknown_media", "media"),
        ({"title": "   "}, "required", "title"),
        ({"surprise": 1}, "unknown_field", "surprise"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(make_resource, regions, fields, code, field):
    title = fields.pop("title", "标题")
    with pytest.raises(ServiceError) as exc:
        make_resource(title, **fields)
    assert exc.value.status == 400
    assert exc.value.code == code
    assert field in exc.value.fields and exc.value.fields[field][0]
    assert not Resource.objects.exists() and not Tag.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="resources.").exists()


def test_several_errors_come_together(make_resource):
    with pytest.raises(ServiceError) as exc:
        make_resource("", category="x", kind="y")
    assert exc.value.code == "validation_error"
    assert set(exc.value.fields) == {"title", "category", "kind"}


def test_identifier_given_and_unique(make_resource):
    first = make_resource("一", identifier="urn:gd:001")
    assert first.identifier == "urn:gd:001"
    with pytest.raises(ServiceError) as exc:
        make_resource("二", identifier="urn:gd:001")
    assert exc.value.code == "duplicate_identifier"
    with pytest.raises(ServiceError) as exc:
        make_resource("三", identifier="has space")
    assert exc.value.code == "invalid_identifier"
    assert Resource.objects.count() == 1


def test_scope_of_creation(tree, staff, make_user, make_resource):
    # an editor of the city creates for the county below it
    assert make_resource("市", actor=staff["city_editor"]).institution == tree.county
    with pytest.raises(PermissionDenied):
        make_resource("兄弟", actor=staff["sibling_editor"])
    with pytest.raises(PermissionDenied):
        make_resource("审核员", actor=staff["reviewer"])
    with pytest.raises(PermissionDenied):
        make_resource("市民", actor=make_user())
    assert Resource.objects.count() == 1


def test_update_only_while_editable_and_back_to_draft(make_resource, editor, reviewer):
    resource = make_resource(tags="琴,曲")
    review.submit(resource, actor=editor)
    with pytest.raises(Conflict) as exc:
        services.update_resource(actor=editor, resource=resource, title="改")
    assert exc.value.code == "not_editable"
    review.reject(resource, actor=reviewer, reason="缺少来源")
    updated = services.update_resource(actor=editor, resource=resource, source="中国艺术研究院")
    assert updated.status == ReviewStatus.DRAFT and updated.source == "中国艺术研究院"
    assert sorted(t.name for t in updated.tags.all()) == ["曲", "琴"]  # untouched
    entry = AuditEntry.objects.filter(action="resources.resource.updated").get()
    assert entry.before == {"status": "rejected"} and entry.after == {"status": "draft"}


def test_media_kind_and_scope_are_checked(tree, make_resource, ready_asset, editor):
    video = ready_asset("video")
    image = ready_asset("image")
    foreign = ready_asset("video", institution=tree.sibling_county)
    resource = make_resource(media=video.pk)
    assert resource.media == video
    with pytest.raises(ServiceError) as exc:
        services.update_resource(actor=editor, resource=resource, media=image.pk)
    assert exc.value.code == "media_kind_mismatch"
    with pytest.raises(ServiceError) as exc:
        services.update_resource(actor=editor, resource=resource, media=foreign.pk)
    assert exc.value.code == "unknown_media"
    with pytest.raises(ServiceError) as exc:
        make_resource("组图", kind="image_set", images=[str(video.pk)])
    assert exc.value.code == "media_kind_mismatch"
    resource.refresh_from_db()
    assert resource.media == video


def test_image_set_keeps_order(make_resource, ready_asset, editor):
    a, b, c = (ready_asset("image") for _ in range(3))
    resource = make_resource("组图", kind="image_set", images=[c.pk, a.pk, b.pk, a.pk])
    order = list(
        ResourceImage.objects.filter(resource=resource)
        .order_by("position")
        .values_list("asset_id", flat=True)
    )
    assert order == [c.pk, a.pk, b.pk]
    # no longer a set: the images go
    services.update_resource(actor=editor, resource=resource, kind="document")
    assert not ResourceImage.objects.filter(resource=resource).exists()


def test_heritage_project_inheritors(tree, editor, make_resource, regions):
    project = services.create_heritage_project(
        actor=editor,
        institution=tree.county,
        name="粤剧",
        code="Ⅳ-28",
        ich_category=IchCategory.DRAMA,
        level=HeritageLevel.NATIONAL,
        region="440100",
    )
    other = services.create_heritage_project(
        actor=editor,
        institution=tree.county,
        name="广绣",
        ich_category=IchCategory.ART,
        level=HeritageLevel.NATIONAL,
    )
    person = services.create_inheritor(
        actor=editor, project=project, name="红线女", level=HeritageLevel.NATIONAL
    )
    stranger = services.create_inheritor(
        actor=editor, project=other, name="陈少芳", level=HeritageLevel.NATIONAL
    )
    resource = make_resource("《搜书院》", heritage_project=project.pk, inheritors=[person.pk])
    assert resource.ich_category == IchCategory.DRAMA  # from the project
    assert list(resource.inheritors.all()) == [person]
    with pytest.raises(ServiceError) as exc:
        make_resource("错配", heritage_project=project.pk, inheritors=[stranger.pk])
    assert exc.value.code == "inheritor_not_in_project"
    with pytest.raises(Conflict):
        services.create_heritage_project(
            actor=editor,
            institution=tree.county,
            name="另一个",
            code="Ⅳ-28",
            ich_category=IchCategory.DRAMA,
            level=HeritageLevel.NATIONAL,
        )
    with pytest.raises(ServiceError) as exc:
        services.create_heritage_project(
            actor=editor, institution=tree.county, name="x", ich_category="传统", level="国家级"
        )
    assert set(exc.value.fields) == {"ich_category", "level"}
    # changing the project drops inheritors of the old one
    updated = services.update_resource(actor=editor, resource=resource, heritage_project=other.pk)
    assert list(updated.inheritors.all()) == []


def test_collections_curate_public_resources(tree, editor, reviewer, published, make_resource):
    one = published("一")
    two = published("二")
    draft = make_resource("草稿")
    collection = services.create_collection(
        actor=editor,
        institution=tree.county,
        title="岭南古琴",
        description="<p>专题</p><script>x</script>",
        resource_ids=[two.pk, one.pk, draft.pk],
    )
    assert collection.description == "<p>专题</p>"
    assert list(services.collection_resources(collection)) == [two, one]  # drafts stay hidden
    with pytest.raises(ServiceError) as exc:
        services.create_collection(
            actor=editor, institution=tree.county, title="坏", resource_ids=[999999]
        )
    assert exc.value.code == "unknown_resource"
    assert Collection.objects.count() == 1
    review.submit(collection, actor=editor)
    review.approve(collection, actor=reviewer)
    assert list(services.public_collections()) == [collection]


def test_comment_moderation_scope(tree, published, make_user, staff):
    resource = published()
    reader = make_user()
    comment = services.post_comment(
        user=reader,
        resource=resource,
        body="<script>alert(1)</script>好听！\n\n\n\n谢谢 <b>分享</b>",
    )
    assert comment.body == "好听！\n\n谢谢 分享"
    assert comment.status == "pending"
    assert list(services.public_comments(resource)) == []
    assert list(services.comments_to_moderate(staff["sibling_reviewer"])) == []
    with pytest.raises(PermissionDenied):
        services.moderate_comment(
            actor=staff["sibling_reviewer"], comment=comment, decision="approve"
        )
    with pytest.raises(PermissionDenied):
        services.moderate_comment(actor=staff["editor"], comment=comment, decision="approve")
    assert list(services.comments_to_moderate(staff["reviewer"])) == [comment]
    services.moderate_comment(actor=staff["reviewer"], comment=comment, decision="approve")
    assert list(services.public_comments(resource)) == [comment]
    # an approved comment can still be taken down, not approved twice
    with pytest.raises(Conflict):
        services.moderate_comment(actor=staff["reviewer"], comment=comment, decision="approve")
    services.moderate_comment(actor=staff["reviewer"], comment=comment, decision="reject")
    assert list(services.public_comments(resource)) == []
    assert AuditEntry.objects.filter(
        action="resources.comment.rejected", institution=tree.county
    ).exists()


def test_comments_are_rate_limited_and_need_a_user(published, make_user):
    from culturecloud.core.errors import RateLimited

    resource = published()
    reader = make_user()
    for n in range(services.COMMENT_RATE[0]):
        services.post_comment(user=reader, resource=resource, body=f"第{n}条")
    with pytest.raises(RateLimited):
        services.post_comment(user=reader, resource=resource, body="太多")
    assert resource.comments.count() == services.COMMENT_RATE[0]
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied) as denied:
        services.post_comment(user=AnonymousUser(), resource=resource, body="匿名")
    assert denied.value.status == 401
    with pytest.raises(ServiceError) as exc:
        services.post_comment(user=make_user(), resource=resource, body="<script>x</script>")
    assert exc.value.code == "required"


def test_favorites_count_with_f(published, make_user):
    resource = published()
    reader, other = make_user(), make_user()
    assert services.add_favorite(user=reader, resource=resource) is True
    assert services.add_favorite(user=reader, resource=resource) is False
    assert services.add_favorite(user=other, resource=resource) is True
    resource.refresh_from_db()
    assert resource.favorite_count == 2
    assert list(services.favorites_of(reader)) == [resource]
    assert services.remove_favorite(user=reader, resource=resource) is True
    assert services.remove_favorite(user=reader, resource=resource) is False
    resource.refresh_from_db()
    assert resource.favorite_count == 1


def test_views_and_plays_counted_once_per_visitor(published, make_resource):
    resource = published()
    draft = make_resource("草稿")
    assert services.record_view(resource_id=resource.pk, visitor="a") is True
    assert services.record_view(resource_id=resource.pk, visitor="a") is False
    assert services.record_view(resource_id=resource.pk, visitor="b") is True
    assert services.record_view(resource_id=draft.pk, visitor="a") is False
    assert services.record_play(resource_id=resource.pk, visitor="a") is True
    assert services.record_play(resource_id=resource.pk, visitor="a") is False
    resource.refresh_from_db()
    draft.refresh_from_db()
    assert (resource.view_count, resource.play_count, draft.view_count) == (2, 1, 0)


def test_reviewer_role_matrix_for_publishing(tree, make_user, make_resource, editor):
    resource = make_resource()
    review.submit(resource, actor=editor)
    for role, institution in (
        (Role.REVIEWER, tree.sibling_county),
        (Role.REVIEWER, tree.township),  # below: not enough
        (Role.EDITOR, tree.city),
    ):
        with pytest.raises(PermissionDenied):
            review.approve(resource, actor=make_user(role=role, institution=institution))
    review.approve(resource, actor=make_user(role=Role.REVIEWER, institution=tree.province))
    resource.refresh_from_db()
    assert resource.status == ReviewStatus.PUBLISHED
    assert AuditEntry.objects.filter(action="resources.resource.approved").exists()


def test_resources_follow_an_institution_merge(tree, make_user, make_resource, staff):
    from culturecloud.institutions.services import merge_institutions

    resource = make_resource(
        "增城资源", actor=staff["sibling_editor"], institution=tree.sibling_county
    )
    admin = make_user(role=Role.ADMIN, institution=tree.city)
    merge_institutions(actor=admin, source=tree.sibling_county, target=tree.county)
    resource.refresh_from_db()
    tree.county.refresh_from_db()
    assert resource.institution_id == tree.county.pk
    assert resource.institution_path == tree.county.path
