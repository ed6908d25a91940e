"""Fixtures shared by every app's tests: a small institution tree and its staff.

tree:  national
         └─ province (广东)            sibling province (浙江)
              └─ city (广州)
                   └─ county (从化)     sibling county (增城)
                        └─ township (太平镇)
                             └─ village (钱岗村)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from culturecloud.accounts.models import User
from culturecloud.core.tests.cache_isolation import private_cache  # noqa: F401
from culturecloud.institutions.models import Institution, InstitutionKind, Membership, Region
from culturecloud.institutions.services import create_institution


@pytest.fixture(autouse=True)
def _no_public_response_cache(settings) -> None:
    """Tests read a page, change data and read it again: without the shared cache of anonymous
    answers (core/pagecache.py), whose own tests turn it back on."""
    settings.PUBLIC_RESPONSE_CACHE = False


@pytest.fixture
def public_response_cache(request, settings, monkeypatch) -> None:
    """The shared cache of anonymous answers on, for its own tests: in a cache namespace of
    the test's own, with the generation read from it on every request. (In the PostgreSQL
    pass a real Celery worker of another test may still be syncing the search index, which
    bumps the generation of the shared namespace between two requests of a test.)"""
    from culturecloud.core import pagecache

    request.getfixturevalue("private_cache")
    settings.PUBLIC_RESPONSE_CACHE = True
    monkeypatch.setattr(pagecache, "GENERATION_REFRESH_SECONDS", 0.0)


@dataclass
class Tree:
    national: Institution
    province: Institution
    other_province: Institution
    city: Institution
    county: Institution
    sibling_county: Institution
    township: Institution
    village: Institution


@pytest.fixture
def regions(db) -> dict[str, Region]:
    rows = [
        ("440000", "广东省", 1, None),
        ("440100", "广州市", 2, "440000"),
        ("440117", "从化区", 3, "440100"),
        ("440118", "增城区", 3, "440100"),
        ("330000", "浙江省", 1, None),
    ]
    result: dict[str, Region] = {}
    for code, name, level, parent in rows:
        result[code] = Region.objects.create(code=code, name=name, level=level, parent_id=parent)
    return result


@pytest.fixture
def tree(regions) -> Tree:
    K = InstitutionKind
    national = create_institution(
        code="cn", name="全国公共文化发展中心", kind=K.NATIONAL, parent=None
    )
    province = create_institution(
        code="gd", name="广东省文化馆", kind=K.PROVINCIAL, parent=national, region=regions["440000"]
    )
    other = create_institution(
        code="zj", name="浙江省文化馆", kind=K.PROVINCIAL, parent=national, region=regions["330000"]
    )
    city = create_institution(
        code="gd-gz",
        name="广州市文化馆",
        kind=K.MUNICIPAL,
        parent=province,
        region=regions["440100"],
    )
    county = create_institution(
        code="gd-gz-ch", name="从化区文化馆", kind=K.COUNTY, parent=city, region=regions["440117"]
    )
    sibling = create_institution(
        code="gd-gz-zc", name="增城区文化馆", kind=K.COUNTY, parent=city, region=regions["440118"]
    )
    township = create_institution(
        code="gd-gz-ch-tp",
        name="太平镇综合文化站",
        kind=K.TOWNSHIP,
        parent=county,
        region=regions["440117"],
    )
    village = create_institution(
        code="gd-gz-ch-tp-qg",
        name="钱岗村综合性文化服务中心",
        kind=K.VILLAGE,
        parent=township,
        region=regions["440117"],
    )
    return Tree(national, province, other, city, county, sibling, township, village)


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def factory(
        *, role: str | None = None, institution: Institution | None = None, **extra: Any
    ) -> User:
        counter["n"] += 1
        user = User.objects.create_user(
            username=f"user{counter['n']}", password="pw-Secret-123", **extra
        )
        if role and institution:
            Membership.objects.create(user=user, institution=institution, role=role)
        return user

    return factory
