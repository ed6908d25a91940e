"""Every write to the resource library: resources and their media, heritage projects and
inheritors, collections, favorites, comments and the view/play counters.

Each function validates and authorizes first (ServiceError with field errors, PermissionDenied
through `institutions.permissions`), then changes the rows inside one transaction with its
audit entry. Review transitions (submit, approve, reject, unpublish…) go through
`culturecloud.core.review`; the search index follows by itself (search.signals).

Counters never read-modify-write: `UPDATE … SET n = n + 1 WHERE …` (F()).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import IO, Any

import nh3
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from culturecloud.core import audit, ratelimit, review
from culturecloud.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from culturecloud.core.models import ReviewStatus
from culturecloud.institutions.models import Institution, Region
from culturecloud.institutions.permissions import Perm, check_perm, has_perm, scope_queryset
from culturecloud.institutions.regions import get_region
from culturecloud.institutions.services import with_code
from culturecloud.media import services as media_services
from culturecloud.media import storage as media_storage
from culturecloud.media.models import MediaAsset

from .models import (
    IDENTIFIER_PREFIX,
    MEDIA_KIND,
    ArtCategory,
    Audience,
    Collection,
    CollectionItem,
    Comment,
    CommentStatus,
    Favorite,
    HeritageLevel,
    HeritageProject,
    IchCategory,
    Inheritor,
    Resource,
    ResourceImage,
    ResourceKind,
    Rights,
    Tag,
)

logger = logging.getLogger(__name__)

EDITABLE_STATUSES = frozenset({ReviewStatus.DRAFT, ReviewStatus.REJECTED, ReviewStatus.UNPUBLISHED})

DESCRIPTION_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li",
    "a", "h2", "h3", "h4", "blockquote", "hr",
}  # fmt: skip
DESCRIPTION_ATTRIBUTES = {"a": {"href", "title"}}
MAX_DESCRIPTION = 20_000
MAX_RIGHTS_STATEMENT = 2_000
MAX_TAGS = 20
MAX_TAG_LENGTH = Tag._meta.get_field("name").max_length or 30
MAX_IMAGES = 200
MAX_COLLECTION_ITEMS = 500
MAX_COMMENT = 1_000
COMMENT_RATE = (5, 600)  # per user: five comments in ten minutes
COMMENT_RATE_DAY = (30, 86400)
VIEW_DEDUP_SECONDS = 30 * 60  # one view per visitor and resource in half an hour
PLAY_DEDUP_SECONDS = 10 * 60
POPULARITY_SYNC_SECONDS = 5 * 60  # the search index learns a view count at most this often

DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
IDENTIFIER_RE = re.compile(r"^\S{1,255}$")
TAG_SPLIT_RE = re.compile(r"[,，、;；\n]+")

# Keyword arguments of create_resource / update_resource.
RESOURCE_FIELDS = frozenset(
    {
        "title",
        "kind",
        "category",
        "ich_category",
        "identifier",
        "creator",
        "subject",
        "description",
        "contributor",
        "date",
        "format",
        "source",
        "language",
        "relation",
        "period",
        "region",
        "rights",
        "rights_statement",
        "audience",
        "heritage_project",
        "inheritors",
        "tags",
        "media",
        "images",
    }
)
TEXT_FIELDS = ("creator", "subject", "contributor", "format", "source", "relation", "period")
# Scalar columns the audit entry compares.
AUDITED = (
    "title",
    "kind",
    "category",
    "ich_category",
    "identifier",
    "date",
    "rights",
    "audience",
    "region_id",
    "heritage_project_id",
    "media_id",
    "status",
)


class _Errors:
    """Field errors collected while validating; raised together."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.codes: list[str] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.fields.setdefault(field, []).append(message)
        self.codes.append(code)

    def raise_if_any(self) -> None:
        if not self.fields:
            return
        codes = set(self.codes)
        code = self.codes[0] if len(codes) == 1 and codes != {"invalid"} else "validation_error"
        message = (
            next(iter(self.fields.values()))[0]
            if len(self.fields) == 1
            else _("Some fields are not valid.")
        )
        raise ServiceError(message, code=code, fields=self.fields)


def _required() -> str:
    return _("This field is required.")


def _too_long(n: int) -> str:
    return _("At most %(n)d characters.") % {"n": n}


def _max_length(model: Any, field: str) -> int:
    return int(model._meta.get_field(field).max_length or 255)


# --- text -------------------------------------------------------------------------------


def sanitize_description(text: str) -> str:
    """Rich text with a small allow-list of tags; scripts, styles and event handlers go;
    links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        text or "",
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def plain_text(text: str) -> str:
    """Text without any markup (the content of <script> and <style> is dropped too)."""
    cleaned = nh3.clean(text or "", tags=set(), strip_comments=True)
    return html.unescape(cleaned)


def _one_line(text: Any) -> str:
    return " ".join(plain_text(str(text or "")).split())


def parse_tags(value: Any) -> list[str]:
    """Tags from a list or a string separated by commas (also ，、；), cleaned and deduplicated."""
    if value is None:
        return []
    raw: list[str] = []
    if isinstance(value, str):
        raw = TAG_SPLIT_RE.split(value)
    else:
        for item in value:
            raw.extend(TAG_SPLIT_RE.split(str(item)))
    seen: dict[str, str] = {}
    for item in raw:
        tag = _one_line(item).lstrip("#")
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return list(seen.values())


def parse_date(value: str) -> tuple[str, int | None, str | None]:
    """(date, year, error) for dc:date in W3CDTF: YYYY, YYYY-MM or YYYY-MM-DD."""
    value = (value or "").strip()
    if not value:
        return "", None, None
    match = DATE_RE.match(value)
    error = _("Write the date as YYYY, YYYY-MM or YYYY-MM-DD, for example 1956-05.")
    if not match:
        return value, None, error
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else 1
    day = int(match.group(3)) if match.group(3) else 1
    try:
        dt.date(year, month, day)
    except ValueError:
        return value, None, error
    if year < 1 or year > timezone.localdate().year + 1:
        return value, None, _("The year is not plausible.")
    return value, year, None


def new_identifier() -> str:
    return f"{IDENTIFIER_PREFIX}{uuid.uuid4()}"


# --- lookups ----------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _asset_in_scope(actor: Any, value: Any) -> MediaAsset | None:
    """The asset `value` (an id or an instance) if `actor` may use it (EDIT_CONTENT)."""
    if isinstance(value, MediaAsset):
        pk = value.pk
    else:
        try:
            pk = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())
        except (TypeError, ValueError, AttributeError):
            return None
    return (
        media_services.staff_assets(actor, Perm.EDIT_CONTENT)
        .select_related("institution")
        .filter(pk=pk)
        .first()
    )


def _media_kind_label(kind: str) -> str:
    return str(ResourceKind(kind).label)


def _clean_resource(
    *,
    actor: Any,
    institution: Institution,
    values: dict[str, Any],
    instance: Resource | None,
) -> dict[str, Any]:
    """Validate `values` (the given fields) against the resource as it will be; returns
    the cleaned columns plus "tags", "inheritors" and "images" when given."""
    unknown = sorted(set(values) - RESOURCE_FIELDS)
    if unknown:
        raise ServiceError(
            _("Unknown field: %(name)s.") % {"name": unknown[0][:40]},
            code="unknown_field",
            fields={unknown[0][:40]: [_("Unknown field.")]},
        )
    errors = _Errors()
    out: dict[str, Any] = {}

    def current(name: str, default: Any = "") -> Any:
        if name in values:
            return values[name]
        if instance is not None:
            return getattr(instance, name)
        return default

    if "title" in values or instance is None:
        title = _one_line(values.get("title"))
        limit = _max_length(Resource, "title")
        if not title:
            errors.add("title", _required(), "required")
        elif len(title) > limit:
            errors.add("title", _too_long(limit))
        out["title"] = title

    kind = str(current("kind") or "")
    if "kind" in values or instance is None:
        if kind not in ResourceKind.values:
            errors.add(
                "kind",
                _("Unknown kind. Choose one of: %(choices)s.")
                % {"choices": ", ".join(ResourceKind.values)},
                "unknown_kind",
            )
        out["kind"] = kind

    if "category" in values or instance is None:
        category = str(values.get("category") or "").strip()
        if category not in ArtCategory.values:
            errors.add(
                "category",
                _("Unknown art category “%(value)s”. Choose one of: %(choices)s.")
                % {"value": category[:40], "choices": ", ".join(ArtCategory.values)},
                "unknown_category",
            )
        out["category"] = category

    if "ich_category" in values:
        ich = str(values.get("ich_category") or "").strip()
        if ich and ich not in IchCategory.values:
            errors.add(
                "ich_category",
                _("Unknown intangible heritage category “%(value)s”. Choose one of: %(choices)s.")
                % {"value": ich[:40], "choices": ", ".join(IchCategory.values)},
                "unknown_category",
            )
        out["ich_category"] = ich

    for name, choices, code in (
        ("rights", Rights, "unknown_rights"),
        ("audience", Audience, "unknown_audience"),
    ):
        if name in values:
            value = str(values.get(name) or "").strip()
            if value not in choices.values:
                errors.add(
                    name,
                    _("Unknown value “%(value)s”. Choose one of: %(choices)s.")
                    % {"value": value[:40], "choices": ", ".join(choices.values)},
                    code,
                )
            out[name] = value

    if "identifier" in values:
        identifier = str(values.get("identifier") or "").strip()
        if identifier and not IDENTIFIER_RE.match(identifier):
            errors.add(
                "identifier", _("At most 255 characters without spaces."), "invalid_identifier"
            )
        elif identifier:
            clash = Resource.objects.filter(identifier=identifier)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors.add(
                    "identifier",
                    _("Another resource already has this identifier."),
                    "duplicate_identifier",
                )
        if identifier or instance is None:
            out["identifier"] = identifier or new_identifier()
    elif instance is None:
        out["identifier"] = new_identifier()

    for name in TEXT_FIELDS:
        if name in values:
            text = _one_line(values.get(name))
            limit = _max_length(Resource, name)
            if len(text) > limit:
                errors.add(name, _too_long(limit))
            out[name] = text

    if "description" in values:
        raw = str(values.get("description") or "")
        if len(raw) > MAX_DESCRIPTION:
            errors.add("description", _too_long(MAX_DESCRIPTION))
        out["description"] = sanitize_description(raw)

    if "rights_statement" in values:
        statement = plain_text(str(values.get("rights_statement") or "")).strip()
        if len(statement) > MAX_RIGHTS_STATEMENT:
            errors.add("rights_statement", _too_long(MAX_RIGHTS_STATEMENT))
        out["rights_statement"] = statement

    if "date" in values:
        date, year, problem = parse_date(str(values.get("date") or ""))
        if problem:
            errors.add("date", problem, "invalid_date")
        out["date"], out["year"] = date, year

    if "language" in values:
        language = str(values.get("language") or "").strip() or "zh"
        primary, sep, rest = language.partition("-")
        language = primary.lower() + sep + rest
        if not LANGUAGE_RE.match(language) or len(language) > 16:
            errors.add(
                "language",
                _("Give a language code such as zh, zh-Hans, bo or en."),
                "invalid_language",
            )
        out["language"] = language

    if "region" in values:
        region = values.get("region")
        if region in (None, ""):
            out["region"] = None
        elif isinstance(region, Region):
            out["region"] = region
        else:
            try:
                out["region"] = get_region(str(region))
            except ServiceError as exc:
                errors.add("region", exc.message, "unknown_region")

    project: HeritageProject | None = current("heritage_project", None)
    if "heritage_project" in values:
        raw_project = values.get("heritage_project")
        project = None
        if isinstance(raw_project, HeritageProject):
            project = raw_project
        elif raw_project not in (None, ""):
            pk = _as_int(raw_project)
            project = HeritageProject.objects.filter(pk=pk).first() if pk is not None else None
            if project is None:
                errors.add(
                    "heritage_project",
                    _("Unknown heritage project."),
                    "unknown_heritage_project",
                )
        out["heritage_project"] = project
        if project is not None and not current("ich_category", ""):
            out["ich_category"] = project.ich_category

    if "inheritors" in values:
        ids = [_as_int(v) for v in (values.get("inheritors") or [])]
        if any(pk is None for pk in ids):
            errors.add("inheritors", _("Give inheritors by their numbers."), "invalid")
        found = {i.pk: i for i in Inheritor.objects.filter(pk__in=[p for p in ids if p])}
        if len(found) != len({p for p in ids if p}):
            errors.add("inheritors", _("Unknown inheritor."), "unknown_inheritor")
        elif found and (project is None or any(i.project_id != project.pk for i in found.values())):
            errors.add(
                "inheritors",
                _("Inheritors must belong to the resource's heritage project."),
                "inheritor_not_in_project",
            )
        out["inheritors"] = list(found.values())

    if "tags" in values:
        tags = parse_tags(values.get("tags"))
        if len(tags) > MAX_TAGS:
            errors.add("tags", _("At most %(n)d tags.") % {"n": MAX_TAGS})
        elif any(len(t) > MAX_TAG_LENGTH for t in tags):
            errors.add("tags", _("A tag has at most %(n)d characters.") % {"n": MAX_TAG_LENGTH})
        out["tags"] = tags

    wanted = MEDIA_KIND.get(kind, "")
    if "media" in values:
        raw_media = values.get("media")
        asset = None
        if raw_media not in (None, ""):
            asset = _asset_in_scope(actor, raw_media)
            if asset is None:
                errors.add("media", _("No such media file."), "unknown_media")
        out["media"] = asset
    media = out.get("media", instance.media if instance is not None else None)
    if media is not None and kind in ResourceKind.values:
        if kind == ResourceKind.IMAGE_SET:
            errors.add(
                "media",
                _("An image set takes its pictures as images, not as one media file."),
                "media_kind_mismatch",
            )
        elif media.kind != wanted:
            errors.add(
                "media",
                _("This file is of the kind “%(actual)s”; a resource of the kind “%(kind)s” needs "
                  "a file of the kind “%(wanted)s”.")
                % {
                    "actual": media.get_kind_display(),
                    "kind": _media_kind_label(kind),
                    "wanted": dict(MediaAsset._meta.get_field("kind").flatchoices).get(
                        wanted, wanted
                    ),
                },
                "media_kind_mismatch",
            )  # fmt: skip

    if "images" in values:
        raw_images = list(values.get("images") or [])
        if raw_images and kind != ResourceKind.IMAGE_SET:
            errors.add("images", _("Only an image set has several images."), "media_kind_mismatch")
        elif len(raw_images) > MAX_IMAGES:
            errors.add("images", _("At most %(n)d images.") % {"n": MAX_IMAGES})
        images: list[MediaAsset] = []
        for raw in raw_images:
            asset = _asset_in_scope(actor, raw)
            if asset is None:
                errors.add("images", _("No such media file."), "unknown_media")
                break
            if asset.kind != "image":
                errors.add(
                    "images",
                    _("“%(name)s” is not an image.") % {"name": asset.original_name},
                    "media_kind_mismatch",
                )
                break
            if asset not in images:
                images.append(asset)
        out["images"] = images
    elif instance is not None and "kind" in values and kind != ResourceKind.IMAGE_SET:
        out["images"] = []  # no longer a set
    errors.raise_if_any()
    return out


# --- resources --------------------------------------------------------------------------


def _snapshot(resource: Resource) -> dict[str, Any]:
    values = {name: getattr(resource, name) for name in AUDITED}
    return {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in values.items()}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _set_tags(resource: Resource, names: list[str]) -> None:
    if names:
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    rows = {t.name: t for t in Tag.objects.filter(name__in=names)}
    resource.tags.set([rows[n] for n in names if n in rows])


def _set_images(resource: Resource, assets: Sequence[MediaAsset]) -> None:
    ResourceImage.objects.filter(resource=resource).delete()
    ResourceImage.objects.bulk_create(
        [ResourceImage(resource=resource, asset=a, position=i) for i, a in enumerate(assets)]
    )


def _lock_active_institution(institution: Institution) -> Institution:
    locked = Institution.objects.select_for_update(no_key=True).get(pk=institution.pk)
    if not locked.is_active:
        message = _("This institution has been merged or closed.")
        raise ServiceError(message, code="inactive", fields={"institution": [message]})
    return locked


def create_resource(*, actor: Any, institution: Institution, **fields: Any) -> Resource:
    """A draft resource of `institution` (EDIT_CONTENT). Required: title, kind, category.
    Without an identifier one is made ("cc:res:<uuid>")."""
    if not isinstance(institution, Institution):
        message = _("Unknown institution.")
        raise NotFound(message, code="unknown_institution", fields={"institution": [message]})
    check_perm(actor, Perm.EDIT_CONTENT, institution)
    data = _clean_resource(actor=actor, institution=institution, values=fields, instance=None)
    tags = data.pop("tags", [])
    inheritors = data.pop("inheritors", [])
    images = data.pop("images", [])
    try:
        with transaction.atomic():
            locked = _lock_active_institution(institution)
            resource = Resource.objects.create(
                institution=locked,
                institution_path=locked.path,
                created_by=actor,
                **data,
            )
            if tags:
                _set_tags(resource, tags)
            if inheritors:
                resource.inheritors.set(inheritors)
            if images:
                _set_images(resource, images)
            audit.record(
                "resources.resource.created",
                actor=actor,
                target=resource,
                after={**_snapshot(resource), "tags": tags, "images": len(images)},
            )
    except IntegrityError as exc:
        raise _integrity_conflict(exc) from exc
    return resource


def _integrity_conflict(exc: IntegrityError) -> ServiceError:
    if "identifier" in str(exc).lower():
        message = _("Another resource already has this identifier.")
        return Conflict(message, code="duplicate_identifier", fields={"identifier": [message]})
    return Conflict(_("The change clashes with another one. Please try again."), code="conflict")


def _lock_editable(resource: Resource, actor: Any) -> Resource:
    locked = (
        Resource.objects.select_for_update(of=("self",))
        .select_related("institution", "media")
        .get(pk=resource.pk)
    )
    check_perm(actor, Perm.EDIT_CONTENT, locked.institution)
    if locked.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("This resource is “%(status)s”; withdraw or unpublish it before editing.")
            % {"status": locked.get_status_display()},
            code="not_editable",
        )
    return locked


def update_resource(*, actor: Any, resource: Resource, **fields: Any) -> Resource:
    """Change the given fields of a draft, rejected or unpublished resource; it goes back to
    draft. Fields not given keep their value."""
    check_perm(actor, Perm.EDIT_CONTENT, resource.institution)
    try:
        with transaction.atomic():
            locked = _lock_editable(resource, actor)
            data = _clean_resource(
                actor=actor, institution=locked.institution, values=fields, instance=locked
            )
            tags = data.pop("tags", None)
            inheritors = data.pop("inheritors", None)
            images = data.pop("images", None)
            before = _snapshot(locked)
            for name, value in data.items():
                setattr(locked, name, value)
            if "heritage_project" in data and inheritors is None:
                # inheritors of another project do not stay
                project = locked.heritage_project
                inheritors = list(locked.inheritors.filter(project=project)) if project else []
            locked.status = ReviewStatus.DRAFT
            locked.save()
            if tags is not None:
                _set_tags(locked, tags)
            if inheritors is not None:
                locked.inheritors.set(inheritors)
            if images is not None:
                _set_images(locked, images)
            old, new = _changes(before, _snapshot(locked))
            if tags is not None:
                new["tags"] = tags
            if images is not None:
                new["images"] = len(images)
            audit.record(
                "resources.resource.updated", actor=actor, target=locked, before=old, after=new
            )
    except IntegrityError as exc:
        raise _integrity_conflict(exc) from exc
    return locked


def attach_media(*, actor: Any, resource: Resource, asset: MediaAsset | None) -> Resource:
    """Set (or with None remove) the resource's media file."""
    return update_resource(actor=actor, resource=resource, media=asset)


def upload_media(*, actor: Any, resource: Resource, uploaded_file: IO[bytes]) -> Resource:
    """Upload a file through the media app and attach it: an image set gets one more image,
    any other kind gets the file as its media. The file is checked (content, kind, size)
    before anything is stored; on any refusal nothing stays behind."""
    check_perm(actor, Perm.EDIT_CONTENT, resource.institution)
    resource.refresh_from_db()
    if resource.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("This resource is “%(status)s”; withdraw or unpublish it before editing.")
            % {"status": resource.get_status_display()},
            code="not_editable",
        )
    wanted = MEDIA_KIND[resource.kind]
    with transaction.atomic():
        asset = media_services.create_asset_from_upload(
            actor=actor,
            institution=resource.institution,
            uploaded_file=uploaded_file,
            kinds=[wanted],
        )
        try:
            if resource.kind == ResourceKind.IMAGE_SET:
                current = list(
                    ResourceImage.objects.filter(resource=resource)
                    .order_by("position")
                    .values_list("asset_id", flat=True)
                )
                result = update_resource(
                    actor=actor, resource=resource, images=[*current, asset.pk]
                )
            else:
                result = update_resource(actor=actor, resource=resource, media=asset)
        except BaseException:
            media_storage.delete_quietly(asset.original.name)
            raise
    return result


def submit_resource(*, actor: Any, resource: Resource) -> Resource:
    return review.submit(resource, actor=actor)


def delete_resource(*, actor: Any, resource: Resource) -> None:
    """Delete a draft (never a published resource: unpublish it first)."""
    with transaction.atomic():
        locked = _lock_editable(resource, actor)
        audit.record(
            "resources.resource.deleted", actor=actor, target=locked, before=_snapshot(locked)
        )
        locked.delete()


# --- reads ----------------------------------------------------------------------------


def public_resources() -> QuerySet[Resource]:
    """What the public sees: published resources of active institutions."""
    # Excluding the (few) inactive institutions is a hashed lookup per row; a join with
    # every institution would cost a scan of the institutions in each list and count.
    inactive = Institution.objects.filter(is_active=False).values("pk")
    return review.published(Resource.objects.exclude(institution__in=inactive))


def institution_by_code(code: str) -> Institution:
    """The institution of `code` (a filter or a field of a form or payload); NotFound
    ("unknown_institution", on the field) when there is none."""
    institution = with_code(Institution.objects.all(), (code or "").strip()).first()
    if institution is None:
        message = _("Unknown institution.")
        raise NotFound(message, code="unknown_institution", fields={"institution": [message]})
    return institution


def narrow_staff_list(
    resources: QuerySet[Resource], *, status: str = "", institution: str = ""
) -> QuerySet[Resource]:
    """The filters of the staff lists: a review state, and an institution's code (with its
    subtree). ServiceError on the field for an unknown state or institution."""
    if status:
        if status not in ReviewStatus.values:
            message = _("Choose a valid value.")
            raise ServiceError(message, code="invalid_filter", fields={"status": [message]})
        resources = resources.filter(status=status)
    if institution:
        path = institution_by_code(institution).path
        resources = resources.filter(institution_path__startswith=path)
    return resources


def staff_resources(user: Any, perm: Perm = Perm.WORKBENCH) -> QuerySet[Resource]:
    return scope_queryset(Resource.objects.select_related("institution"), user, perm)


def get_staff_resource(*, actor: Any, pk: Any, perm: Perm = Perm.WORKBENCH) -> Resource:
    key = _as_int(pk)
    resource = staff_resources(actor, perm).filter(pk=key).first() if key is not None else None
    if resource is None:
        raise NotFound(_("No such resource."))
    return resource


def get_public_resource(pk: Any) -> Resource:
    key = _as_int(pk)
    resource = public_resources().filter(pk=key).first() if key is not None else None
    if resource is None:
        raise NotFound(_("No such resource."))
    return resource


def can_preview(user: Any, resource: Resource) -> bool:
    """Staff of the resource's subtree see it before it is published."""
    return has_perm(user, Perm.WORKBENCH, resource.institution)


# --- counters -------------------------------------------------------------------------


def _count_once(key: str, seconds: int) -> bool:
    try:
        return bool(cache.add(key, 1, timeout=seconds))
    except Exception:  # the cache is down: count, rather than fail the page
        logger.warning("resources: cache unavailable for %s", key, exc_info=True)
        return True


def record_view(*, resource_id: int, visitor: str) -> bool:
    """Count a view of a published resource, once per visitor in VIEW_DEDUP_SECONDS: one
    conditional UPDATE with F(). Returns whether it counted."""
    if not _count_once(f"res:view:{resource_id}:{visitor}", VIEW_DEDUP_SECONDS):
        return False
    counted = Resource.objects.filter(pk=resource_id, status=ReviewStatus.PUBLISHED).update(
        view_count=F("view_count") + 1
    )
    if counted and _count_once(f"res:pop:{resource_id}", POPULARITY_SYNC_SECONDS):
        _push_popularity(resource_id)
    return bool(counted)


def _push_popularity(resource_id: int) -> None:
    from culturecloud.search.services import set_popularity

    views = Resource.objects.filter(pk=resource_id).values_list("view_count", flat=True).first()
    try:
        set_popularity(doc_type="resources.resource", object_id=resource_id, popularity=views or 0)
    except Exception:  # the index is derived data; the next reindex catches up
        logger.warning("resources: popularity of %s not pushed", resource_id, exc_info=True)


def record_play(*, resource_id: int, visitor: str) -> bool:
    """Count a play (the player's first start), once per visitor in PLAY_DEDUP_SECONDS."""
    key = _as_int(resource_id)
    if key is None:
        raise NotFound(_("No such resource."))
    if not Resource.objects.filter(pk=key, status=ReviewStatus.PUBLISHED).exists():
        raise NotFound(_("No such resource."))
    if not _count_once(f"res:play:{key}:{visitor}", PLAY_DEDUP_SECONDS):
        return False
    return bool(
        Resource.objects.filter(pk=key, status=ReviewStatus.PUBLISHED).update(
            play_count=F("play_count") + 1
        )
    )


# --- favorites ------------------------------------------------------------------------


def _require_user(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("Please log in first."), code="not_authenticated", status=401)


def add_favorite(*, user: Any, resource: Resource) -> bool:
    """Keep `resource` in the user's favorites; False when it already was there."""
    _require_user(user)
    if resource.status != ReviewStatus.PUBLISHED:
        raise NotFound(_("No such resource."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                Favorite.objects.create(user=user, resource=resource)
        except IntegrityError:
            return False
        Resource.objects.filter(pk=resource.pk).update(favorite_count=F("favorite_count") + 1)
    return True


def remove_favorite(*, user: Any, resource: Resource) -> bool:
    _require_user(user)
    with transaction.atomic():
        deleted, _rows = Favorite.objects.filter(user=user, resource=resource).delete()
        if deleted:
            Resource.objects.filter(pk=resource.pk, favorite_count__gt=0).update(
                favorite_count=F("favorite_count") - 1
            )
    return bool(deleted)


def favorites_of(user: Any) -> QuerySet[Resource]:
    """The user's favorite resources that are public, most recently added first."""
    return public_resources().filter(favorites__user=user).order_by("-favorites__created_at", "-pk")


def is_favorite(user: Any, resource: Resource) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Favorite.objects.filter(user=user, resource=resource).exists()


# --- comments -------------------------------------------------------------------------


def post_comment(*, user: Any, resource: Resource, body: str) -> Comment:
    """A reader's comment, kept as plain text and shown after moderation. Rate-limited."""
    _require_user(user)
    if resource.status != ReviewStatus.PUBLISHED:
        raise NotFound(_("No such resource."))
    text = "\n".join(" ".join(line.split()) for line in plain_text(body or "").splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not text:
        raise ServiceError(_required(), code="required", fields={"body": [_required()]})
    if len(text) > MAX_COMMENT:
        message = _too_long(MAX_COMMENT)
        raise ServiceError(message, code="too_long", fields={"body": [message]})
    message = _("You are commenting too often. Please wait a few minutes.")
    ratelimit.check(f"res-comment:{user.pk}", COMMENT_RATE, message)
    ratelimit.check(f"res-comment-day:{user.pk}", COMMENT_RATE_DAY, message)
    with transaction.atomic():
        comment = Comment.objects.create(user=user, resource=resource, body=text)
        audit.record(
            "resources.comment.posted",
            actor=user,
            target=comment,
            institution=resource.institution,
            after={"resource": resource.pk, "status": comment.status},
        )
    return comment


def comments_to_moderate(user: Any) -> QuerySet[Comment]:
    """Pending comments on resources of the user's REVIEW scope, oldest first."""
    return scope_queryset(
        Comment.objects.filter(status=CommentStatus.PENDING).select_related(
            "user", "resource", "resource__institution"
        ),
        user,
        Perm.REVIEW,
        path_field="resource__institution_path",
    ).order_by("created_at", "pk")


def moderate_comment(*, actor: Any, comment: Comment, decision: str) -> Comment:
    """Approve or reject a comment (REVIEW at the resource's institution). An approved
    comment can still be rejected (taken down)."""
    targets = {"approve": CommentStatus.APPROVED, "reject": CommentStatus.REJECTED}
    if decision not in targets:
        raise ServiceError(_("Unknown decision."), code="unknown_decision")
    target = targets[decision]
    with transaction.atomic():
        locked = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("resource__institution")
            .get(pk=comment.pk)
        )
        check_perm(actor, Perm.REVIEW, locked.resource.institution)
        allowed = {CommentStatus.PENDING} | (
            {CommentStatus.APPROVED} if target == CommentStatus.REJECTED else set()
        )
        if locked.status not in allowed:
            raise Conflict(
                _("This comment is “%(status)s”; that action is not possible now.")
                % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        before = {"status": locked.status}
        locked.status = target
        locked.moderated_by = actor
        locked.moderated_at = timezone.now()
        locked.save(update_fields=["status", "moderated_by", "moderated_at"])
        audit.record(
            f"resources.comment.{'approved' if target == CommentStatus.APPROVED else 'rejected'}",
            actor=actor,
            target=locked,
            institution=locked.resource.institution,
            before=before,
            after={"status": target},
        )
    return locked


def public_comments(resource: Resource) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(resource=resource, status=CommentStatus.APPROVED)
        .select_related("user")
        .order_by("created_at", "pk")
    )


# --- heritage projects and inheritors --------------------------------------------------


MAX_HERITAGE_TEXT = 4_000
MAX_BIO = 1_000


def _region_or_error(errors: _Errors, region: Any) -> Region | None:
    if region in (None, ""):
        return None
    if isinstance(region, Region):
        return region
    try:
        return get_region(str(region))
    except ServiceError as exc:
        errors.add("region", exc.message, "unknown_region")
    return None


def _clean_project(
    *, name: Any, code: Any, ich_category: Any, level: Any, region: Any, description: Any
) -> dict[str, Any]:
    errors = _Errors()
    name = _one_line(name)
    code = _one_line(code)
    ich_category = str(ich_category or "").strip()
    level = str(level or "").strip()
    limit = _max_length(HeritageProject, "name")
    if not name:
        errors.add("name", _required(), "required")
    elif len(name) > limit:
        errors.add("name", _too_long(limit))
    if len(code) > _max_length(HeritageProject, "code"):
        errors.add("code", _too_long(_max_length(HeritageProject, "code")))
    if ich_category not in IchCategory.values:
        errors.add("ich_category", _("Unknown intangible heritage category."), "unknown_category")
    if level not in HeritageLevel.values:
        errors.add("level", _("Unknown level."), "unknown_level")
    region_obj = _region_or_error(errors, region)
    text = plain_text(str(description or "")).strip()
    if len(text) > MAX_HERITAGE_TEXT:
        errors.add("description", _too_long(MAX_HERITAGE_TEXT))
    errors.raise_if_any()
    return {
        "name": name,
        "code": code,
        "ich_category": ich_category,
        "level": level,
        "region": region_obj,
        "description": text,
    }


def _duplicate_code(level: str, code: str, exclude: int | None = None) -> None:
    if not code:
        return
    clash = HeritageProject.objects.filter(level=level, code=code)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        message = _("A project of this level already has this list number.")
        raise Conflict(message, code="duplicate_code", fields={"code": [message]})


def _project_snapshot(project: HeritageProject) -> dict[str, Any]:
    return {
        "name": project.name,
        "code": project.code,
        "level": project.level,
        "ich_category": project.ich_category,
        "region_id": project.region_id,
    }


def create_heritage_project(
    *,
    actor: Any,
    institution: Institution,
    name: str,
    ich_category: str,
    level: str,
    code: str = "",
    region: Any = None,
    description: str = "",
) -> HeritageProject:
    """An intangible-heritage project (非遗项目) kept by `institution` (EDIT_CONTENT)."""
    if not isinstance(institution, Institution):
        message = _("Unknown institution.")
        raise NotFound(message, code="unknown_institution", fields={"institution": [message]})
    check_perm(actor, Perm.EDIT_CONTENT, institution)
    data = _clean_project(
        name=name,
        code=code,
        ich_category=ich_category,
        level=level,
        region=region,
        description=description,
    )
    _duplicate_code(data["level"], data["code"])
    try:
        with transaction.atomic():
            locked = _lock_active_institution(institution)
            project = HeritageProject.objects.create(institution=locked, **data)
            audit.record(
                "resources.heritage_project.created",
                actor=actor,
                target=project,
                institution=locked,
                after=_project_snapshot(project),
            )
    except IntegrityError as exc:
        message = _("A project of this level already has this list number.")
        raise Conflict(message, code="duplicate_code", fields={"code": [message]}) from exc
    return project


def update_heritage_project(
    *,
    actor: Any,
    project: HeritageProject,
    name: str,
    ich_category: str,
    level: str,
    code: str = "",
    region: Any = None,
    description: str = "",
) -> HeritageProject:
    """Change a project (EDIT_CONTENT at its institution); every field is given."""
    check_perm(actor, Perm.EDIT_CONTENT, project.institution)
    data = _clean_project(
        name=name,
        code=code,
        ich_category=ich_category,
        level=level,
        region=region,
        description=description,
    )
    _duplicate_code(data["level"], data["code"], exclude=project.pk)
    try:
        with transaction.atomic():
            locked = (
                HeritageProject.objects.select_for_update(of=("self",))
                .select_related("institution")
                .get(pk=project.pk)
            )
            check_perm(actor, Perm.EDIT_CONTENT, locked.institution)
            before = _project_snapshot(locked)
            for key, value in data.items():
                setattr(locked, key, value)
            locked.save()
            old, new = _changes(before, _project_snapshot(locked))
            audit.record(
                "resources.heritage_project.updated",
                actor=actor,
                target=locked,
                institution=locked.institution,
                before=old,
                after=new,
            )
    except IntegrityError as exc:
        message = _("A project of this level already has this list number.")
        raise Conflict(message, code="duplicate_code", fields={"code": [message]}) from exc
    return locked


def _clean_inheritor(*, name: Any, level: Any, region: Any, bio: Any) -> dict[str, Any]:
    errors = _Errors()
    name = _one_line(name)
    level = str(level or "").strip()
    limit = _max_length(Inheritor, "name")
    if not name:
        errors.add("name", _required(), "required")
    elif len(name) > limit:
        errors.add("name", _too_long(limit))
    if level not in HeritageLevel.values:
        errors.add("level", _("Unknown level."), "unknown_level")
    region_obj = _region_or_error(errors, region)
    text = plain_text(str(bio or "")).strip()
    if len(text) > MAX_BIO:
        errors.add("bio", _too_long(MAX_BIO))
    errors.raise_if_any()
    return {"name": name, "level": level, "region": region_obj, "bio": text}


def create_inheritor(
    *,
    actor: Any,
    project: HeritageProject,
    name: str,
    level: str,
    region: Any = None,
    bio: str = "",
) -> Inheritor:
    """A representative inheritor (传承人) of `project` (EDIT_CONTENT at the project's
    institution). Only public-list data: name, level, region, a short biography."""
    if not isinstance(project, HeritageProject):
        message = _("Unknown heritage project.")
        raise NotFound(message, code="unknown_heritage_project", fields={"project": [message]})
    check_perm(actor, Perm.EDIT_CONTENT, project.institution)
    data = _clean_inheritor(name=name, level=level, region=region, bio=bio)
    with transaction.atomic():
        inheritor = Inheritor.objects.create(project=project, **data)
        audit.record(
            "resources.inheritor.created",
            actor=actor,
            target=inheritor,
            institution=project.institution,
            after={"project": project.pk, "level": inheritor.level},
        )
    return inheritor


def update_inheritor(
    *,
    actor: Any,
    inheritor: Inheritor,
    name: str,
    level: str,
    project: HeritageProject | None = None,
    region: Any = None,
    bio: str = "",
) -> Inheritor:
    """Change an inheritor (EDIT_CONTENT at the project's institution; moving them to
    another project needs EDIT_CONTENT there too). Resources of the old project no longer
    name them."""
    check_perm(actor, Perm.EDIT_CONTENT, inheritor.project.institution)
    target = project if project is not None else inheritor.project
    check_perm(actor, Perm.EDIT_CONTENT, target.institution)
    data = _clean_inheritor(name=name, level=level, region=region, bio=bio)
    with transaction.atomic():
        locked = Inheritor.objects.select_for_update(of=("self",)).get(pk=inheritor.pk)
        before = {"project": locked.project_id, "level": locked.level, "name": locked.name}
        for key, value in data.items():
            setattr(locked, key, value)
        locked.project = target
        locked.save()
        if before["project"] != target.pk:
            Resource.inheritors.through.objects.filter(inheritor_id=locked.pk).delete()
        after = {"project": target.pk, "level": locked.level, "name": locked.name}
        old, new = _changes(before, after)
        audit.record(
            "resources.inheritor.updated",
            actor=actor,
            target=locked,
            institution=target.institution,
            before=old,
            after=new,
        )
    return locked


def staff_heritage_projects(user: Any, perm: Perm = Perm.EDIT_CONTENT) -> QuerySet[HeritageProject]:
    return scope_queryset(
        HeritageProject.objects.select_related("institution", "region"), user, perm
    ).order_by("name", "pk")


def staff_inheritors(user: Any, perm: Perm = Perm.EDIT_CONTENT) -> QuerySet[Inheritor]:
    return scope_queryset(
        Inheritor.objects.select_related("project__institution", "region"),
        user,
        perm,
        path_field="project__institution__path",
    ).order_by("name", "pk")


def public_heritage_projects() -> QuerySet[HeritageProject]:
    """Heritage projects of active institutions (the lists are public records)."""
    return HeritageProject.objects.filter(institution__is_active=True).select_related(
        "institution", "region"
    )


def get_public_heritage_project(pk: Any) -> HeritageProject:
    key = _as_int(pk)
    project = public_heritage_projects().filter(pk=key).first() if key is not None else None
    if project is None:
        raise NotFound(_("No such heritage project."))
    return project


def public_inheritors() -> QuerySet[Inheritor]:
    return Inheritor.objects.filter(project__institution__is_active=True).select_related(
        "project", "region"
    )


# --- collections ----------------------------------------------------------------------


def _clean_collection(
    *, actor: Any, title: Any, description: Any, resource_ids: Iterable[Any] | None
) -> tuple[str, str, list[int] | None]:
    errors = _Errors()
    title = _one_line(title)
    limit = _max_length(Collection, "title")
    if not title:
        errors.add("title", _required(), "required")
    elif len(title) > limit:
        errors.add("title", _too_long(limit))
    raw = str(description or "")
    if len(raw) > MAX_DESCRIPTION:
        errors.add("description", _too_long(MAX_DESCRIPTION))
    ids: list[int] | None = None
    if resource_ids is not None:
        ids = []
        for value in resource_ids:
            pk = _as_int(value)
            if pk is None:
                errors.add("resources", _("Give resources by their numbers."), "invalid")
                break
            if pk not in ids:
                ids.append(pk)
        if len(ids) > MAX_COLLECTION_ITEMS:
            errors.add("resources", _("At most %(n)d resources.") % {"n": MAX_COLLECTION_ITEMS})
        elif ids:
            usable = set(public_resources().filter(pk__in=ids).values_list("pk", flat=True))
            usable |= set(staff_resources(actor).filter(pk__in=ids).values_list("pk", flat=True))
            unknown = [pk for pk in ids if pk not in usable]
            if unknown:
                errors.add(
                    "resources",
                    _("Unknown resource: %(id)s.") % {"id": unknown[0]},
                    "unknown_resource",
                )
    errors.raise_if_any()
    return title, sanitize_description(raw), ids


def _set_items(collection: Collection, ids: list[int]) -> None:
    CollectionItem.objects.filter(collection=collection).delete()
    CollectionItem.objects.bulk_create(
        [
            CollectionItem(collection=collection, resource_id=pk, position=i)
            for i, pk in enumerate(ids)
        ]
    )


def create_collection(
    *,
    actor: Any,
    institution: Institution,
    title: str,
    description: str = "",
    resource_ids: Iterable[Any] = (),
) -> Collection:
    """A draft collection (专题) of `institution` (EDIT_CONTENT)."""
    check_perm(actor, Perm.EDIT_CONTENT, institution)
    title, description, ids = _clean_collection(
        actor=actor, title=title, description=description, resource_ids=list(resource_ids)
    )
    with transaction.atomic():
        locked = _lock_active_institution(institution)
        collection = Collection.objects.create(
            institution=locked, title=title, description=description, created_by=actor
        )
        _set_items(collection, ids or [])
        audit.record(
            "resources.collection.created",
            actor=actor,
            target=collection,
            after={"title": title, "resources": ids or []},
        )
    return collection


def update_collection(
    *,
    actor: Any,
    collection: Collection,
    title: str,
    description: str = "",
    resource_ids: Iterable[Any] | None = None,
) -> Collection:
    """Edit a draft, rejected or unpublished collection; it goes back to draft."""
    check_perm(actor, Perm.EDIT_CONTENT, collection.institution)
    title, description, ids = _clean_collection(
        actor=actor,
        title=title,
        description=description,
        resource_ids=list(resource_ids) if resource_ids is not None else None,
    )
    with transaction.atomic():
        locked = (
            Collection.objects.select_for_update(of=("self",))
            .select_related("institution")
            .get(pk=collection.pk)
        )
        check_perm(actor, Perm.EDIT_CONTENT, locked.institution)
        if locked.status not in EDITABLE_STATUSES:
            raise Conflict(
                _("This collection is “%(status)s”; withdraw or unpublish it before editing.")
                % {"status": locked.get_status_display()},
                code="not_editable",
            )
        before = {"title": locked.title, "status": locked.status}
        locked.title, locked.description = title, description
        locked.status = ReviewStatus.DRAFT
        locked.save(update_fields=["title", "description", "status", "updated_at"])
        if ids is not None:
            _set_items(locked, ids)
        audit.record(
            "resources.collection.updated",
            actor=actor,
            target=locked,
            before=before,
            after={
                "title": title,
                "status": locked.status,
                **({"resources": ids} if ids is not None else {}),
            },
        )
    return locked


def public_collections() -> QuerySet[Collection]:
    return review.published(Collection.objects.filter(institution__is_active=True)).order_by(
        "-published_at", "-pk"
    )


def collection_resources(collection: Collection) -> QuerySet[Resource]:
    """The public resources of a collection, in the curator's order."""
    return (
        public_resources()
        .filter(collection_items__collection=collection)
        .order_by("collection_items__position")
    )


# --- media signals --------------------------------------------------------------------


def media_changed(asset: MediaAsset) -> int:
    """A media file finished processing (ready or failed): the resources that show it
    change (their page, their search entry). Returns how many were touched."""
    from culturecloud.search.services import schedule_sync

    ids = set(Resource.objects.filter(media=asset).values_list("pk", flat=True))
    ids |= set(ResourceImage.objects.filter(asset=asset).values_list("resource_id", flat=True))
    if not ids:
        return 0
    Resource.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    for resource in Resource.objects.filter(pk__in=ids, status=ReviewStatus.PUBLISHED):
        schedule_sync(resource)
    return len(ids)
