"""Celery application.

Eager (in-process) on the embedded default, Redis broker when REDIS_URL is set.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "culturecloud.settings")

app = Celery("culturecloud")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
