"""Every write to the institution network: create, update, move, merge, memberships, articles.

Tree locking protocol (PostgreSQL; SQLite serializes writers anyway):

* A tree write that depends on the path of node N holds a row lock on every ancestor of N
  and N itself. A write that rewrites the paths of X's subtree also locks that subtree.
* All of a write's locks are taken in one statement ordered by primary key
  (`_lock_tree_rows`), so two tree writes never wait on each other in a circle.
* Paths are read before locking, so the locked rows are re-checked: when a path moved in
  between, the transaction is rolled back and tried again (`_run_tree_write`).

Hence a move of X, which locks X, cannot run beside anything that reads or writes a path
inside X's subtree, and the cycle check ("is the new parent inside the subtree?") is made
on paths that cannot change before commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import nh3
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, models, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from culturecloud.core import audit, pagecache, ratelimit, review
from culturecloud.core.errors import Conflict, NotFound, ServiceError
from culturecloud.core.models import ReviewStatus

from .images import reencode_image
from .models import Article, Institution, InstitutionKind, Membership, Region, Role
from .permissions import Perm, check_perm, forget
from .regions import get_region

T = TypeVar("T")
K = InstitutionKind

# --- Kinds ------------------------------------------------------------------

# The administrative chain, top down. A child sits strictly lower (levels may be skipped:
# a county-level city directly under a province, 省直辖县).
KIND_RANK: dict[str, int] = {
    K.NATIONAL: 0,
    K.PROVINCIAL: 1,
    K.MUNICIPAL: 2,
    K.COUNTY: 3,
    K.TOWNSHIP: 4,
    K.VILLAGE: 5,
}
# Libraries and museums join the network under any institution; only their own kinds
# (branches) hang below them.
VENUE_KINDS = frozenset({K.LIBRARY, K.MUSEUM})
# Grassroots units get a free mini-site.
GRASSROOTS_KINDS = frozenset({K.TOWNSHIP, K.VILLAGE})

# Rates (limit, window seconds) in the shared cache, per member of staff:
# - looking a person up by mobile number tells whether the number has an account, so the
#   member form must not serve as a directory of registered numbers;
# - a logo upload is decoded and re-encoded.
MEMBER_LOOKUP_RATE: tuple[int, int] = getattr(settings, "MEMBER_LOOKUP_RATE", (30, 3600))
LOGO_UPLOAD_RATE: tuple[int, int] = getattr(settings, "LOGO_UPLOAD_RATE", (30, 3600))


def kind_allowed_under(child_kind: str, parent_kind: str) -> bool:
    if child_kind == K.NATIONAL:
        return False
    if child_kind in VENUE_KINDS:
        return True
    if parent_kind in VENUE_KINDS:
        return False
    return KIND_RANK[child_kind] > KIND_RANK[parent_kind]


def _check_kind_under(child_kind: str, parent: Institution, field: str = "kind") -> None:
    if not kind_allowed_under(child_kind, parent.kind):
        message = _("A %(child)s cannot be placed under a %(parent)s.") % {
            "child": K(child_kind).label,
            "parent": K(parent.kind).label,
        }
        raise ServiceError(message, code="kind_order", fields={field: [message]})


# --- Locking ------------------------------------------------------------------


class _StaleRead(Exception):
    """A path changed between reading and locking: roll back and try again."""


MAX_TREE_WRITE_ATTEMPTS = 5


def _is_lock_conflict(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in {"40P01", "40001"}


def _run_tree_write(fn: Callable[[], T]) -> T:
    """Run `fn` in its own durable transaction, retrying on a stale read or a deadlock.

    Tree writes move rows with UPDATE statements, which send no post_save: the shared cache
    of public answers is told here, once the transaction commits."""
    for attempt in range(MAX_TREE_WRITE_ATTEMPTS):
        try:
            with transaction.atomic(durable=True):
                result = fn()
                pagecache.content_changed()
                return result
        except _StaleRead:
            continue
        except OperationalError as exc:
            if _is_lock_conflict(exc) and attempt + 1 < MAX_TREE_WRITE_ATTEMPTS:
                continue
            if _is_lock_conflict(exc):
                break
            raise
    raise Conflict(
        _("The institution tree is being changed by someone else. Please try again."),
        code="tree_busy",
    )


def _lock_tree_rows(
    *, nodes: Iterable[Institution], subtrees: Iterable[Institution] = ()
) -> dict[int, Institution]:
    """Lock every ancestor-or-self of `nodes` and every row of `subtrees`, in pk order.

    Returns the locked rows (fresh) by pk; raises _StaleRead when one of `nodes` is no
    longer at the path it was read at. Call inside `_run_tree_write`.
    """
    nodes = list(nodes)
    ids: set[int] = set()
    for node in nodes:
        ids.update(node.ancestor_ids())
    condition = Q(pk__in=ids)
    for root in subtrees:
        condition |= Q(path__startswith=root.path)
    locked = {
        row.pk: row
        for row in Institution.objects.select_for_update(no_key=True)
        .filter(condition)
        .order_by("pk")
    }
    for node in nodes:
        fresh = locked.get(node.pk)
        if fresh is None or fresh.path != node.path:
            raise _StaleRead
    return locked


def _lock_ancestors_in_place(node: Institution) -> Institution:
    """Lock `node` and its ancestors inside the caller's transaction; return `node` fresh."""
    for _attempt in range(MAX_TREE_WRITE_ATTEMPTS):
        try:
            return _lock_tree_rows(nodes=[node])[node.pk]
        except _StaleRead:
            node = Institution.objects.get(pk=node.pk)
    raise Conflict(
        _("The institution tree is being changed by someone else. Please try again."),
        code="tree_busy",
    )


def _path_copy_models() -> list[type[models.Model]]:
    """Models that keep a copy of an institution path (`institution_path`) for scoped reads."""
    result = []
    for model in apps.get_models():
        try:
            field = model._meta.get_field("institution_path")
        except Exception:  # noqa: S112 - FieldDoesNotExist
            continue
        if getattr(field, "concrete", False):
            result.append(model)
    return result


def _replace_prefix(field: str, old: str, new: str) -> Concat:
    return Concat(Value(new), Substr(field, len(old) + 1), output_field=models.CharField())


PATH_MAX_LENGTH = Institution._meta.get_field("path").max_length or 255


def _rewrite_paths(
    *, old_prefix: str, new_prefix: str, depth_delta: int, exclude_pk: int | None = None
) -> int:
    """Rewrite the paths under `old_prefix` to `new_prefix` in one UPDATE (plus the copies).

    The caller holds the lock on the subtree's root.
    """
    rows = Institution.objects.filter(path__startswith=old_prefix)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    longest = rows.aggregate(m=Max(Length("path")))["m"] or 0
    if longest and longest - len(old_prefix) + len(new_prefix) > PATH_MAX_LENGTH:
        raise ServiceError(
            _("The tree would become too deep here."),
            code="tree_too_deep",
            fields={"new_parent": [_("The tree would become too deep here.")]},
        )
    count = rows.update(
        path=_replace_prefix("path", old_prefix, new_prefix), depth=F("depth") + depth_delta
    )
    for model in _path_copy_models():
        model._base_manager.filter(institution_path__startswith=old_prefix).update(
            institution_path=_replace_prefix("institution_path", old_prefix, new_prefix)
        )
    return count


# --- Validation -------------------------------------------------------------------

CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Path segments of the public pages and the API that an institution code must not shadow.
RESERVED_CODES = frozenset(
    {"tree", "regions", "by-region", "articles", "members", "search", "new", "staff", "children"}
)
PHONE_RE = re.compile(r"^[0-9+()\- ]{3,32}$")
POSTCODE_RE = re.compile(r"^\d{6}$")
PROFILE_FIELDS = (
    "name",
    "short_name",
    "region",
    "address",
    "postcode",
    "phone",
    "email",
    "contact_name",
    "website",
    "description",
    "opening_hours",
)
MAX_DESCRIPTION = 10_000


def _field_error(field: str, message: str, code: str = "invalid") -> ServiceError:
    return ServiceError(message, code=code, fields={field: [message]})


def validate_code(code: str) -> str:
    code = (code or "").strip().lower()
    if not code:
        raise _field_error("code", _("This field is required."), "required")
    if len(code) > 64 or not CODE_RE.match(code):
        raise _field_error(
            "code",
            _("Use at most 64 lowercase letters, digits and single hyphens, e.g. “gd-gz-ch”."),
            "invalid_code",
        )
    if code in RESERVED_CODES:
        raise _field_error(
            "code", _("This code is reserved. Please choose another."), "invalid_code"
        )
    return code


def _clean_profile(instance: Institution, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate profile fields; returns the cleaned values or raises one ServiceError."""
    unknown = sorted(set(fields) - set(PROFILE_FIELDS) - {"region_code"})
    if unknown:
        message = _("These fields cannot be changed here: %(fields)s.") % {
            "fields": ", ".join(unknown)
        }
        raise ServiceError(message, code="unknown_field", fields={f: [message] for f in unknown})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name in ("region", "region_code"):
            if value is None or value == "":
                cleaned["region"] = None
            elif isinstance(value, Region):
                cleaned["region"] = value
            else:
                cleaned["region"] = get_region(str(value))  # unknown_region
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(name, []).append(_("Enter text."))
            continue
        value = value.strip()
        field = Institution._meta.get_field(name)
        assert isinstance(field, models.Field)
        try:
            value = field.clean(value, instance)  # max_length, email, URL, blank
        except ValidationError as exc:
            errors.setdefault(name, []).extend(str(m) for m in exc.messages)
            continue
        if name == "postcode" and value and not POSTCODE_RE.match(value):
            errors.setdefault(name, []).append(_("A postcode has six digits."))
        elif name == "phone" and value and not PHONE_RE.match(value):
            errors.setdefault(name, []).append(_("Enter a valid telephone number."))
        elif name == "description" and len(value) > MAX_DESCRIPTION:
            errors.setdefault(name, []).append(
                _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}
            )
        cleaned[name] = value
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="validation_error", fields=errors)
    return cleaned


def _snapshot(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in names:
        field = instance._meta.get_field(name)
        assert isinstance(field, models.Field)
        value = getattr(instance, field.attname)
        result[name] = value if isinstance(value, str | int | bool | None) else str(value)
    return result


# --- Institutions -------------------------------------------------------------


def create_institution(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Institution | None,
    region: Region | None = None,
    actor: Any = None,
    **profile: Any,
) -> Institution:
    """Create an institution under `parent` (None only for the national centre).

    System use (seed data, fixtures): no permission check. Staff go through
    `create_child_institution`. Locks the parent and its ancestors, so a concurrent move
    cannot leave the new row with a stale path.
    """
    with transaction.atomic():
        if parent is not None:
            parent = _lock_ancestors_in_place(parent)
        institution = Institution.objects.create(
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            region=region,
            path=f"tmp:{code}",
            depth=0 if parent is None else parent.depth + 1,
            **profile,
        )
        prefix = parent.path if parent is not None else "/"
        institution.path = f"{prefix}{institution.pk}/"
        institution.save(update_fields=["path"])
        audit.record(
            "institutions.institution.created",
            actor=actor,
            target=institution,
            after={
                "code": code,
                "name": name,
                "kind": kind,
                "parent": parent.pk if parent else None,
                "region": region.pk if region else None,
            },
        )
    return institution


def create_child_institution(
    *,
    actor: Any,
    parent: Institution,
    code: str,
    name: str,
    kind: str,
    region_code: str | None,
    **profile: Any,
) -> Institution:
    """A staff member with EDIT_INSTITUTION at `parent` adds a child institution."""
    check_perm(actor, Perm.EDIT_INSTITUTION, parent)
    if not parent.is_active:
        raise _field_error("parent", _("This institution has been merged or closed."), "inactive")
    code = validate_code(code)
    if kind not in K.values:
        raise _field_error("kind", _("Choose a valid kind of institution."), "invalid_kind")
    _check_kind_under(kind, parent)
    draft = Institution(code=code, kind=kind, parent=parent)
    cleaned = _clean_profile(draft, {**profile, "name": name, "region_code": region_code})
    if not cleaned.get("name"):
        raise _field_error("name", _("This field is required."), "required")
    if cleaned.get("region") is None:
        raise _field_error("region", _("Please choose the administrative region."), "required")
    if Institution.objects.filter(code=code).exists():
        raise Conflict(
            _("The code “%(code)s” is already taken.") % {"code": code},
            code="code_taken",
            fields={"code": [_("This code is already taken.")]},
        )
    try:
        with transaction.atomic():
            return create_institution(
                code=code,
                kind=kind,
                parent=parent,
                actor=actor,
                **cleaned,
            )
    except IntegrityError:
        raise Conflict(
            _("The code “%(code)s” is already taken.") % {"code": code},
            code="code_taken",
            fields={"code": [_("This code is already taken.")]},
        ) from None


def update_institution(*, actor: Any, institution: Institution, **fields: Any) -> Institution:
    """Change profile fields (name, region, address, contacts, description, hours)."""
    check_perm(actor, Perm.EDIT_INSTITUTION, institution)
    cleaned = _clean_profile(institution, fields)
    if "name" in cleaned and not cleaned["name"]:
        raise _field_error("name", _("This field is required."), "required")
    with transaction.atomic():
        locked = Institution.objects.select_for_update().get(pk=institution.pk)
        check_perm(actor, Perm.EDIT_INSTITUTION, locked)
        before = _snapshot(locked, cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        after = _snapshot(locked, cleaned)
        changed = [name for name in cleaned if before[name] != after[name]]
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit.record(
                "institutions.institution.updated",
                actor=actor,
                target=locked,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return locked


def find_person_by_phone(*, actor: Any, phone: str) -> Any:
    """The account of the mobile number `phone` (None if there is none), for adding a
    member; ServiceError invalid_phone for a malformed number. Rate limited per actor
    (MEMBER_LOOKUP_RATE): the answer tells whether a number is registered."""
    from culturecloud.accounts.services import find_user_by_phone

    ratelimit.check(
        f"member-lookup:{actor.pk}",
        MEMBER_LOOKUP_RATE,
        _("You have looked up many mobile numbers. Please try again later."),
    )
    return find_user_by_phone(phone)


def set_institution_logo(*, actor: Any, institution: Institution, upload: Any) -> Institution:
    """Replace the logo with `upload` (checked by content, re-encoded); None removes it."""
    check_perm(actor, Perm.EDIT_INSTITUTION, institution)
    if upload is not None:
        ratelimit.check(
            f"logo:{actor.pk}",
            LOGO_UPLOAD_RATE,
            _("You have uploaded many logos. Please try again later."),
        )
    content = reencode_image(upload, field="logo") if upload is not None else None
    with transaction.atomic():
        locked = Institution.objects.select_for_update().get(pk=institution.pk)
        old_name = locked.logo.name if locked.logo else ""
        if content is not None:
            locked.logo.save(f"{locked.code}-{content.name}", content, save=False)
        else:
            locked.logo = ""  # type: ignore[assignment]
        locked.save(update_fields=["logo", "updated_at"])
        new_name = locked.logo.name if locked.logo else ""
        audit.record(
            "institutions.institution.logo_changed",
            actor=actor,
            target=locked,
            before={"logo": old_name},
            after={"logo": new_name},
        )
        if old_name:
            storage = locked.logo.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return locked


def move_institution(
    *, actor: Any, institution: Institution, new_parent: Institution
) -> Institution:
    """Hang `institution` (with its whole subtree) under `new_parent`.

    Needs EDIT_INSTITUTION at the current parent and at the new parent. Refuses a cycle
    (the new parent inside the subtree, or the institution itself). One UPDATE rewrites
    path and depth of the subtree, under the locks of `_lock_tree_rows`.
    """

    def attempt() -> Institution:
        inst = Institution.objects.get(pk=institution.pk)
        target = Institution.objects.get(pk=new_parent.pk)
        locked = _lock_tree_rows(nodes=[inst, target], subtrees=[inst])
        inst, target = locked[inst.pk], locked[target.pk]
        if inst.parent_id is None:
            raise _field_error(
                "institution", _("The national centre cannot be moved."), "cannot_move_root"
            )
        old_parent = locked[inst.parent_id]
        check_perm(actor, Perm.EDIT_INSTITUTION, old_parent)
        check_perm(actor, Perm.EDIT_INSTITUTION, target)
        if target.pk == inst.pk or target.path.startswith(inst.path):
            raise _field_error(
                "new_parent",
                _("An institution cannot be moved under itself or its own sub-institutions."),
                "tree_cycle",
            )
        if not target.is_active:
            raise _field_error(
                "new_parent", _("This institution has been merged or closed."), "inactive"
            )
        if target.pk == old_parent.pk:
            return inst
        _check_kind_under(inst.kind, target, field="new_parent")
        old_path = inst.path
        new_path = f"{target.path}{inst.pk}/"
        moved = _rewrite_paths(
            old_prefix=old_path, new_prefix=new_path, depth_delta=target.depth + 1 - inst.depth
        )
        Institution.objects.filter(pk=inst.pk).update(parent=target)
        inst.refresh_from_db()
        audit.record(
            "institutions.institution.moved",
            actor=actor,
            target=inst,
            before={"parent": old_parent.code, "path": old_path},
            after={"parent": target.code, "path": inst.path, "subtree_size": moved},
        )
        return inst

    result = _run_tree_write(attempt)
    forget(actor)
    return result


def merge_institutions(*, actor: Any, source: Institution, target: Institution) -> Institution:
    """Fold `source` into `target`: its children, members, articles and every other record
    that points at it move to `target`; `source` stays as an inactive row with
    `merged_into = target` (old links keep resolving). Needs EDIT_INSTITUTION at the
    source's parent and at the target.
    """

    def attempt() -> Institution:
        src = Institution.objects.get(pk=source.pk)
        tgt = Institution.objects.get(pk=target.pk)
        if src.pk == tgt.pk:
            raise _field_error(
                "target", _("An institution cannot be merged into itself."), "tree_cycle"
            )
        locked = _lock_tree_rows(nodes=[src, tgt], subtrees=[src])
        src, tgt = locked[src.pk], locked[tgt.pk]
        if src.parent_id is None:
            raise _field_error(
                "source", _("The national centre cannot be merged."), "cannot_move_root"
            )
        check_perm(actor, Perm.EDIT_INSTITUTION, locked[src.parent_id])
        check_perm(actor, Perm.EDIT_INSTITUTION, tgt)
        if not src.is_active:
            raise Conflict(_("This institution has already been merged."), code="already_merged")
        if not tgt.is_active:
            raise _field_error(
                "target", _("This institution has been merged or closed."), "inactive"
            )
        if tgt.path.startswith(src.path):
            raise _field_error(
                "target",
                _("An institution cannot be merged into one of its own sub-institutions."),
                "tree_cycle",
            )
        for child in (row for row in locked.values() if row.parent_id == src.pk):
            _check_kind_under(child.kind, tgt, field="target")

        children = _rewrite_paths(
            old_prefix=src.path,
            new_prefix=tgt.path,
            depth_delta=tgt.depth - src.depth,
            exclude_pk=src.pk,
        )
        Institution.objects.filter(parent=src).update(parent=tgt)

        duplicate = Membership.objects.filter(
            institution=tgt, user=OuterRef("user"), role=OuterRef("role")
        )
        Membership.objects.filter(institution=src).filter(Exists(duplicate)).delete()
        members = Membership.objects.filter(institution=src).update(institution=tgt)

        moved: dict[str, int] = {}
        try:
            with transaction.atomic():
                for relation in _institution_relations():
                    model = relation.related_model
                    count = model._base_manager.filter(**{relation.field.name: src}).update(
                        **{relation.field.name: tgt}
                    )
                    if count:
                        moved[model._meta.label_lower] = count
        except IntegrityError:
            raise Conflict(
                _("Some records of the two institutions clash; they cannot be merged."),
                code="merge_conflict",
            ) from None

        Institution.objects.filter(pk=src.pk).update(is_active=False, merged_into=tgt)
        tgt.refresh_from_db()
        audit.record(
            "institutions.institution.merged",
            actor=actor,
            target=tgt,
            before={"source": src.code, "source_path": src.path},
            after={"target": tgt.code, "descendants": children, "members": members, **moved},
        )
        return tgt

    result = _run_tree_write(attempt)
    forget(actor)
    return result


def _institution_relations() -> list[Any]:
    """Every many-to-one relation pointing at Institution, except the tree's own and
    memberships (merged separately)."""
    result = []
    for rel in Institution._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.one_to_many):
            continue
        if rel.related_model in (Institution, Membership):
            continue
        result.append(rel)
    return result


# --- Members ------------------------------------------------------------------


def _lock_active(institution: Institution) -> Institution:
    """Lock the institution's row (a merge or move of it waits, and vice versa) and
    re-check that it is still active. Call inside a transaction."""
    locked = Institution.objects.select_for_update(no_key=True).get(pk=institution.pk)
    if not locked.is_active:
        raise _field_error(
            "institution", _("This institution has been merged or closed."), "inactive"
        )
    return locked


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise _field_error("role", _("Choose a valid role."), "invalid_role")


def add_member(*, actor: Any, institution: Institution, user: Any, role: str) -> Membership:
    """Give `user` the `role` at `institution` (and so over its subtree)."""
    check_perm(actor, Perm.MANAGE_MEMBERS, institution)
    _check_role(role)
    if not institution.is_active:
        raise _field_error(
            "institution", _("This institution has been merged or closed."), "inactive"
        )
    if user is None or not user.is_active or getattr(user, "erased_at", None):
        raise _field_error("user", _("This account cannot be added."), "inactive_user")
    try:
        with transaction.atomic():
            institution = _lock_active(institution)
            if Membership.objects.filter(user=user, institution=institution, role=role).exists():
                raise IntegrityError
            membership = Membership.objects.create(
                user=user, institution=institution, role=role, granted_by=actor
            )
            audit.record(
                "institutions.member.added",
                actor=actor,
                target=membership,
                target_label=f"{user.get_short_name()} ({Role(role).label})",
                after={"user": user.pk, "role": role},
            )
    except IntegrityError:
        raise Conflict(
            _("This person already has this role here."), code="already_member"
        ) from None
    forget(user)
    return membership


def change_member_role(*, actor: Any, membership: Membership, role: str) -> Membership:
    check_perm(actor, Perm.MANAGE_MEMBERS, membership.institution)
    _check_role(role)
    try:
        with transaction.atomic():
            locked = (
                Membership.objects.select_for_update()
                .select_related("user", "institution")
                .get(pk=membership.pk)
            )
            check_perm(actor, Perm.MANAGE_MEMBERS, locked.institution)
            before = locked.role
            if before == role:
                return locked
            locked.role = role
            locked.save(update_fields=["role"])
            audit.record(
                "institutions.member.role_changed",
                actor=actor,
                target=locked,
                target_label=locked.user.get_short_name(),
                before={"role": before},
                after={"role": role},
            )
    except IntegrityError:
        raise Conflict(
            _("This person already has this role here."), code="already_member"
        ) from None
    forget(locked.user)
    return locked


def remove_member(*, actor: Any, membership: Membership) -> None:
    check_perm(actor, Perm.MANAGE_MEMBERS, membership.institution)
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("user", "institution")
            .filter(pk=membership.pk)
            .first()
        )
        if locked is None:
            raise NotFound()
        check_perm(actor, Perm.MANAGE_MEMBERS, locked.institution)
        audit.record(
            "institutions.member.removed",
            actor=actor,
            target=locked,
            target_label=locked.user.get_short_name(),
            before={"user": locked.user_id, "role": locked.role},
        )
        locked.delete()
    forget(locked.user)


# --- Articles -------------------------------------------------------------------

ARTICLE_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li",
    "a", "h2", "h3", "h4", "blockquote", "hr",
}  # fmt: skip
ARTICLE_ATTRIBUTES = {"a": {"href", "title"}}
MAX_ARTICLE_BODY = 100_000
EDITABLE_STATUSES = frozenset({ReviewStatus.DRAFT, ReviewStatus.REJECTED, ReviewStatus.UNPUBLISHED})


def sanitize_html(body: str) -> str:
    """Keep a small allow-list of tags; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        body,
        tags=ARTICLE_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def _clean_article(title: str, summary: str, body: str) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    summary = (summary or "").strip()
    body = body or ""
    max_title = Article._meta.get_field("title").max_length or 200
    max_summary = Article._meta.get_field("summary").max_length or 300
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > max_title:
        errors["title"] = [_("At most %(n)d characters.") % {"n": max_title}]
    if len(summary) > max_summary:
        errors["summary"] = [_("At most %(n)d characters.") % {"n": max_summary}]
    if len(body) > MAX_ARTICLE_BODY:
        errors["body"] = [_("At most %(n)d characters.") % {"n": MAX_ARTICLE_BODY}]
    else:
        body = sanitize_html(body)
        if not nh3.clean(body, tags=set()).strip():
            errors["body"] = [_("This field is required.")]
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="validation_error", fields=errors)
    return title, summary, body


def create_article(
    *, actor: Any, institution: Institution, title: str, summary: str, body: str
) -> Article:
    """A draft article on the institution's mini-site (EDIT_CONTENT)."""
    check_perm(actor, Perm.EDIT_CONTENT, institution)
    if not institution.is_active:
        raise _field_error(
            "institution", _("This institution has been merged or closed."), "inactive"
        )
    title, summary, body = _clean_article(title, summary, body)
    with transaction.atomic():
        institution = _lock_active(institution)
        article = Article.objects.create(
            institution=institution, title=title, summary=summary, body=body, created_by=actor
        )
        audit.record(
            "institutions.article.created",
            actor=actor,
            target=article,
            after={"title": title, "status": article.status},
        )
    return article


def update_article(*, actor: Any, article: Article, title: str, summary: str, body: str) -> Article:
    """Edit a draft, rejected or unpublished article; it goes back to draft."""
    check_perm(actor, Perm.EDIT_CONTENT, article.institution)
    title, summary, body = _clean_article(title, summary, body)
    with transaction.atomic():
        locked = (
            Article.objects.select_for_update().select_related("institution").get(pk=article.pk)
        )
        check_perm(actor, Perm.EDIT_CONTENT, locked.institution)
        if locked.status not in EDITABLE_STATUSES:
            raise Conflict(
                _("This article is “%(status)s”; withdraw or unpublish it before editing.")
                % {"status": locked.get_status_display()},
                code="not_editable",
            )
        before = {"title": locked.title, "status": locked.status}
        locked.title, locked.summary, locked.body = title, summary, body
        locked.status = ReviewStatus.DRAFT
        locked.save(update_fields=["title", "summary", "body", "status", "updated_at"])
        audit.record(
            "institutions.article.updated",
            actor=actor,
            target=locked,
            before=before,
            after={"title": title, "status": locked.status},
        )
    return locked


def submit_article(*, actor: Any, article: Article) -> Article:
    return review.submit(article, actor=actor)


# --- Public reads ---------------------------------------------------------------


def with_code(
    institutions: models.QuerySet[Institution], code: str
) -> models.QuerySet[Institution]:
    """`institutions` narrowed to the one of `code`, a code from a request (at most 64
    characters are looked at). A NUL character matches nothing: no code holds one, and
    PostgreSQL refuses it in a query (a 500 on every lookup by a code from outside)."""
    if "\x00" in code:
        return institutions.none()
    return institutions.filter(code=code[:64])


def public_institutions() -> models.QuerySet[Institution]:
    return Institution.objects.filter(is_active=True)


def public_articles(institution: Institution | None = None) -> models.QuerySet[Article]:
    qs = review.published(Article.objects.filter(institution__is_active=True))
    if institution is not None:
        qs = qs.filter(institution=institution)
    return qs.order_by("-published_at", "-pk")


__all__ = [
    "InstitutionKind",
    "add_member",
    "change_member_role",
    "create_article",
    "create_child_institution",
    "create_institution",
    "merge_institutions",
    "move_institution",
    "public_articles",
    "public_institutions",
    "remove_member",
    "set_institution_logo",
    "submit_article",
    "update_article",
    "update_institution",
]
