"""Regression found by the API fuzzer (fuzz/run.py).

The hit's institution schema was called `InstitutionRef`, like the {code, name} reference
of core and institutions; Ninja files components by class name, so one replaced the other
and the review queue, audit log and institution detail answers broke their documented
schema. It is `HitInstitution` now (core/tests/test_fuzz_regressions.py checks that no two
schema classes of the API share a name).
"""

from __future__ import annotations

from django.test import Client


def test_hit_institution_has_its_own_component(db):
    schema = Client().get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    hit = components["HitOut"]["properties"]["institution"]
    refs = [option.get("$ref") for option in hit.get("anyOf", [hit])]
    assert "#/components/schemas/HitInstitution" in refs
    assert set(components["HitInstitution"]["required"]) == {"id", "name"}
    assert set(components["InstitutionRef"]["required"]) == {"code", "name"}
