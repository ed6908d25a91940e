import copy
import uuid

import pytest


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """The home page caches network numbers; every test starts from an empty cache.

    A fresh cache namespace per test, not cache.clear(): on Redis that is FLUSHDB, which
    would also drop the sessions of tests running in parallel and queued Celery tasks."""
    caches = copy.deepcopy(settings.CACHES)
    tag = uuid.uuid4().hex[:12]
    caches["default"]["KEY_PREFIX"] = f"test-{tag}"
    if caches["default"]["BACKEND"].endswith("LocMemCache"):
        caches["default"]["LOCATION"] = tag
    settings.CACHES = caches
    yield
