"""Settings of the benchmark server: the production settings plus one bare JSON view.

The same server process serves the application and `/bench/ceiling` (bench/urls_bench.py), so
every endpoint's throughput can be read as a share of what a trivial Django view reaches
through the same middleware, the same server and the same workers in the same run.
Nothing else differs from production: configure it through the environment exactly like
`make serve` (DEBUG=0, DATABASE_URL, REDIS_URL, ...). bench/run.py sets all of it.
"""

from culturecloud.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"

# The rush scenarios count SMS sends in Redis (bench/sms_counting.py) when asked to.
SMS_BACKEND = os.environ.get("SMS_BACKEND", SMS_BACKEND)  # noqa: F405

# Negative control of the rush scenarios (`bench/rush.py <name> --local-cache`): counters in
# each process's own memory instead of Redis, as if the cache were not shared. The limits
# must then visibly fail, which shows the invariant checks can catch a broken limit.
if env_bool("BENCH_LOCAL_CACHE", default=False):  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
