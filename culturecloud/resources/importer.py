"""Bulk import and export of resources as Dublin Core rows (CSV or JSON).

Columns: dc:title, dc:creator, dc:subject, dc:description, dc:date, dc:type, dc:format,
dc:identifier, dc:language, dc:coverage, dc:rights, institution (the institution's code),
and optionally media (a file path under IMPORT_MEDIA_ROOT, or an http(s) URL on a host in
IMPORT_MEDIA_URL_HOSTS), category (art category, "general" when empty) and ich_category.

- Idempotent on dc:identifier: a new identifier creates a draft, a known one updates the
  resource when something differs (counted "updated") and leaves it alone otherwise
  ("unchanged"). Media is only added to a resource that has none yet (a row without media
  is a catalogue record that can get its media later).
- Each row is written in its own savepoint through `services` (so validation, scope and
  audit are those of the workbench): a bad row is reported "row N: reason" and rolls back
  completely (a media file it stored is removed); the good rows land.
- `publish=True` submits and approves each imported or updated row (the actor needs REVIEW;
  the self-review rule of core.review applies unless the actor is a platform administrator).
  A published resource whose row changed is unpublished, updated and published again; without
  `publish` such a row is refused.
- `dry_run=True` validates every row inside a savepoint that is rolled back (no media is
  fetched).
- Row numbers count data rows from 1 (the CSV header line is not counted).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from culturecloud.core import review
from culturecloud.core.errors import ServiceError
from culturecloud.core.models import ReviewStatus
from culturecloud.institutions.models import Institution, Region
from culturecloud.institutions.permissions import Perm, check_perm
from culturecloud.media import conf as media_conf

from . import services
from .models import RIGHTS_URI, ArtCategory, Resource, ResourceKind, Rights

COLUMNS = (
    "dc:title",
    "dc:creator",
    "dc:subject",
    "dc:description",
    "dc:date",
    "dc:type",
    "dc:format",
    "dc:identifier",
    "dc:language",
    "dc:coverage",
    "dc:rights",
    "institution",
    "media",
    "category",
    "ich_category",
)
REQUIRED_COLUMNS = ("dc:title", "dc:type", "dc:identifier", "institution")
TEXT_COLUMNS = {
    "dc:title": "title",
    "dc:creator": "creator",
    "dc:subject": "subject",
    "dc:description": "description",
    "dc:date": "date",
    "dc:format": "format",
    "dc:language": "language",
}
KINDS = {
    "movingimage": ResourceKind.VIDEO,
    "video": ResourceKind.VIDEO,
    "sound": ResourceKind.AUDIO,
    "audio": ResourceKind.AUDIO,
    "stillimage": ResourceKind.IMAGE,
    "image": ResourceKind.IMAGE,
    "collection": ResourceKind.IMAGE_SET,
    "imageset": ResourceKind.IMAGE_SET,
    "image_set": ResourceKind.IMAGE_SET,
    "image set": ResourceKind.IMAGE_SET,
    "text": ResourceKind.DOCUMENT,
    "document": ResourceKind.DOCUMENT,
}
RIGHTS_NAMES: dict[str, str] = {
    Rights.CC0: "CC0",
    Rights.CC_BY: "CC BY",
    Rights.CC_BY_NC: "CC BY-NC",
    Rights.IN_COPYRIGHT: "In copyright",
}
RIGHTS_WORDS: dict[str, str] = {
    "cc0": Rights.CC0,
    "cc0 1.0": Rights.CC0,
    "cc by": Rights.CC_BY,
    "cc-by": Rights.CC_BY,
    "cc by 4.0": Rights.CC_BY,
    "cc by-nc": Rights.CC_BY_NC,
    "cc-by-nc": Rights.CC_BY_NC,
    "cc by-nc 4.0": Rights.CC_BY_NC,
    "in copyright": Rights.IN_COPYRIGHT,
    **{code: code for code in Rights.values},
    **{uri.split("://", 1)[1].rstrip("/").lower(): code for code, uri in RIGHTS_URI.items()},
}


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 10_000))


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def media_root() -> Path:
    return Path(getattr(settings, "IMPORT_MEDIA_ROOT", Path(settings.BASE_DIR) / "import"))


def url_hosts() -> set[str]:
    return {h.lower() for h in getattr(settings, "IMPORT_MEDIA_URL_HOSTS", ())}


class RowProblem(Exception):
    pass


class _DryRun(Exception):
    def __init__(self, outcome: str) -> None:
        self.outcome = outcome


@dataclass
class RowError:
    row: int
    identifier: str
    message: str

    def __str__(self) -> str:
        return _("row %(n)d: %(reason)s") % {"n": self.row, "reason": self.message}


@dataclass
class Report:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.imported + self.updated + self.unchanged + self.failed

    def summary(self) -> str:
        return _(
            "imported: %(imported)d, updated: %(updated)d, unchanged: %(unchanged)d, "
            "failed: %(failed)d"
        ) % {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "dry_run": self.dry_run,
            "errors": [
                {"row": e.row, "identifier": e.identifier, "message": e.message}
                for e in self.errors
            ],
        }


def _file_error(message: str, code: str = "invalid_import_file") -> ServiceError:
    status = 413 if code == "file_too_large" else 400
    return ServiceError(message, code=code, fields={"file": [message]}, status=status)


# --- reading ----------------------------------------------------------------------------


def _check_columns(names: Iterable[str]) -> None:
    names = list(names)
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise _file_error(
            _("Unknown column “%(name)s”. The columns are: %(columns)s.")
            % {"name": str(unknown[0])[:40], "columns": ", ".join(COLUMNS)}
        )
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise _file_error(_("The column “%(name)s” is missing.") % {"name": missing[0]})


def read_rows(data: bytes, filename: str = "") -> list[dict[str, Any]]:
    """The rows of a CSV (UTF-8, with or without BOM) or JSON (a list of objects) file.
    Whole-file problems raise ServiceError(code="invalid_import_file"); a row that cannot
    be read becomes {"__error__": reason}."""
    if len(data) > max_bytes():
        raise _file_error(_("The file is too large."), "file_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(_("The file is not UTF-8 text.")) from exc
    if "\x00" in text:
        raise _file_error(_("The file contains NUL characters."))
    name = filename.lower()
    is_json = name.endswith(".json") or (not name.endswith(".csv") and text.lstrip()[:1] == "[")
    rows: list[dict[str, Any]] = []
    if is_json:
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise _file_error(_("The file is not valid JSON.")) from exc
        if not isinstance(payload, list):
            raise _file_error(_("A JSON import is a list of objects."))
        keys: set[str] = set()
        for item in payload:
            if isinstance(item, dict):
                keys.update(str(k) for k in item)
        _check_columns(sorted(keys))
        for item in payload:
            if not isinstance(item, dict):
                rows.append({"__error__": _("The row is not an object.")})
                continue
            row: dict[str, Any] = {}
            for key, value in item.items():
                if value is None:
                    value = ""
                if not isinstance(value, str | int | float) or isinstance(value, bool):
                    row = {"__error__": _("“%(name)s” is not text.") % {"name": key}}
                    break
                row[key] = str(value)
            rows.append(row)
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            _check_columns(reader.fieldnames or [])
            for record in reader:
                if None in record:
                    rows.append({"__error__": _("The row has more fields than the header.")})
                    continue
                rows.append({k: (v or "") for k, v in record.items()})
        except csv.Error as exc:
            raise _file_error(_("The CSV file cannot be read: %(e)s") % {"e": exc}) from exc
    if len(rows) > max_rows():
        raise _file_error(
            _("At most %(n)d rows in one import.") % {"n": max_rows()}, "too_many_rows"
        )
    return rows


# --- mapping ----------------------------------------------------------------------------


def _kind(value: str) -> str:
    kind = KINDS.get(" ".join(value.split()).lower())
    if kind is None:
        raise RowProblem(
            _(
                "Unknown dc:type “%(value)s”: use MovingImage, Sound, StillImage, Collection "
                "or Text."
            )
            % {"value": value[:40]}
        )
    return kind


def _rights(value: str) -> tuple[str, str]:
    text = " ".join(value.split())
    if not text:
        return Rights.IN_COPYRIGHT, ""
    key = text.lower()
    if "://" in key:
        key = key.split("://", 1)[1].rstrip("/")
    code = RIGHTS_WORDS.get(key)
    if code is not None:
        return code, ""
    return Rights.IN_COPYRIGHT, text  # a rights statement: in copyright


def _coverage(value: str) -> tuple[Region | None, str]:
    region: Region | None = None
    periods: list[str] = []
    for part in (p.strip() for p in value.replace("；", ";").split(";")):
        if not part:
            continue
        found = None
        if region is None:
            found = Region.objects.filter(code=part).first() or (
                Region.objects.filter(name=part).order_by("code").first()
            )
        if found is not None:
            region = found
        else:
            periods.append(part)
    return region, "; ".join(periods)


def map_row(raw: dict[str, Any]) -> tuple[str, str, dict[str, Any], str]:
    """(identifier, institution code, resource fields, media reference) of a row."""
    if "__error__" in raw:
        raise RowProblem(raw["__error__"])
    identifier = str(raw.get("dc:identifier") or "").strip()
    if not identifier:
        raise RowProblem(_("dc:identifier is empty (imports are matched on it)."))
    code = str(raw.get("institution") or "").strip()
    if not code:
        raise RowProblem(_("institution is empty."))
    fields: dict[str, Any] = {"identifier": identifier}
    for column, name in TEXT_COLUMNS.items():
        if column in raw:
            fields[name] = str(raw[column] or "")
    fields["kind"] = _kind(str(raw.get("dc:type") or ""))
    if "dc:rights" in raw:
        fields["rights"], fields["rights_statement"] = _rights(str(raw["dc:rights"]))
    if "dc:coverage" in raw:
        fields["region"], fields["period"] = _coverage(str(raw["dc:coverage"]))
    fields["category"] = str(raw.get("category") or "").strip() or ArtCategory.GENERAL
    if "ich_category" in raw:
        fields["ich_category"] = str(raw["ich_category"] or "").strip()
    return identifier, code, fields, str(raw.get("media") or "").strip()


def _normal(name: str, value: Any) -> Any:
    if name == "description":
        return services.sanitize_description(str(value or ""))
    if name == "rights_statement":
        return services.plain_text(str(value or "")).strip()
    if name == "language":
        return (str(value or "").strip() or "zh").lower()
    if name == "region":
        return value.pk if isinstance(value, Region) else value
    return " ".join(services.plain_text(str(value or "")).split())


def changed_fields(resource: Resource, fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in fields.items():
        current = resource.region_id if name == "region" else getattr(resource, name)
        if _normal(name, value) != _normal(name, current):
            out[name] = value
    return out


# --- media ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could leave the allowed hosts: it is an error."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def open_media(ref: str, *, allow_local: bool) -> tuple[IO[bytes], str]:
    """(binary file, name) of a media reference; RowProblem when it is not allowed."""
    limit = int(media_conf.get("MEDIA_DIRECT_UPLOAD_MAX_BYTES"))
    if ref.lower().startswith(("http://", "https://")):
        host = (urlparse(ref).hostname or "").lower()
        if host not in url_hosts():
            raise RowProblem(_("URL media not allowed (host “%(host)s”).") % {"host": host[:80]})
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        try:
            with _OPENER.open(ref, timeout=30) as response:
                while chunk := response.read(1024 * 1024):
                    spool.write(chunk)
                    if spool.tell() > limit:
                        raise RowProblem(_("The media file at the URL is too large."))
        except OSError as exc:
            spool.close()
            raise RowProblem(_("The media URL cannot be read: %(e)s") % {"e": exc}) from exc
        except RowProblem:
            spool.close()
            raise
        spool.seek(0)
        return spool, os.path.basename(urlparse(ref).path) or "media"
    if not allow_local:
        raise RowProblem(_("Local media paths can only be imported from the command line."))
    root = media_root().resolve()
    candidate = Path(ref)
    path = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not path.is_relative_to(root):
        raise RowProblem(
            _("The media path is outside the import folder (%(root)s).") % {"root": root}
        )
    if not path.is_file():
        raise RowProblem(_("No media file at “%(path)s”.") % {"path": ref[:200]})
    return open(path, "rb"), path.name


# --- import -----------------------------------------------------------------------------


def _import_one(
    *,
    actor: Any,
    raw: dict[str, Any],
    institutions: dict[str, Institution | None],
    publish: bool,
    dry_run: bool,
    allow_local_media: bool,
) -> str:
    identifier, code, fields, media_ref = map_row(raw)
    if code not in institutions:
        institutions[code] = Institution.objects.filter(code=code, is_active=True).first()
    institution = institutions[code]
    if institution is None:
        raise RowProblem(_("Unknown institution “%(code)s”.") % {"code": code[:40]})
    # First whether the importer may edit there, so a row for an institution outside their
    # scope learns nothing about which identifiers exist.
    check_perm(actor, Perm.EDIT_CONTENT, institution)
    existing = (
        Resource.objects.select_related("institution", "region", "media")
        .filter(identifier=identifier)
        .first()
    )
    if existing is not None and existing.institution_id != institution.pk:
        raise RowProblem(
            _("The resource “%(identifier)s” belongs to another institution.")
            % {"identifier": identifier[:80]}
        )
    if existing is None:
        resource = services.create_resource(actor=actor, institution=institution, **fields)
        outcome = "imported"
    else:
        resource = existing
        changes = changed_fields(existing, fields)
        changes.pop("identifier", None)
        if existing.media_id is not None or existing.images.exists():
            media_ref = ""  # media is only added to a resource without any
        needs_publish = publish and existing.status != ReviewStatus.PUBLISHED
        if not changes and not media_ref and not needs_publish:
            return "unchanged"
        if changes or media_ref:
            if existing.status == ReviewStatus.PUBLISHED:
                if not publish:
                    raise RowProblem(
                        _(
                            "The resource is published; unpublish it first or import with "
                            "publishing."
                        )
                    )
                resource = review.unpublish(resource, actor=actor, reason=_("Bulk import"))
            elif existing.status == ReviewStatus.PENDING:
                resource = review.withdraw(resource, actor=actor)
            if changes:
                resource = services.update_resource(actor=actor, resource=resource, **changes)
        outcome = "updated"
    if media_ref and not dry_run:
        handle, name = open_media(media_ref, allow_local=allow_local_media)
        with handle:
            upload = File(handle, name=name)
            resource = services.upload_media(actor=actor, resource=resource, uploaded_file=upload)
    elif media_ref:
        if media_ref.lower().startswith(("http://", "https://")):
            host = (urlparse(media_ref).hostname or "").lower()
            if host not in url_hosts():
                raise RowProblem(_("URL media not allowed (host “%(host)s”).") % {"host": host})
        else:
            open_media(media_ref, allow_local=allow_local_media)[0].close()
    if publish:
        resource.refresh_from_db()
        if resource.status in (ReviewStatus.DRAFT, ReviewStatus.REJECTED, ReviewStatus.UNPUBLISHED):
            resource = review.submit(resource, actor=actor)
        if resource.status == ReviewStatus.PENDING:
            review.approve(resource, actor=actor)
    return outcome


def import_rows(
    *,
    actor: Any,
    rows: list[dict[str, Any]],
    publish: bool = False,
    dry_run: bool = False,
    allow_local_media: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Import `rows` (from read_rows) as `actor`; returns the report."""
    report = Report(dry_run=dry_run)
    institutions: dict[str, Institution | None] = {}
    for number, raw in enumerate(rows, start=1):
        try:
            with transaction.atomic():
                outcome = _import_one(
                    actor=actor,
                    raw=raw,
                    institutions=institutions,
                    publish=publish,
                    dry_run=dry_run,
                    allow_local_media=allow_local_media,
                )
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as done:
            outcome = done.outcome
        except RowProblem as exc:
            outcome = "failed"
            report.errors.append(RowError(number, _identifier_of(raw), str(exc)))
        except ServiceError as exc:
            outcome = "failed"
            report.errors.append(RowError(number, _identifier_of(raw), _service_message(exc)))
        setattr(report, outcome, getattr(report, outcome) + 1)
        if progress is not None:
            progress(number, len(rows))
    return report


def _identifier_of(raw: dict[str, Any]) -> str:
    return str(raw.get("dc:identifier") or "")[:255]


def _service_message(exc: ServiceError) -> str:
    fields = getattr(exc, "fields", None) or {}
    if fields:
        parts = [
            f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in fields.items()
        ]
        return "; ".join(parts)
    return str(exc.message)


def import_file(
    *,
    actor: Any,
    data: bytes,
    filename: str = "",
    publish: bool = False,
    dry_run: bool = False,
    allow_local_media: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    rows = read_rows(data, filename)
    return import_rows(
        actor=actor,
        rows=rows,
        publish=publish,
        dry_run=dry_run,
        allow_local_media=allow_local_media,
        progress=progress,
    )


# --- export -----------------------------------------------------------------------------


def export_row(resource: Resource) -> dict[str, str]:
    if resource.rights == Rights.IN_COPYRIGHT and resource.rights_statement:
        rights = resource.rights_statement
    else:
        rights = RIGHTS_NAMES.get(resource.rights, resource.rights)
    coverage = "; ".join(
        v for v in (resource.region.code if resource.region else "", resource.period) if v
    )
    return {
        "dc:title": resource.title,
        "dc:creator": resource.creator,
        "dc:subject": resource.subject,
        "dc:description": resource.description,
        "dc:date": resource.date,
        "dc:type": resource.dcmi_type,
        "dc:format": resource.format,
        "dc:identifier": resource.identifier,
        "dc:language": resource.language,
        "dc:coverage": coverage,
        "dc:rights": rights,
        "institution": resource.institution.code,
        "media": "",
        "category": resource.category,
        "ich_category": resource.ich_category,
    }


def export_csv(resources: Iterable[Resource]) -> str:
    """CSV (with a BOM, so that spreadsheet programs read it as UTF-8) of `resources`."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for resource in resources:
        writer.writerow(export_row(resource))
    return buffer.getvalue()
