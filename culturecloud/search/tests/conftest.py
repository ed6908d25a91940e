"""Published articles through the real services and review workflow (the index follows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from culturecloud.celery import app as celery_app
from culturecloud.core import review
from culturecloud.institutions.models import Article, Institution, Role
from culturecloud.institutions.services import create_article


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Index tasks run in the test's process also when REDIS_URL is set (PostgreSQL pass)."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@pytest.fixture
def staff(tree, make_user) -> dict[str, Any]:
    return {
        "editor": make_user(role=Role.EDITOR, institution=tree.national),
        "reviewer": make_user(role=Role.REVIEWER, institution=tree.national),
    }


@pytest.fixture
def publish(staff, django_capture_on_commit_callbacks):
    """publish(institution, title, body="", summary="") -> a published Article, indexed."""

    def factory(institution: Institution, title: str, body: str = "", summary: str = "") -> Article:
        with django_capture_on_commit_callbacks(execute=True):
            article = create_article(
                actor=staff["editor"],
                institution=institution,
                title=title,
                summary=summary,
                body=body or f"<p>{title}</p>",
            )
            review.submit(article, actor=staff["editor"])
            return review.approve(article, actor=staff["reviewer"])

    return factory


@pytest.fixture
def doc(db):
    """doc(title, body="", **fields) -> indexes a Document of type institutions.article directly
    (for query features that articles do not carry: categories, years, views, facets)."""
    from culturecloud.search.registry import Document
    from culturecloud.search.services import index_document

    counter = {"n": 0}

    def factory(title: str, body: str = "", **fields: Any) -> Document:
        counter["n"] += 1
        fields.setdefault("object_id", 100_000 + counter["n"])
        document = Document(doc_type="institutions.article", title=title, body=body, **fields)
        index_document(document)
        return document

    return factory


@pytest.fixture
def extra_facet(monkeypatch):
    """Register the extra facet "ich_category" for one test."""
    from culturecloud.search import registry

    monkeypatch.setitem(
        registry._facets, "ich_category", registry.FacetInfo("ich_category", "ICH category")
    )
    return "ich_category"
