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

import multiprocessing
import os
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections, models, transaction
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


# --- resources (the digital library) and their search documents -------------------------

# (project, art category, intangible heritage category or "")
TOPICS: tuple[tuple[str, str, str], ...] = (
    ("舞龙", "dance", "traditional_dance"),
    ("醒狮", "dance", "traditional_dance"),
    ("秧歌", "dance", "traditional_dance"),
    ("花灯", "dance", "traditional_dance"),
    ("龙舟竞渡", "general", "sports_acrobatics"),
    ("太极拳", "general", "sports_acrobatics"),
    ("杂技", "general", "sports_acrobatics"),
    ("剪纸", "fine_arts", "traditional_art"),
    ("刺绣", "fine_arts", "traditional_art"),
    ("木版年画", "fine_arts", "traditional_art"),
    ("泥塑", "fine_arts", "traditional_art"),
    ("粤剧", "drama", "traditional_drama"),
    ("川剧", "drama", "traditional_drama"),
    ("昆曲", "drama", "traditional_drama"),
    ("皮影戏", "drama", "traditional_drama"),
    ("木偶戏", "drama", "traditional_drama"),
    ("黄梅戏", "drama", "traditional_drama"),
    ("客家山歌", "music", "traditional_music"),
    ("古琴艺术", "music", "traditional_music"),
    ("广东音乐", "music", "traditional_music"),
    ("江南丝竹", "music", "traditional_music"),
    ("侗族大歌", "music", "traditional_music"),
    ("苏州评弹", "quyi", "quyi"),
    ("相声", "quyi", "quyi"),
    ("快板书", "quyi", "quyi"),
    ("陶瓷烧制技艺", "general", "traditional_craft"),
    ("宣纸制作技艺", "general", "traditional_craft"),
    ("制茶技艺", "general", "traditional_craft"),
    ("针灸", "general", "traditional_medicine"),
    ("端午习俗", "general", "folk_custom"),
    ("庙会", "general", "folk_custom"),
    ("民间故事", "literature", "folk_literature"),
    ("民间歌谣", "literature", "folk_literature"),
    ("书法", "calligraphy", ""),
    ("国画", "fine_arts", ""),
    ("风光摄影", "photography", ""),
    ("广场舞", "dance", ""),
    ("合唱", "music", ""),
    ("诗词朗诵", "literature", ""),
    ("乡村春晚", "general", ""),
)
_PLACES = (
    "从化", "太平镇", "增城", "佛山", "顺德", "潮州", "梅州", "桐庐", "富阳", "德清",
    "绍兴", "郫都", "成都", "绵阳", "自贡", "苏州", "扬州", "南京", "徽州", "景德镇",
    "泉州", "漳州", "开封", "洛阳", "西安", "大理", "丽江", "黔东南", "恩施", "湘西",
    "天津", "北京", "青岛", "延边", "喀什", "拉萨", "桂林", "海口", "厦门", "宁波",
)  # fmt: skip
_FORMS: dict[str, tuple[str, ...]] = {
    "video": ("表演实录", "演出", "教学视频", "纪录片", "专题讲座"),
    "audio": ("录音", "唱段", "口述", "音乐会实况"),
    "image": ("作品", "影像", "图片"),
    "image_set": ("作品集", "图集", "展览图录"),
    "document": ("研究报告", "图录", "讲义", "名录汇编", "口述史"),
}
_KINDS = ("video", "video", "audio", "image", "image", "image_set", "document")
_ASPECTS = ("代表性节目", "传统技法", "基本动作", "历史渊源", "传承谱系", "器具与材料", "表演程式")
_FEATURES = (
    "讲究手眼身法步",
    "以口传心授为主要传承方式",
    "每逢节庆必演",
    "工序繁复、技艺精湛",
    "融合了当地方言与民俗",
    "深受群众喜爱",
)
_AUDIENCES = ("general", "general", "children", "teenagers", "adults", "elderly", "professionals")
_AUDIENCE_WORDS = {
    "general": "广大群众",
    "children": "少年儿童",
    "teenagers": "青少年",
    "adults": "成年人",
    "elderly": "老年朋友",
    "professionals": "文艺骨干与教师",
}
_RIGHTS = ("cc_by_nc", "cc_by", "in_copyright", "cc0")
_CREATORS = ("文化馆非遗部", "群众艺术馆", "非遗保护中心", "民间文艺家协会", "综合文化站")


@dataclass
class ResourceScaleResult:
    resources: int = 0
    documents: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def long_tail_views(bits: int) -> int:
    """View counts with a long tail, as a library's are (a few records seen by many, most by
    few): Pareto with shape 1.1 — median about 18, 1 % above 1,300, 0.1 % above 10,000. The
    search's popularity tiers (search/backends/postgres.py) are built for such a spread."""
    share = ((bits % 1_000_000) + 1) / 1_000_000
    return min(int(20 * (share ** (-1 / 1.1) - 1)), 10_000_000)


def build_resources(
    *,
    ids: Sequence[int],
    numbers: Iterable[int],
    institutions: Sequence[Institution],
    regions: Sequence[str],
    tag: str,
    now: Any,
) -> list[Any]:
    """Unsaved, published resources with believable Chinese metadata (deterministic in the
    number): title "<place><topic><form>", a two-sentence description, tags as subject."""
    import datetime as dt

    from culturecloud.resources.models import Resource

    rows = []
    for pk, number in zip(ids, numbers, strict=True):
        mixed = number * 2654435761 % 2**32
        topic, category, ich = TOPICS[number % len(TOPICS)]
        place = _PLACES[(mixed >> 3) % len(_PLACES)]
        kind = _KINDS[(mixed >> 7) % len(_KINDS)]
        forms = _FORMS[kind]
        form = forms[(mixed >> 11) % len(forms)]
        year = 1980 + (mixed >> 13) % 46
        inst = institutions[(mixed >> 5) % len(institutions)]
        audience = _AUDIENCES[(mixed >> 17) % len(_AUDIENCES)]
        creator = place + _CREATORS[(mixed >> 19) % len(_CREATORS)]
        region = inst.region_id or (regions[(mixed >> 9) % len(regions)] if regions else None)
        description = (
            f"<p>{year}年，{creator}采集整理的{place}{topic}{form}。"
            f"{topic}是{place}一带流传已久的{'非物质文化遗产' if ich else '群众文艺'}，"
            f"{_FEATURES[(mixed >> 21) % len(_FEATURES)]}。"
            f"内容包括{_ASPECTS[(mixed >> 23) % len(_ASPECTS)]}，"
            f"适合{_AUDIENCE_WORDS[audience]}观看学习。</p>"
        )
        published = now - dt.timedelta(minutes=number % 525_600)
        rows.append(
            Resource(
                id=pk,
                identifier=f"cc:res:{tag}-{number}",
                kind=kind,
                title=f"{place}{topic}{form}",
                creator=creator,
                subject=f"{topic} {place} {form}",
                description=description,
                contributor="",
                date=str(year),
                year=year,
                format="",
                source="",
                language="zh",
                relation="",
                period="",
                region_id=region,
                rights=_RIGHTS[(mixed >> 25) % len(_RIGHTS)],
                rights_statement="",
                category=category,
                ich_category=ich,
                heritage_project_id=None,
                audience=audience,
                media_id=None,
                institution_id=inst.pk,
                institution_path=inst.path,
                view_count=long_tail_views(mixed >> 4),
                play_count=(mixed >> 6) % 800,
                favorite_count=(mixed >> 8) % 120,
                status="published",
                created_by_id=None,
                created_at=published,
                updated_at=published,
                submitted_at=published,
                reviewed_by_id=None,
                reviewed_at=published,
                published_at=published,
                rejection_reason="",
            )
        )
    return rows


def resource_documents(resources: Sequence[Any], institutions: dict[int, Institution]) -> list:
    """Search documents of freshly built resources (what `resources.searchdoc` indexes,
    without the per-row queries)."""
    from culturecloud.resources.searchdoc import DOC_TYPE
    from culturecloud.resources.services import plain_text
    from culturecloud.search.registry import Document

    docs = []
    for r in resources:
        docs.append(
            Document(
                doc_type=DOC_TYPE,
                object_id=r.pk,
                title=r.title,
                subject=f"{r.subject} {r.creator}",
                body=plain_text(r.description),
                url=f"/resources/{r.pk}/",
                image="",
                institution=institutions[r.institution_id],
                region_code=r.region_id or "",
                category=r.category,
                kind=r.kind,
                language=r.language,
                year=r.year,
                facets={"ich_category": [r.ich_category]} if r.ich_category else {},
                published_at=r.published_at,
                popularity=r.view_count,
            )
        )
    return docs


REBUILD_INDEXES_FROM = 50_000  # rows; below this, maintaining the indexes is cheaper


def _drop_secondary_indexes(tables: Sequence[str]) -> list[str]:
    """Drop the non-unique indexes of `tables` (PostgreSQL); their definitions, to build
    them again. Unique indexes stay (ON CONFLICT and the identifiers need them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT x.indisunique ORDER BY i.tablename, i.indexname",
            [list(tables)],
        )
        rows = cursor.fetchall()
        for name, _definition in rows:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in rows]


def _build_index(definition: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    finally:
        connection.close()  # this thread's own connection


def _rebuild_indexes(definitions: Sequence[str], workers: int) -> None:
    """CREATE INDEX each definition, `workers` at a time (each on its own connection), the
    full-text (GIN) ones first: they take longest."""
    ordered = sorted(definitions, key=lambda d: " USING gin " not in d)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for _ in pool.map(_build_index, ordered):
            pass


@dataclass(frozen=True)
class _LoadPlan:
    institutions: list[Institution]
    regions: list[str]
    tag: str
    now: Any
    batch: int


def _load_resources(plan: _LoadPlan, first: int, size: int, say: Progress | None) -> tuple:
    """Write resources number `first` … `first + size - 1` and their search documents, one
    transaction per batch. Returns (documents, seconds spent on search documents)."""
    from culturecloud.resources.models import Resource
    from culturecloud.search.backends import get_backend

    backend = get_backend()
    postgres = connection.vendor == "postgresql"
    by_pk = {inst.pk: inst for inst in plan.institutions}
    documents, segmenting, done = 0, 0.0, 0
    started = time.perf_counter()
    while done < size:
        step = min(plan.batch, size - done)
        with transaction.atomic():
            if postgres:
                # a crash loses the last batches, never consistency; nothing waits on them
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            rows = build_resources(
                ids=reserve_ids(Resource, step),
                numbers=range(first + done, first + done + step),
                institutions=plan.institutions,
                regions=plan.regions,
                tag=plan.tag,
                now=plan.now,
            )
            insert_rows(Resource, rows)
            phase = time.perf_counter()
            documents += backend.index_new(resource_documents(rows, by_pk))
            segmenting += time.perf_counter() - phase
        done += step
        if say is not None:
            elapsed = time.perf_counter() - started
            say(f"resources: {done}/{size} ({elapsed:.1f} s, {done / max(elapsed, 1e-9):,.0f}/s)")
    return documents, segmenting


# The plan of a parallel load, set before the worker processes are forked: they inherit it
# (with a million institutions, sending it to each of them would cost more than the work).
_FORKED_PLAN: _LoadPlan | None = None


def _load_in_child(args: tuple[int, int]) -> tuple:
    first, size = args
    assert _FORKED_PLAN is not None
    try:
        return _load_resources(_FORKED_PLAN, first, size, None)
    finally:
        connections.close_all()


def seed_resources(
    *,
    count: int,
    batch: int = 5000,
    progress: Progress | None = None,
    rebuild_indexes: bool | None = None,
    workers: int | None = None,
) -> ResourceScaleResult:
    """Create `count` published resources (catalogue records, no media) spread over the
    active institutions, and their search documents through the search backend's bulk
    `index()` (segmentation included). One transaction per batch: a batch's resources and
    its documents are written together.

    On PostgreSQL, from REBUILD_INDEXES_FROM rows on (or with rebuild_indexes=True), the
    secondary indexes of the two tables are dropped for the load and built again at the end
    (also when the load fails; a killed process leaves them dropped: their definitions are
    printed first), and `workers` processes (default: the CPU count, at most 4) write
    slices in parallel."""
    from culturecloud.institutions.models import Region
    from culturecloud.institutions.regions import ensure_regions_loaded
    from culturecloud.resources.models import Resource
    from culturecloud.search.models import SearchDocument

    if count < 0 or batch < 1 or (workers is not None and workers < 1):
        raise ValueError("counts must be >= 0, batch and workers >= 1")
    say = progress or (lambda message: None)
    result = ResourceScaleResult()
    if count == 0:
        return result
    started = time.perf_counter()
    institutions = list(
        Institution.objects.filter(is_active=True).only("id", "path", "region_id", "name")
    )
    if not institutions:
        institutions = [_national()]
    ensure_regions_loaded()  # the code table (GB/T 2260), for the resources' dc:coverage
    regions = list(
        Region.objects.filter(level=3).order_by("code").values_list("code", flat=True)[:5000]
    )
    plan = _LoadPlan(
        institutions=institutions,
        regions=regions,
        tag=f"scale-{int(time.time()):x}{secrets.token_hex(2)}",
        now=timezone.now(),
        batch=batch,
    )
    postgres = connection.vendor == "postgresql"
    big = postgres and count >= REBUILD_INDEXES_FROM
    rebuild = postgres and (big if rebuild_indexes is None else rebuild_indexes)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if big else 1
    workers = workers if postgres else 1
    tables = [Resource._meta.db_table, SearchDocument._meta.db_table]
    definitions: list[str] = []
    if rebuild:
        with transaction.atomic():
            definitions = _drop_secondary_indexes(tables)
        say(f"dropped {len(definitions)} secondary indexes for the load:")
        for definition in definitions:
            say(f"  {definition};")
    try:
        if workers == 1:
            result.documents, segmenting = _load_resources(plan, 1, count, say)
        else:
            global _FORKED_PLAN
            share = -(-count // workers)
            slices = [
                (1 + i * share, min(share, count - i * share))
                for i in range(workers)
                if count - i * share > 0
            ]
            connections.close_all()  # children open their own connections
            _FORKED_PLAN = plan
            try:
                with multiprocessing.get_context("fork").Pool(len(slices)) as pool:
                    segmenting = 0.0
                    for documents, seconds in pool.imap_unordered(_load_in_child, slices):
                        result.documents += documents
                        segmenting = max(segmenting, seconds)
                        say(f"a worker finished ({time.perf_counter() - started:.1f} s)")
            finally:
                _FORKED_PLAN = None
    finally:
        if definitions:
            phase = time.perf_counter()
            _rebuild_indexes(definitions, workers)
            result.seconds["indexes"] = round(time.perf_counter() - phase, 2)
            say(f"rebuilt {len(definitions)} indexes ({result.seconds['indexes']:.1f} s)")
    result.resources = count
    audit.record(
        "core.scale_data.created",
        after={"resources": count, "identifier_prefix": f"cc:res:{plan.tag}-", "workers": workers},
    )
    load = time.perf_counter() - started - result.seconds.get("indexes", 0)
    result.seconds["load"] = round(load, 2)
    result.seconds["of which search documents"] = round(segmenting, 2)
    if postgres:
        phase = time.perf_counter()
        with connection.cursor() as cursor:
            for model in (Resource, SearchDocument):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        result.seconds["analyze"] = round(time.perf_counter() - phase, 2)
    result.seconds["total"] = round(time.perf_counter() - started, 2)
    return result
