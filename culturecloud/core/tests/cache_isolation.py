"""A fixture for tests that hit rate limits: a fresh cache namespace per test.

Rate-limit counters live in the shared cache (Redis in CI's second pass), so without this
a test run twice within a limit's window, or beside another test, would share counters.
"""

from __future__ import annotations

import copy
import uuid

import pytest


@pytest.fixture
def private_cache(settings) -> None:
    caches = copy.deepcopy(settings.CACHES)
    tag = uuid.uuid4().hex[:12]
    caches["default"]["KEY_PREFIX"] = f"test-{tag}"
    if caches["default"]["BACKEND"].endswith("LocMemCache"):
        caches["default"]["LOCATION"] = tag
    settings.CACHES = caches
