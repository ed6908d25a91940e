import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """The home page caches network numbers; every test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()
