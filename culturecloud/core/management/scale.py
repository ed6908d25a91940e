"""Bulk data for benchmarks: thousands of institutions and up to millions of users.

Rows are built in memory and written in batches: primary keys are reserved first (from
the sequence on PostgreSQL, after MAX(id) inside the write transaction on SQLite), so
materialized paths ("/1/42/4711/") are computed before anything is written and every
batch is one COPY (PostgreSQL) or one bulk_create (SQLite). Nothing here goes through
the per-row services: that is the point, and why it is for benchmark databases only.
Users get unusable passwords and their phone numbers in the same encrypted / keyed-hash
/ masked form that `accounts` writes, so log-in by number finds them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from culturecloud.accounts.models import AccountKind, User
from culturecloud.core import audit
from culturecloud.institutions.models import Institution, InstitutionKind, Membership, Role

from .phone import phone_columns

K = InstitutionKind

# Levels under the national centre and how many children each node gets at most; the
# last level takes whatever is left, so any N fits.
LEVELS: list[tuple[str, int, str]] = [
    (K.PROVINCIAL, 34, "省级文化馆"),
    (K.MUNICIPAL, 12, "市级文化馆"),
    (K.COUNTY, 10, "县级文化馆"),
    (K.TOWNSHIP, 12, "乡镇综合文化站"),
    (K.VILLAGE, 0, "村综合性文化服务中心"),
]
ROLES = [Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.OPERATOR]
USERNAME_PREFIX = "scale"
PHONE_PREFIX = "199"  # 199 + 8 digits: room for 100 million synthetic numbers

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰志强春梅海燕小红晓东"

Progress = Callable[[str], None]


@dataclass
class ScaleResult:
    institutions: int = 0
    users: int = 0
    memberships: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    national: Institution | None = None


def _national() -> Institution:
    from culturecloud.institutions.services import create_institution

    national = (
        Institution.objects.filter(kind=K.NATIONAL, parent__isnull=True).order_by("pk").first()
    )
    if national is None:
        national = create_institution(
            code="cn", name="全国公共文化发展中心", kind=K.NATIONAL, parent=None
        )
    return national


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`. On SQLite, call inside the write transaction."""
    if count <= 0:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite (the write lock is held: IMMEDIATE transactions): after the highest key
        # ever handed out, which AUTOINCREMENT keeps in sqlite_sequence.
        column = connection.ops.quote_name(pk_column)
        cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")  # noqa: S608
        highest = int(cursor.fetchone()[0])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
        row = cursor.fetchone()
        start = max(highest, int(row[0]) if row else 0) + 1
        return list(range(start, start + count))


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Write fully built rows (primary keys set): COPY on PostgreSQL, bulk_create elsewhere."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=500)  # type: ignore[attr-defined]
        return
    fields = list(model._meta.concrete_fields)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    plain = [_passes_through(f) for f in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [
                    getattr(obj, f.attname)
                    if is_plain
                    else f.get_db_prep_save(f.pre_save(obj, True), connection)
                    for f, is_plain in zip(fields, plain, strict=True)
                ]
            )


# Field types whose Python value psycopg takes as it is (the generic path costs more than
# the COPY itself). Exact types only: a subclass may convert, so it takes the generic path.
_PLAIN_FIELDS: tuple[type[models.Field], ...] = (
    models.AutoField,
    models.BigAutoField,
    models.CharField,
    models.SlugField,
    models.EmailField,
    models.URLField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.ForeignKey,
)


def _passes_through(f: models.Field) -> bool:
    if type(f) is models.DateTimeField:
        return not (f.auto_now or f.auto_now_add)  # type: ignore[attr-defined]
    return type(f) in _PLAIN_FIELDS


def plan_tree(
    *, root: Institution, count: int, ids: Sequence[int], tag: str, now: Any
) -> list[Institution]:
    """Unsaved institutions under `root`, level by level, children spread round-robin."""
    assert len(ids) == count
    planned: list[Institution] = []
    parents: list[Institution] = [root]
    remaining = count
    for level, (kind, fanout, label) in enumerate(LEVELS):
        if remaining <= 0:
            break
        last = level == len(LEVELS) - 1
        take = remaining if last else min(remaining, len(parents) * fanout)
        children: list[Institution] = []
        for j in range(take):
            parent = parents[j % len(parents)]
            pk = ids[len(planned)]
            number = len(planned) + 1
            children.append(
                Institution(
                    id=pk,
                    code=f"{tag}-{number}",
                    name=f"压测{label}{number:06d}",
                    kind=kind,
                    parent_id=parent.pk,
                    path=f"{parent.path}{pk}/",
                    depth=parent.depth + 1,
                    created_at=now,
                )
            )
            planned.append(children[-1])
        remaining -= take
        parents = children
    return planned


def _next_user_number() -> int:
    last = (
        User.objects.filter(username__regex=rf"^{USERNAME_PREFIX}[0-9]{{8}}$")
        .order_by("-username")
        .values_list("username", flat=True)
        .first()
    )
    return int(last[len(USERNAME_PREFIX) :]) + 1 if last else 1


def _nickname(number: int) -> str:
    mixed = number * 2654435761 % 2**32  # Knuth's multiplicative hash: neighbours differ
    return (
        _SURNAMES[number % len(_SURNAMES)]
        + _GIVEN[mixed % len(_GIVEN)]
        + _GIVEN[(mixed >> 8) % len(_GIVEN)]
    )


def build_users(
    *, numbers: Iterable[int], ids: Sequence[int], staff: set[int], now: Any
) -> list[User]:
    users = []
    for pk, number in zip(ids, numbers, strict=True):
        phone = f"{PHONE_PREFIX}{number:08d}"
        digest, encrypted, masked = phone_columns(phone)
        users.append(
            User(
                id=pk,
                username=f"{USERNAME_PREFIX}{number:08d}",
                # "!" marks an unusable password, as set_unusable_password() does.
                password="!" + secrets.token_urlsafe(30),
                phone_digest=digest,
                phone_encrypted=encrypted,
                phone_masked=masked,
                kind=AccountKind.STAFF if number in staff else AccountKind.CITIZEN,
                nickname=_nickname(number),
                date_joined=now,
            )
        )
    return users


def seed_scale(
    *, institutions: int, users: int, batch: int = 5000, progress: Progress | None = None
) -> ScaleResult:
    """Create `institutions` institutions and `users` users (one membership per institution
    while users last, roles in turn) under the national centre."""
    if institutions < 0 or users < 0 or batch < 1:
        raise ValueError("counts must be >= 0 and batch >= 1")
    say = progress or (lambda message: None)
    result = ScaleResult()
    now = timezone.now()
    started = time.perf_counter()

    # 1. The tree: one transaction, so paths and parents are never half-written.
    with transaction.atomic():
        national = _national()
        result.national = national
        tag = f"s{int(time.time()):x}{secrets.token_hex(2)}"
        ids = reserve_ids(Institution, institutions)
        planned = plan_tree(root=national, count=institutions, ids=ids, tag=tag, now=now)
        for offset in range(0, len(planned), batch):
            insert_rows(Institution, planned[offset : offset + batch])
            say(f"institutions: {min(offset + batch, len(planned))}/{institutions}")
        audit.record(
            "core.scale_data.created",
            target=national,
            after={"institutions": institutions, "users": users, "code_prefix": tag},
        )
    result.institutions = len(planned)
    result.seconds["institutions"] = round(time.perf_counter() - started, 2)

    # 2. Users, one transaction per batch; the first ones get a role at an institution.
    phase = time.perf_counter()
    first = _next_user_number()
    member_count = min(len(planned), users)
    staff_numbers = set(range(first, first + member_count))
    done = 0
    while done < users:
        size = min(batch, users - done)
        numbers = range(first + done, first + done + size)
        with transaction.atomic():
            user_ids = reserve_ids(User, size)
            rows = build_users(numbers=numbers, ids=user_ids, staff=staff_numbers, now=now)
            insert_rows(User, rows)
            memberships = [
                Membership(
                    user_id=user.pk,
                    institution_id=planned[done + i].pk,
                    role=ROLES[(done + i) % len(ROLES)],
                    created_at=now,
                )
                for i, user in enumerate(rows)
                if done + i < member_count
            ]
            if memberships:
                for membership, pk in zip(
                    memberships, reserve_ids(Membership, len(memberships)), strict=True
                ):
                    membership.pk = pk
                insert_rows(Membership, memberships)
        done += size
        result.memberships += len(memberships)
        elapsed = time.perf_counter() - phase
        say(f"users: {done}/{users} ({elapsed:.1f} s, {done / max(elapsed, 1e-9):,.0f}/s)")
    result.users = done
    result.seconds["users"] = round(time.perf_counter() - phase, 2)

    if connection.vendor == "postgresql":
        phase = time.perf_counter()
        with connection.cursor() as cursor:
            for model in (Institution, User, Membership):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        result.seconds["analyze"] = round(time.perf_counter() - phase, 2)
    result.seconds["total"] = round(time.perf_counter() - started, 2)
    return result
