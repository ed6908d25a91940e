"""The index follows the content: publish, unpublish, edit, delete, tree changes; reindex."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from culturecloud.core import pagecache, review
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Role
from culturecloud.institutions.services import (
    merge_institutions,
    move_institution,
    update_article,
)
from culturecloud.search import services, tasks
from culturecloud.search.models import SearchDocument
from culturecloud.search.query import search, search_for


def found(q: str) -> list[str]:
    return [h.title for h in search(q).items]


def test_publish_indexes_and_unpublish_removes(
    tree, publish, staff, django_capture_on_commit_callbacks
):
    article = publish(tree.county, "剪纸艺术展")
    doc = SearchDocument.objects.get(doc_type="institutions.article", object_id=str(article.pk))
    assert doc.url == f"/institutions/gd-gz-ch/articles/{article.pk}/" or doc.url.endswith(
        f"/{article.pk}/"
    )
    assert doc.institution_path == tree.county.path
    assert doc.region_code == "440117"
    assert found("剪纸") == ["剪纸艺术展"]

    with django_capture_on_commit_callbacks(execute=True):
        review.unpublish(article, actor=staff["reviewer"], reason="过期")
    assert found("剪纸") == []
    assert not SearchDocument.objects.exists()


def test_drafts_and_pending_content_are_not_indexed(
    tree, staff, django_capture_on_commit_callbacks
):
    from culturecloud.institutions.services import create_article

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article = create_article(
            actor=staff["editor"],
            institution=tree.county,
            title="剪纸草稿",
            summary="",
            body="<p>x</p>",
        )
        review.submit(article, actor=staff["editor"])
    # only core.review's listener call, which schedules nothing for a draft or a submission
    # (besides the public response cache's generation bumps, which index nothing)
    callbacks = [c for c in callbacks if c is not pagecache._bump]
    assert all("schedule_sync" not in repr(c) for c in callbacks)
    assert [c.args[1] for c in callbacks] == ["submitted"]
    assert found("剪纸") == []


def test_edit_after_unpublish_and_republish_reindexes(
    tree, publish, staff, django_capture_on_commit_callbacks
):
    article = publish(tree.county, "剪纸艺术展")
    with django_capture_on_commit_callbacks(execute=True):
        review.unpublish(article, actor=staff["reviewer"])
        article = update_article(
            actor=staff["editor"], article=article, title="刺绣艺术展", summary="", body="<p>新</p>"
        )
        review.submit(article, actor=staff["editor"])
    assert found("刺绣") == [] and found("剪纸") == []
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(article, actor=staff["reviewer"])
    assert found("刺绣") == ["刺绣艺术展"] and found("剪纸") == []


def test_edit_of_published_content_reindexes(tree, publish, django_capture_on_commit_callbacks):
    """A model whose published objects are edited in place (a plain save) is reindexed."""
    article = publish(tree.county, "剪纸艺术展")
    with django_capture_on_commit_callbacks(execute=True):
        article.title = "年画艺术展"
        article.body = "<p>新年画</p>"
        article.save()
    assert found("年画") == ["年画艺术展"] and found("剪纸") == []


def test_delete_removes(tree, publish, django_capture_on_commit_callbacks):
    article = publish(tree.county, "剪纸艺术展")
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.filter(pk=article.pk).delete()
    assert found("剪纸") == []


def test_sync_task_is_idempotent(tree, publish):
    article = publish(tree.county, "剪纸艺术展")
    assert tasks.sync_document.delay("institutions.article", str(article.pk)).get() == "indexed"
    assert tasks.sync_document.delay("institutions.article", str(article.pk)).get() == "indexed"
    assert SearchDocument.objects.count() == 1
    Article.objects.filter(pk=article.pk).update(status=ReviewStatus.UNPUBLISHED)
    assert tasks.sync_document.delay("institutions.article", str(article.pk)).get() == "removed"
    assert tasks.sync_document.delay("institutions.article", "999999").get() == "removed"
    assert not SearchDocument.objects.exists()


def test_unknown_doc_type_is_refused(db):
    from culturecloud.core.errors import ServiceError
    from culturecloud.search.registry import Document

    with pytest.raises(ServiceError):
        services.sync_object(doc_type="nope.nothing", object_id=1)
    with pytest.raises(ServiceError):
        services.index_document(Document(doc_type="nope.nothing", object_id=1, title="x"))


def test_moving_an_institution_moves_its_documents_in_the_subtree_filter(tree, publish, make_user):
    publish(tree.township, "剪纸班开课")
    admin = make_user(role=Role.ADMIN, institution=tree.national)
    assert found_in("剪纸", "gd-gz-ch") == ["剪纸班开课"]
    move_institution(actor=admin, institution=tree.township, new_parent=tree.sibling_county)
    assert found_in("剪纸", "gd-gz-ch") == []
    assert found_in("剪纸", "gd-gz-zc") == ["剪纸班开课"]


def test_merging_an_institution_keeps_its_documents_findable_under_the_target(
    tree, publish, make_user
):
    publish(tree.township, "剪纸班开课")
    admin = make_user(role=Role.ADMIN, institution=tree.national)
    merge_institutions(actor=admin, source=tree.village, target=tree.township)
    merge_institutions(actor=admin, source=tree.township, target=tree.sibling_county)
    doc = SearchDocument.objects.get()
    assert doc.institution_id == tree.sibling_county.pk
    assert found_in("剪纸", "gd-gz-zc") == ["剪纸班开课"]


def found_in(q: str, institution: str) -> list[str]:
    return [h.title for h in search_for(q=q, institution=institution).items]


def test_reindex_command_rebuilds_and_removes_what_is_gone(tree, publish):
    first = publish(tree.county, "剪纸艺术展")
    publish(tree.city, "刺绣艺术展")
    SearchDocument.objects.all().delete()
    services.index_document(
        services.get_doc_type("institutions.article").to_document(first)  # type: ignore[union-attr]
    )
    SearchDocument.objects.filter(object_id=str(first.pk)).update(title="stale")
    # an entry whose object is no longer public
    Article.objects.filter(pk=first.pk).update(status=ReviewStatus.UNPUBLISHED)
    out = StringIO()
    call_command("reindex", stdout=out)
    assert "institutions.article: 1 indexed, 1 removed" in out.getvalue()
    assert found("剪纸") == [] and found("刺绣") == ["刺绣艺术展"]
    assert AuditEntry.objects.filter(action="search.index.rebuilt").count() == 1

    out = StringIO()
    call_command(
        "reindex", "--doc-type", "institutions.article", "--clear", "--batch", "1", stdout=out
    )
    assert "1 indexed, 0 removed" in out.getvalue()
    assert found("刺绣") == ["刺绣艺术展"]


def test_reindex_command_refuses_bad_arguments(db):
    with pytest.raises(CommandError):
        call_command("reindex", "--doc-type", "nope.nothing", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("reindex", "--batch", "0", stdout=StringIO())


def test_set_popularity_changes_the_most_viewed_order(tree, publish):
    a = publish(tree.county, "剪纸 甲")
    b = publish(tree.county, "剪纸 乙")
    services.set_popularity(doc_type="institutions.article", object_id=a.pk, popularity=10)
    assert [h.title for h in search("剪纸", sort="views").items] == ["剪纸 甲", "剪纸 乙"]
    services.set_popularity(doc_type="institutions.article", object_id=b.pk, popularity=11)
    assert [h.title for h in search("剪纸", sort="views").items] == ["剪纸 乙", "剪纸 甲"]
