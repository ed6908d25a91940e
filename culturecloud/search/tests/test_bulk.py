"""The bulk path (`index_new`, used by `seed_scale --resources`) writes exactly the documents
that the backend's `index()` writes, which is what `manage.py reindex` rebuilds."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from culturecloud.core.management import scale
from culturecloud.institutions.models import Institution
from culturecloud.search import services
from culturecloud.search.backends.base import COLUMNS, Row, prepare
from culturecloud.search.backends.postgres import MAX_POSITION, _lexeme, tsvector_literal
from culturecloud.search.models import SearchDocument
from culturecloud.search.segmentation import CachedIndexTerms, index_terms

MIXED = [
    "",
    "   ",
    "京劇 ＡＢＣ，。",
    "Hello world, 京剧院 的 2024 年度 演出 c++ & 3.5% a-b\r\nx\t非遗传承人!广场舞?",
    "非遗传承人在广场舞比赛中表演了粤剧《帝女花》选段；观众：“好！”",
    "ΟΔΟΣ: 希腊 Σ,Σ 1.2.3 a_b __init__ 100%",
    "一、二、三。四，五；六：七！八？九 十",
]


def _synthetic_documents(count: int) -> list[Any]:
    institutions = [Institution(id=i, path=f"/1/{i}/", region_id=None) for i in range(1, 60)]
    rows = scale.build_resources(
        ids=range(1, count + 1),
        numbers=range(1, count + 1),
        institutions=institutions,
        regions=["110101", "440184"],
        tag="t",
        now=timezone.now(),
    )
    return scale.resource_documents(rows, {i.pk: i for i in institutions})


def test_cached_index_terms_are_index_terms():
    cached = CachedIndexTerms(max_pieces=500)  # small: the memory also starts over
    texts = list(MIXED)
    for doc in _synthetic_documents(3000):
        texts += [doc.title, doc.subject, doc.body]
    for _round in range(2):  # the second time from the memory
        for text in texts:
            for unigrams in (False, True):
                assert cached(text, unigrams=unigrams) == index_terms(text, unigrams=unigrams)


def _reference_literal(row: Row) -> str:
    """The vector text as first written (one loop, a set of (term, weight))."""
    parts: list[str] = []
    seen: set[tuple[str, str]] = set()
    position = 0
    for terms, weight in ((row.title_terms, "A"), (row.subject_terms, "B"), (row.body_terms, "C")):
        for term in terms:
            position += 1
            if (term, weight) in seen:
                continue
            seen.add((term, weight))
            parts.append(f"{_lexeme(term)}:{min(position, MAX_POSITION)}{weight}")
    return " ".join(parts)


def test_tsvector_literal_first_positions_per_field():
    rng = random.Random(7)
    words = ["戏", "粤剧", "a'b", "c\\d", "x", "广场舞"]

    def terms(most: int) -> list[str]:
        return [rng.choice(words) for _ in range(rng.randint(0, most))]

    for i in range(2000):
        row = Row({}, terms(8), terms(8), terms(20_000 if i % 200 == 0 else 40))
        assert tsvector_literal(row) == _reference_literal(row)
    now = timezone.now()
    for doc in _synthetic_documents(300):
        row = prepare(doc, now)
        assert tsvector_literal(row) == _reference_literal(row)


def _stored() -> dict[str, dict[str, Any]]:
    """Every resource document as stored: its columns (not the time it was written) and its
    terms (the tsvector on PostgreSQL, the FTS5 row on SQLite)."""
    columns = [c for c in COLUMNS if c != "indexed_at"]
    docs = {
        row["object_id"]: row
        for row in SearchDocument.objects.filter(doc_type="resources.resource").values(
            "id", *columns
        )
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT object_id, tsv::text FROM search_searchdocument WHERE doc_type = %s",
                ["resources.resource"],
            )
            terms = dict(cursor.fetchall())
        else:
            cursor.execute(
                "SELECT d.object_id, f.title || '|' || f.subject || '|' || f.body "
                "FROM search_searchdocument d JOIN search_fts f ON f.rowid = d.id "
                "WHERE d.doc_type = %s",
                ["resources.resource"],
            )
            terms = dict(cursor.fetchall())
    out = {}
    for object_id, row in docs.items():
        row.pop("id")
        row["terms"] = terms[object_id]
        out[object_id] = row
    return out


def _assert_reindex_writes_the_same(count: int) -> None:
    seeded = _stored()
    assert len(seeded) == count
    summary = services.reindex(doc_type="resources.resource", batch_size=97)
    assert summary["resources.resource"] == {"indexed": count, "removed": 0}
    rebuilt = _stored()
    assert rebuilt.keys() == seeded.keys()
    for object_id, row in seeded.items():
        assert row == rebuilt[object_id], object_id


def test_seeded_resource_documents_are_what_reindex_writes(db):
    call = scale.seed_scale(institutions=25, users=0)
    assert call.institutions == 25
    result = scale.seed_resources(count=150, batch=40)
    assert result.documents == 150
    _assert_reindex_writes_the_same(150)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copied_documents_on_postgresql_are_what_reindex_writes():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."
    scale.seed_scale(institutions=40, users=0)
    result = scale.seed_resources(count=600, batch=128, rebuild_indexes=True, workers=2)
    assert result.documents == 600
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_searchdocument WHERE tsv IS NULL")
        assert cursor.fetchone()[0] == 0
    _assert_reindex_writes_the_same(600)
