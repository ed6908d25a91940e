"""The search backend interface, and what the two SQL backends share.

A backend answers five calls (`SearchBackend`). PostgreSQL and SQLite both keep the
documents in the SearchDocument table and differ only in their full-text part, so they
share `SqlBackend`: it asks the subclass for the bounded candidate set
(`_candidates`) and does ranking order, facets, paging and snippets itself.
An OpenSearch / Elasticsearch backend (Chinese analyzer, smartcn or IK) implements
`SearchBackend` directly: bulk-index documents, delete by id, a bool query with
filters, `terms` aggregations for the facets and the highlighter for the snippets;
nothing outside `culturecloud.search.backends` changes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from .. import highlight
from ..models import SearchDocument
from ..registry import Document, doc_types, extra_facet_names, facet_info, get_doc_type
from ..segmentation import index_terms
from ..types import Facet, FacetValue, Hit, Results, SearchRequest, Sort

STORED_BODY_CHARS = 10_000  # kept for snippets
INDEXED_BODY_CHARS = 100_000
FACET_VALUES = 10


class SearchBackend(ABC):
    """Everything the rest of the project needs from a search engine."""

    name = "base"

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @abstractmethod
    def index(self, documents: Sequence[Document]) -> int:
        """Add or replace these documents (keyed by doc_type + object_id); returns the count."""

    def index_new(self, documents: Sequence[Document]) -> int:
        """Add documents that are not in the index yet (a bulk load of new objects: seeding,
        imports); a backend may write them faster than `index()` does (PostgreSQL: COPY), and
        may fail on one that is there already. The same documents as `index()` writes."""
        return self.index(documents)

    @abstractmethod
    def remove(self, doc_type: str, object_ids: Iterable[str | int]) -> int:
        """Remove these documents; returns how many there were."""

    @abstractmethod
    def remove_stale(self, doc_type: str, indexed_before: dt.datetime) -> int:
        """Remove the documents of `doc_type` not (re)indexed since `indexed_before`
        (what a full reindex did not see any more)."""

    @abstractmethod
    def clear(self, doc_type: str | None = None) -> int:
        """Remove every document (of one type)."""

    @abstractmethod
    def search(self, request: SearchRequest) -> Results:
        """Run a query: filters, bounded candidates, order, facets, one page with snippets."""

    def set_popularity(self, doc_type: str, object_id: str | int, popularity: int) -> None:
        SearchDocument.objects.using(self.using).filter(
            doc_type=doc_type, object_id=str(object_id)
        ).update(popularity=popularity)


@dataclass
class Row:
    """A document's stored values, cleaned, and its terms per field."""

    values: dict[str, Any]
    title_terms: list[str]
    subject_terms: list[str]
    body_terms: list[str]


def prepare(doc: Document, now: dt.datetime, terms: Callable[..., list[str]] = index_terms) -> Row:
    """Clean a Document into column values and terms (the shared part of indexing);
    `terms`: index_terms, or one that gives the same terms faster (CachedIndexTerms)."""
    title = " ".join(str(doc.title).split())[:300]
    subject = " ".join(str(doc.subject).split())[:1000]
    body = str(doc.body or "")
    if "<" in body:
        body = html.unescape(strip_tags(body))
    body = " ".join(body.split())
    inst = doc.institution
    region = doc.region_code or (inst.region_id if inst is not None and inst.region_id else "")
    facets: dict[str, list[str]] = {}
    for key, value in (doc.facets or {}).items():
        given = [value] if isinstance(value, str) else list(value)
        cleaned = [str(v)[:100] for v in given if v not in (None, "")]
        if cleaned:
            facets[str(key)[:32]] = cleaned[:20]
    values = {
        "doc_type": doc.doc_type,
        "object_id": str(doc.object_id),
        "title": title,
        "subject": subject,
        "body": body[:STORED_BODY_CHARS],
        "url": doc.url[:500],
        "image": doc.image[:500],
        "institution_id": inst.pk if inst is not None else None,
        "institution_path": inst.path if inst is not None else "",
        "region_code": str(region or "")[:6],
        "category": doc.category[:64],
        "kind": doc.kind[:32],
        "language": doc.language[:16],
        "year": doc.year,
        "facets": facets,
        "published_at": doc.published_at or now,
        "popularity": max(0, int(doc.popularity or 0)),
        "indexed_at": now,
    }
    return Row(
        values=values,
        title_terms=terms(title, unigrams=True),
        subject_terms=terms(subject, unigrams=True),
        body_terms=terms(body[:INDEXED_BODY_CHARS]),
    )


COLUMNS = (
    "doc_type",
    "object_id",
    "title",
    "subject",
    "body",
    "url",
    "image",
    "institution_id",
    "institution_path",
    "region_code",
    "category",
    "kind",
    "language",
    "year",
    "facets",
    "published_at",
    "popularity",
    "indexed_at",
)

# Candidate tuples of `_candidates`: these columns, then the relevance tier.
CANDIDATE_COLUMNS = (
    "d.id, d.doc_type, d.institution_id, d.region_code, d.category, d.kind, d.language, "
    "d.year, d.facets, d.popularity"
)
C_ID, C_TYPE, C_INST, C_REGION, C_CAT, C_KIND, C_LANG, C_YEAR, C_FACETS = range(9)
C_POP, C_TIER = 9, 10
TYPED_FACETS = ("doc_type", "institution", "region", "category", "kind", "year", "language")


@dataclass
class Counted:
    """What a query found: one page of document ids, the (capped) total, facet counts."""

    page: list[tuple[int, float]]  # (SearchDocument id, score), in order
    total: int
    capped: bool
    facets: dict[str, list[tuple[str, int]]]  # facet → its most frequent (value, count)


def region_facet_length(prefix: str) -> int:
    """The region facet drills down one level below the region filter (0: no facet)."""
    return {0: 2, 2: 4, 4: 6}.get(len(prefix), 0)


class SqlBackend(SearchBackend):
    """Shared by the PostgreSQL and SQLite backends."""

    @property
    def connection(self) -> Any:
        return connections[self.using]

    # --- to implement ----------------------------------------------------------

    @abstractmethod
    def _candidates(self, request: SearchRequest, limit: int) -> list[tuple[Any, ...]]:
        """At most `limit` matching candidate tuples (CANDIDATE_COLUMNS + tier), the most
        viewed first (the newest first for Sort.NEWEST). With no terms: every document that
        passes the filters. The tier (relevance sort with terms only, else 0) is
        4 × all words in the title + 2 × all words in title or subject + 1 × a word in the
        title, so title hits rank above subject hits above text hits."""

    @abstractmethod
    def _extra_facet_sql(self, name: str, value: str) -> tuple[str, list[Any]]:
        """A WHERE fragment on `d`: the extra facet `name` has `value`."""

    # --- shared ------------------------------------------------------------------

    def remove_stale(self, doc_type: str, indexed_before: dt.datetime) -> int:
        return (
            SearchDocument.objects.using(self.using)
            .filter(doc_type=doc_type, indexed_at__lt=indexed_before)
            .delete()[0]
        )

    def remove(self, doc_type: str, object_ids: Iterable[str | int]) -> int:
        ids = [str(i) for i in object_ids]
        if not ids:
            return 0
        return (
            SearchDocument.objects.using(self.using)
            .filter(doc_type=doc_type, object_id__in=ids)
            .delete()[0]
        )

    def clear(self, doc_type: str | None = None) -> int:
        qs = SearchDocument.objects.using(self.using).all()
        if doc_type:
            qs = qs.filter(doc_type=doc_type)
        return qs.delete()[0]

    def _filter_sql(self, request: SearchRequest) -> tuple[list[str], list[Any]]:
        """WHERE fragments on the documents table `d` for the request's filters."""
        f = request.filters
        where: list[str] = []
        params: list[Any] = []
        if request.doc_types:
            where.append(f"d.doc_type IN ({', '.join(['%s'] * len(request.doc_types))})")
            params.extend(request.doc_types)
        if f.institution_path:
            where.append("d.institution_path LIKE %s")
            params.append(f.institution_path + "%")
        if f.region_prefix:
            if len(f.region_prefix) == 6:
                where.append("d.region_code = %s")
                params.append(f.region_prefix)
            else:
                where.append("d.region_code LIKE %s")
                params.append(f.region_prefix + "%")
        for column in ("category", "kind", "language"):
            value = getattr(f, column)
            if value:
                where.append(f"d.{column} = %s")
                params.append(value)
        if f.year_from is not None:
            where.append("d.year >= %s")
            params.append(f.year_from)
        if f.year_to is not None:
            where.append("d.year <= %s")
            params.append(f.year_to)
        for name, value in f.extra:
            sql, extra_params = self._extra_facet_sql(name, value)
            where.append(sql)
            params.extend(extra_params)
        return where, params

    def search(self, request: SearchRequest) -> Results:
        started = time.perf_counter()
        words = [t.word for t in request.terms]
        if request.q.strip() and not request.terms:
            return Results([], 0, False, [], 0.0, request.page, request.page_size, request.sort)
        counted = self._count(request)
        facets = self._facets(request, counted.facets) if request.facets else []
        items = self._hits(request, counted.page)
        return Results(
            items=items,
            total=counted.total,
            total_is_capped=counted.capped,
            facets=facets,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            page=request.page,
            page_size=request.page_size,
            sort=request.sort,
            terms=words,
        )

    def _count(self, request: SearchRequest) -> Counted:
        """Page, total and facet counts from the candidate tuples, in Python."""
        rows = self._candidates(request, request.candidates + 1)
        capped = len(rows) > request.candidates
        rows = rows[: request.candidates]
        if request.sort is Sort.RELEVANCE and request.terms:
            rows.sort(key=lambda r: (-r[C_TIER], -r[C_POP], -r[C_ID]))
        start = (request.page - 1) * request.page_size
        page = [(r[C_ID], float(r[C_TIER])) for r in rows[start : start + request.page_size]]
        facets: dict[str, list[tuple[str, int]]] = {}
        if request.facets:
            counters: dict[str, Counter[Any]] = {
                "doc_type": Counter(r[C_TYPE] for r in rows),
                "institution": Counter(r[C_INST] for r in rows if r[C_INST] is not None),
                "category": Counter(r[C_CAT] for r in rows if r[C_CAT]),
                "kind": Counter(r[C_KIND] for r in rows if r[C_KIND]),
                "year": Counter(r[C_YEAR] for r in rows if r[C_YEAR] is not None),
                "language": Counter(r[C_LANG] for r in rows if r[C_LANG]),
            }
            length = region_facet_length(request.filters.region_prefix)
            if length:
                counters["region"] = Counter(r[C_REGION][:length] for r in rows if r[C_REGION])
            extra_names = extra_facet_names()
            if extra_names:
                for name in extra_names:
                    counters[name] = Counter()
                for r in rows:
                    data = r[C_FACETS]
                    if not data:
                        continue
                    if isinstance(data, str):
                        data = json.loads(data)
                    for name in extra_names:
                        counters[name].update(data.get(name, ()))
            for name, counter in counters.items():
                facets[name] = [(str(v), n) for v, n in counter.most_common(FACET_VALUES)]
        return Counted(page, len(rows), capped, facets)

    def _facets(
        self, request: SearchRequest, counts: dict[str, list[tuple[str, int]]]
    ) -> list[Facet]:
        f = request.filters
        labels, codes = self._facet_labels(counts)
        selected: dict[str, set[str]] = {
            "doc_type": set(request.doc_types),
            "category": {f.category},
            "kind": {f.kind},
            "language": {f.language},
        }
        for name, value in f.extra:
            selected.setdefault(name, set()).add(value)
        if f.year_from is not None and f.year_from == f.year_to:
            selected["year"] = {str(f.year_from)}
        titles = {
            # not "Type": in Chinese both it and "Kind" are 类型, two filters of one name
            "doc_type": _("Section"),
            "institution": _("Institution"),
            "region": _("Region"),
            "category": _("Category"),
            "kind": _("Kind"),
            "year": _("Year"),
            "language": _("Language"),
        }
        extra_names = extra_facet_names()
        order = ["doc_type", "category", "kind", *extra_names, "institution", "region"]
        result = []
        for name in [*order, "year", "language"]:
            values = counts.get(name) or []
            if not values:
                continue
            if name == "year":
                values = sorted(values, key=lambda kv: kv[0], reverse=True)
            info = facet_info(name)
            label = str(info.label) if info is not None else str(titles.get(name, name))
            facet_values = []
            for value, count in values:
                shown = labels.get((name, value), value)
                if name == "institution":  # the filter takes the institution's code
                    value = codes.get(value, value)
                facet_values.append(
                    FacetValue(
                        value=value,
                        label=shown,
                        count=count,
                        selected=value in selected.get(name, set()),
                    )
                )
            # facets are named like the filter parameters: type, category, …
            public_name = "type" if name == "doc_type" else name
            result.append(Facet(name=public_name, label=label, values=facet_values))
        return result

    def _facet_labels(
        self, top: dict[str, list[tuple[str, int]]]
    ) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """Labels of the facet values shown, and the codes of the institutions among them
        (one query for institutions, one for regions)."""
        from culturecloud.institutions.models import Institution, Region

        labels: dict[tuple[str, str], str] = {}
        codes: dict[str, str] = {}
        for value, _count in top.get("doc_type", []):
            doc_type = get_doc_type(value)
            labels[("doc_type", value)] = str(doc_type.label) if doc_type else value
        inst_ids = [int(value) for value, _count in top.get("institution", [])]
        if inst_ids:
            rows = Institution.objects.using(self.using).filter(pk__in=inst_ids)
            for pk, name, code in rows.values_list("pk", "name", "code"):
                labels[("institution", str(pk))] = name
                codes[str(pk)] = code
        prefixes = [value for value, _count in top.get("region", [])]
        if prefixes:
            full = {p: p.ljust(6, "0") for p in prefixes}
            names = dict(
                Region.objects.using(self.using)
                .filter(code__in=full.values())
                .values_list("code", "name")
            )
            for prefix, code in full.items():
                if code in names:
                    labels[("region", prefix)] = names[code]
        for name, values in top.items():
            info = facet_info(name)
            if info is not None and info.value_label is not None:
                for value, _count in values:
                    labels[(name, value)] = str(info.value_label(value))
        return labels, codes

    def _hits(self, request: SearchRequest, page: list[tuple[int, float]]) -> list[Hit]:
        if not page:
            return []
        ids = [doc_id for doc_id, _score in page]
        docs = {
            d["id"]: d
            for d in SearchDocument.objects.using(self.using)
            .filter(id__in=ids)
            .values(
                "id",
                "doc_type",
                "object_id",
                "title",
                "body",
                "url",
                "image",
                "institution_id",
                "institution__name",
                "region_code",
                "category",
                "kind",
                "language",
                "year",
                "facets",
                "published_at",
                "popularity",
            )
        }
        words = [w for t in request.terms for w in t.highlights]
        type_labels = {name: str(entry.label) for name, entry in doc_types().items()}
        hits = []
        for doc_id, score in page:
            d = docs.get(doc_id)
            if d is None:  # removed meanwhile
                continue
            hits.append(
                Hit(
                    doc_type=d["doc_type"],
                    object_id=d["object_id"],
                    title=d["title"],
                    title_html=highlight.mark(d["title"], words),
                    snippet_html=highlight.snippet(d["body"], words),
                    url=d["url"],
                    image=d["image"],
                    institution_id=d["institution_id"],
                    institution_name=d["institution__name"] or "",
                    region_code=d["region_code"],
                    category=d["category"],
                    kind=d["kind"],
                    language=d["language"],
                    year=d["year"],
                    facets=d["facets"] or {},
                    published_at=d["published_at"],
                    popularity=d["popularity"],
                    score=score,
                    type_label=type_labels.get(d["doc_type"], d["doc_type"]),
                )
            )
        return hits


def now() -> dt.datetime:
    return timezone.now()
