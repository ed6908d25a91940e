"""What only PostgreSQL has: the tsvector column, its GIN index and statistics, the one-statement
aggregation, and the row lock that keeps a sync from writing a stale state."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction

from culturecloud.core import review
from culturecloud.search import services
from culturecloud.search.backends import get_backend
from culturecloud.search.backends.base import SqlBackend
from culturecloud.search.backends.postgres import PostgresBackend
from culturecloud.search.models import SearchDocument
from culturecloud.search.query import candidate_limit, search
from culturecloud.search.segmentation import query_terms
from culturecloud.search.types import Filters, SearchRequest, Sort

pytestmark = pytest.mark.postgres


def test_tsvector_column_gin_index_and_statistics(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(a.atttypid, a.atttypmod), a.attstattarget "
            "FROM pg_attribute a WHERE a.attrelid = 'search_searchdocument'::regclass "
            "AND a.attname = 'tsv'"
        )
        assert cursor.fetchone() == ("tsvector", 10000)
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_doc_tsv'")
        assert "USING gin (tsv)" in cursor.fetchone()[0]


def test_vector_weights_title_subject_body(tree, doc):
    """Search-mode words and single characters of title (A) and subject (B), words of the
    body (C), one position each."""
    doc("京剧院", body="昆曲 表演 昆曲", subject="剪纸", object_id=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsv::text FROM search_searchdocument")
        vector = cursor.fetchone()[0]
    assert vector == (
        "'京':4A '京剧':1A '京剧院':3A '剧':5A '剧院':2A '剪':8B '剪纸':7B '昆曲':10C "
        "'纸':9B '表演':11C '院':6A"
    )


def test_the_sql_aggregation_equals_the_python_one(tree, doc, extra_facet, settings):
    settings.SEARCH_CANDIDATES = 7
    places = [tree.county, tree.township, tree.city, tree.other_province, None]
    for i in range(12):
        doc(
            f"剪纸 {i}" if i % 3 else "年画",
            body="剪纸 技艺" if i % 2 else "其他",
            subject="剪纸" if i % 4 == 0 else "",
            category=["craft", "music", "opera"][i % 3],
            kind=["video", "image"][i % 2],
            year=2018 + i % 4,
            language=["zh", "en"][i % 2],
            institution=places[i % 5],
            facets={"ich_category": [["传统美术"], ["民俗", "传统美术"], []][i % 3]},
            popularity=i * 7 % 11,
        )
    backend = get_backend()
    assert isinstance(backend, PostgresBackend)
    for q in ("剪纸", "", "剪纸 技艺"):
        for sort in Sort:
            for page in (1, 2):
                for filters in (Filters(), Filters(region_prefix="44"), Filters(category="craft")):
                    request = SearchRequest(
                        q=q,
                        terms=tuple(query_terms(q)),
                        filters=filters,
                        sort=sort,
                        page=page,
                        page_size=3,
                        candidates=candidate_limit(),
                    )
                    in_sql = backend._count(request)
                    in_python = SqlBackend._count(backend, request)
                    assert in_sql.total == in_python.total
                    assert in_sql.capped == in_python.capped
                    assert in_sql.page == in_python.page, (q, sort, page, filters)
                    assert _sorted(in_sql.facets) == _sorted(in_python.facets)
    assert search("剪纸").total_is_capped


def _sorted(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    return {k: sorted(v) for k, v in facets.items() if v}


def test_rare_and_common_terms_use_different_plans(tree, doc):
    """With statistics the planner reads the GIN index for a rare term and walks the
    popularity index for a term in most documents (the bounded candidate scan)."""
    backend = get_backend()
    assert isinstance(backend, PostgresBackend)
    from culturecloud.search.registry import Document

    docs = [
        Document(
            doc_type="institutions.article",
            object_id=i,
            title=f"常见 词{i}" + (" 稀有" if i == 4321 else ""),
            popularity=i % 1000,
        )
        for i in range(20_000)
    ]
    for start in range(0, len(docs), 2000):
        backend.index(docs[start : start + 2000])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")

    def plan(q: str) -> str:
        request = SearchRequest(q=q, terms=tuple(query_terms(q)), candidates=1000)
        sql, params = backend._inner(request, with_tsv=False)
        with transaction.atomic(), connection.cursor() as cursor:
            # 20,000 rows are few enough for a sequential scan; at scale it is one of these two
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, [*params, 1001])
            return "\n".join(r[0] for r in cursor.fetchall())

    assert "search_doc_tsv" in plan("稀有")
    assert "search_doc_popular" in plan("常见")
    results = search("稀有")
    assert [h.title for h in results.items] == ["常见 词4321 稀有"]
    common = search("常见")
    assert (common.total, common.total_is_capped) == (1000, True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", [True, False])
def test_a_sync_holds_the_row_so_an_unpublish_cannot_slip_in(
    tree, publish, staff, monkeypatch, lock
):
    """Sync A reads "published" and is slow to write; meanwhile the article is unpublished.
    With the row lock the unpublish waits for A, and its own sync removes the document.
    Without it (lock=False) the unpublish and its sync finish first and A writes the stale
    state: the race the lock prevents."""
    article = publish(tree.county, "剪纸艺术展")
    assert SearchDocument.objects.count() == 1
    if not lock:
        monkeypatch.setattr(services, "_lock_source", lambda entry, object_id: True)
    read, proceed, unpublished = threading.Event(), threading.Event(), threading.Event()
    original = PostgresBackend.index

    def slow_index(self: PostgresBackend, documents: Any) -> int:
        read.set()
        assert proceed.wait(10)
        return original(self, documents)

    monkeypatch.setattr(PostgresBackend, "index", slow_index)
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            services.sync_object(doc_type="institutions.article", object_id=article.pk)
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connections.close_all()

    def unpublish() -> None:
        try:
            review.unpublish(article, actor=staff["reviewer"], reason="过期")
            unpublished.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=sync)
    a.start()
    assert read.wait(10)
    b = threading.Thread(target=unpublish)
    b.start()
    waited = not unpublished.wait(1.0)
    proceed.set()
    a.join(10)
    b.join(10)
    assert not errors
    assert waited is lock
    assert SearchDocument.objects.exists() is (not lock)
