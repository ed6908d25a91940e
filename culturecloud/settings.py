"""CultureCloud settings, all read from the environment.

With no environment at all this is the embedded default used by `make run` and
`make test`: SQLite under var/, media under var/media/, in-process cache and
eager Celery tasks. Setting DATABASE_URL, REDIS_URL and the S3 variables turns the
same file into the production configuration (see docs/deploy.md).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CULTURECLOUD_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("CULTURECLOUD_TESTING", default=False)

_DEV_SECRET = "dev-only-insecure-secret-key-for-the-embedded-default-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# 32-byte key, base64: AES-256-GCM for personal data and the key of the keyed hashes.
_field_key = os.environ.get("FIELD_ENCRYPTION_KEY", "")
if not _field_key:
    if not DEBUG:
        raise RuntimeError("FIELD_ENCRYPTION_KEY must be set when DEBUG is off")
    _field_key = base64.b64encode(hashlib.sha256(b"culturecloud-dev-field-key").digest()).decode()
FIELD_ENCRYPTION_KEY = _field_key

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "culturecloud.core",
    "culturecloud.accounts",
    "culturecloud.institutions",
    "culturecloud.media",
    "culturecloud.search",
    "culturecloud.resources",
    "culturecloud.portal",
    "culturecloud.workbench",
]

MIDDLEWARE = [
    "culturecloud.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "culturecloud.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "culturecloud.core.pagecache.PublicResponseCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "culturecloud.urls"
WSGI_APPLICATION = "culturecloud.wsgi.application"
ASGI_APPLICATION = "culturecloud.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "culturecloud" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "culturecloud.portal.context_processors.site",
                # last: replaces the CSRF token with a placeholder in cacheable pages
                "culturecloud.core.pagecache.csrf_context",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
            "TEST_DATABASE_NAME", "test_culturecloud"
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "culturecloud.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing to upgrade.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": os.environ.get("TEST_SQLITE_NAME") or None},
        }
    }
# A read replica, when configured, serves public reads (see culturecloud.core.routers).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["culturecloud.core.routers.PrimaryReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions ------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and TESTING and _xdist_worker.startswith("gw") and "pytest" in sys.modules:
    # Each parallel test process gets its own Redis database (broker queues, cache), so a
    # real Celery worker started by one test process never takes another process's tasks.
    # (A worker subprocess inherits the variables but is no pytest process: it keeps the
    # REDIS_URL the test hands it.)
    from urllib.parse import urlsplit, urlunsplit

    _redis = urlsplit(REDIS_URL)
    _redis_db = int(_redis.path.strip("/") or 0) + int(_xdist_worker[2:])
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_redis_db}"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cc"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "purge-expired-one-time-codes": {
        "task": "culturecloud.accounts.tasks.purge_expired_codes",
        "schedule": crontab(minute="*/30"),
    },
    "media-purge-expired-uploads": {
        "task": "culturecloud.media.tasks.purge_expired_upload_sessions",
        "schedule": crontab(minute="*/30"),
    },
    "media-resume-stalled-processing": {
        "task": "culturecloud.media.tasks.resume_stalled_processing",
        "schedule": crontab(minute="*/15"),
    },
    "purge-erased-accounts": {
        "task": "culturecloud.accounts.tasks.finish_account_erasures",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:me"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Shown on the privacy policy as the contact of the personal-information officer.
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "")

# --- One-time codes and SMS -------------------------------------------------
SMS_BACKEND = os.environ.get("SMS_BACKEND", "culturecloud.accounts.sms.LogSmsBackend")
OTP_TTL_SECONDS = int(os.environ.get("OTP_TTL_SECONDS", "300"))
OTP_MAX_ATTEMPTS = 5
OTP_LOCKOUT_SECONDS = 900
OTP_RATE_PER_PHONE = (1, 60)  # one code per number per minute
OTP_RATE_PER_PHONE_DAY = (10, 86400)
OTP_RATE_PER_IP = (20, 3600)
LOGIN_RATE_PER_IP = (30, 300)

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "culturecloud" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 86400

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "culturecloud" / "static"]
# Front-end libraries come from npm (package.json / package-lock.json) at install time.
_NPM = BASE_DIR / "node_modules"
for _prefix, _dir in [
    ("vendor/htmx", _NPM / "htmx.org" / "dist"),
    ("vendor/hls", _NPM / "hls.js" / "dist"),
    ("vendor/openseadragon", _NPM / "openseadragon" / "build" / "openseadragon"),
    ("vendor/pdfjs", _NPM / "pdfjs-dist" / "legacy" / "build"),
]:
    if _dir.is_dir():
        STATICFILES_DIRS.append((_prefix, _dir))  # type: ignore[arg-type]
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(
        parents=True, exist_ok=True
    )  # WhiteNoise expects it even before collectstatic
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", default=False),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_IMAGE_UPLOAD_BYTES = 5 * 1024 * 1024

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Scripts cannot read this cookie; they take the token from <meta name="csrf-token"> (base.html).
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind our own nginx, which sets X-Forwarded-For to the client address (docs/deploy.md):
# then the client IP of rate limits and the audit log comes from that header.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", default=False)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)

# --- Logging --------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "culturecloud.core.logging.RedactPersonalDataFilter"}},
    "formatters": {"json": {"()": "culturecloud.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- API ------------------------------------------------------------------
API_PAGE_SIZE = 20
API_MAX_PAGE_SIZE = 100
PUBLIC_CACHE_SECONDS = 60
# The shared server-side cache of public answers for anonymous visitors (core/pagecache.py).
# The unit tests turn it off (culturecloud/conftest.py) except in its own tests; the browser
# journeys and the fuzzer run with it.
PUBLIC_RESPONSE_CACHE = env_bool("PUBLIC_RESPONSE_CACHE", default=True)
NINJA_PAGINATION_CLASS = "culturecloud.core.pagination.PageNumberPagination"
NINJA_PAGINATION_PER_PAGE = API_PAGE_SIZE
NINJA_MAX_PER_PAGE_SIZE = API_MAX_PAGE_SIZE
