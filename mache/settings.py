"""MACHE settings: one module, driven by the environment.

MACHE_ENV chooses the profile:
- "development" (default): DEBUG on, SQLite and a broker on the file system, so that
  `make run` needs no server at all;
- "production": refuses to start without SECRET_KEY or with DEBUG, and turns on the
  HTTPS hardening that `manage.py check --deploy` asks for.
DATABASE_URL and REDIS_URL switch any profile to PostgreSQL and Redis.
"""

import json
import os
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MACHE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


MACHE_ENV = os.environ.get("MACHE_ENV", "development")
if MACHE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"MACHE_ENV must be development or production, not {MACHE_ENV!r}")
PRODUCTION = MACHE_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION:
    # A production server with a known key or a debug page leaks sessions and data:
    # better not to start at all.
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when MACHE_ENV=production.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when MACHE_ENV=production.")
    if len(SECRET_KEY) < 50:
        # Sessions, password reset links and CSRF tokens are signed with it.
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 characters long when MACHE_ENV=production."
        )
elif not SECRET_KEY:
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "mache",
    "shops",
    "catalogue",
    "purchasing",
    "inventory",
    "accounting",
    "payments",
    "worker",
    "wiring",  # the top layer: urls, landing pages, demo loading (README "Architecture")
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after security: it compresses what every later middleware wrote (text only;
    # BREACH: docs/security.md, "Compression").
    "mache.compression.TextGZipMiddleware",
    # Bad input is refused before anything reads it: control characters in the query or
    # the path (400), bodies over their bound (413).
    "mache.query.QueryValueMiddleware",
    "mache.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A session whose user has a TOTP device counts only once the code was given; a
    # coordinator may have to enrol first (docs/security.md).
    "shops.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wiring.urls"
WSGI_APPLICATION = "mache.wsgi.application"
ASGI_APPLICATION = "mache.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The recall banner of shopkeepers' pages (docs/recalls.md).
                "inventory.context_processors.recall_banner",
            ],
        },
    },
]

# --- Database: SQLite by default so that a new machine needs no server. ---
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'mache.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; a short wait beats "database is locked" when the
    # worker and the web server write at the same moment.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "shops.User"
# axes' backend first: it refuses a throttled login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "shops.auth.RoleBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shops.auth.NotOnlySpacesValidator"},
]
LOGIN_URL = "/connexion/"
LOGIN_REDIRECT_URL = "/"

# --- Language and time: French users, Paris business days. ---
LANGUAGE_CODE = "fr-fr"
# French only: without this, LocaleMiddleware would answer an English browser in English.
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Stored files (monthly reports): local media by default; any Django storage otherwise,
# e.g. MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage with its options in JSON.
# Outside production the static files are served straight from the apps' folders (no
# collectstatic), DEBUG on or off: `make run` runs with DEBUG off (docs/security.md).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "MEDIA_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ.get("MEDIA_STORAGE_OPTIONS") or "{}"),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Backups (issue 19; docs/backups.md): `manage.py backup` writes dated folders here and
# keeps them this many days (never deleting the newest). ---
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR") or VAR_DIR / "backups")
BACKUP_RETENTION_DAYS = int(os.environ.get("BACKUP_RETENTION_DAYS") or "30")

# --- Redis (broker, results, cache) or their server-less stand-ins. ---
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = VAR_DIR / "broker"


def _next_redis_db(url: str) -> str:
    """redis://host:6379/0 -> redis://host:6379/1: the cache may be flushed without
    touching the broker's queues."""
    base, _, db = url.rstrip("/").rpartition("/")
    if base.endswith(":") or not re.fullmatch(r"[0-9]+", db):
        return url.rstrip("/") + "/1"
    return f"{base}/{int(db) + 1}"


if REDIS_URL:
    # Redis down must cost a request about a second, not a hang: short socket timeouts
    # here, and the readers fall back to computing (mache.cache, docs/tasks.md).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("CACHE_URL") or _next_redis_db(REDIS_URL),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1}
else:
    # The file-system transport and result backend let the web server and the worker,
    # two processes, talk without any server; the file cache is shared by both too
    # (login throttling must count failures across processes).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # The exchanges' bindings (kombu's default is ./control, in the working folder).
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{BROKER_DIR / 'results'}"

# The folders above are created at start-up (mache.apps.var_folders_create), not here:
# importing the settings writes nothing.

CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXTENDED = True
# A task whose worker dies is delivered again rather than lost; every task is
# written to be idempotent for that reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# --- Publishing while the broker is down (docs/tasks.md) ---
# Tasks are sent after commit from the outbox (mache.outbox): a send that fails leaves
# its row for the drain, so a publish gives up within about a second instead of Celery's
# defaults (the result backend's 20 retries a second apart made a request wait 19 s).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.3,
        "interval_max": 0.5,
    }
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Rounds close by themselves: within a minute of the deadline, and whatever
    # happened to the worker at that minute (the sweep catches up on every round due).
    "sweep-rounds": {"task": "worker.sweep_rounds", "schedule": 60.0},
    # Tasks the broker could not take when their work committed (mache.outbox).
    "outbox-drain": {"task": "mache.outbox_drain", "schedule": 60.0},
    # The month before, on the 1st (Paris): stock variation entries of every shop.
    "stock-variations": {
        "task": "worker.post_stock_variations",
        "schedule": crontab(minute=30, hour=1, day_of_month=1),
    },
    # Then the monthly management reports of the month before (every shop, one task each).
    "monthly-reports": {
        "task": "worker.monthly_reports",
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
    },
    # Issue 14: every morning (Paris), the reminders of overdue invoices, each level once
    # (docs/invoices-due.md); a day missed is caught up by the next sweep.
    "payment-reminders": {
        "task": "worker.payment_reminders",
        "schedule": crontab(minute=0, hour=8),
    },
    # Issue 15: the statuses the e-invoicing platform reported (the inbox), every minute
    # (docs/e-invoicing.md, "Lifecycle and the platform").
    "einvoice-fetch": {"task": "purchasing.einvoice_fetch", "schedule": 60.0},
    # Issue 16: the suppliers' invoices the platform received (docs/supplier-invoices.md).
    "supplier-invoices-fetch": {"task": "purchasing.supplier_invoices_fetch", "schedule": 60.0},
    # Issue 19: every night, each stored document checked against its hash
    # (docs/documents.md); an altered one is logged and shown to the coordinator.
    "documents-check": {
        "task": "mache.documents_check",
        "schedule": crontab(minute=30, hour=2),
    },
}
# Days after the due date at which an unpaid invoice is reminded, once per level
# ("7,21" by default; PAYMENT_REMINDER_DAYS="10,30,60" for three reminders).
PAYMENT_REMINDER_DAYS = tuple(
    sorted({int(days) for days in env_list("PAYMENT_REMINDER_DAYS", "7,21")})
)

# --- E-invoicing platform (issue 15; docs/e-invoicing.md, "Lifecycle and the platform") ---
# "folder": issued invoices and credit notes are deposited as Factur-X PDFs in the outbox
# folder, and the platform's status files are read from the inbox folder; "" deposits
# nothing and reads nothing. No network call either way.
EINVOICE_PLATFORM = os.environ.get("EINVOICE_PLATFORM", "folder")
EINVOICE_OUTBOX_DIR = Path(os.environ.get("EINVOICE_OUTBOX_DIR", VAR_DIR / "einvoicing" / "outbox"))
EINVOICE_INBOX_DIR = Path(os.environ.get("EINVOICE_INBOX_DIR", VAR_DIR / "einvoicing" / "inbox"))
if EINVOICE_PLATFORM not in ("folder", ""):
    raise ImproperlyConfigured(
        f'EINVOICE_PLATFORM={EINVOICE_PLATFORM!r}: "folder" or empty (no platform).'
    )

# --- E-mail: printed on the console in development. ---
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MACHE <noreply@mache.invalid>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shops.auth.IdleTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "mache.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "mache.schema.AutoSchema",  # documents the error answers too
    "EXCEPTION_HANDLER": "mache.errors.exception_handler",
    # JSON of bounded depth without lone surrogates (mache.parsers); a renderer that
    # never fails on a string it cannot encode.
    "DEFAULT_PARSER_CLASSES": [
        "mache.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "mache.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MACHE API",
    "DESCRIPTION": "Back office d'une coopérative de commerces de village.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name for the lawful VAT rates, whichever field carries them.
    "ENUM_NAME_OVERRIDES": {
        "VatRateEnum": "mache.fields.VAT_RATE_CHOICES",
        "FiscalYearStatusEnum": ["open", "closed"],
        # Issue 14: an invoice's status (docs/invoices-due.md).
        "InvoiceStatusEnum": "purchasing.rules.INVOICE_STATUS_CHOICES",
    },
    # Swagger UI from our own static files (drf-spectacular-sidecar): no third-party script.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Request bodies (mache.limits): 413 above these; CSV uploads may be larger.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
# A manual entry's page posts up to 501 rows of 5 inputs (docs/postings.md, "Manual
# entries"): Django's default of 1,000 fields would refuse a long entry before the form
# could say anything; the body's size stays bounded by MAX_REQUEST_BYTES.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 3000

# --- Logins, tokens and the Content-Security-Policy (issue 10; README, Security). ---
# One throttle guards every way in (API token, login page, Django admin, password reset):
# django-axes hooks authenticate(), with shops.throttle's atomic database handler.
# Attempts per account from one address, and per account from anywhere, in the window.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ACCOUNT_FAILURE_LIMIT = int(
    os.environ.get("LOGIN_ACCOUNT_FAILURE_LIMIT", str(4 * LOGIN_FAILURE_LIMIT))
)
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", "900"))
# Proxies in front of the server whose X-Forwarded-For is believed (0: REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_HANDLER = "shops.throttle.LoginThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "shops.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "shops.throttle.lockout_response"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]  # what our handler counts
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_HTTP_RESPONSE_CODE = 429
# Two-factor login (issue 12; docs/security.md): the name authenticator apps show, and
# django-otp's own throttle of wrong codes (1, 2, 4, 8... seconds between attempts).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "MACHE")
OTP_TOTP_THROTTLE_FACTOR = 1
AXES_VERBOSE = False
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: it turns a refused admin login into a 429 page.
    "axes.middleware.AxesMiddleware",
]
# An API token unused for this long (seconds) is refused (401) and deleted.
TOKEN_IDLE_TIMEOUT = int(os.environ.get("TOKEN_IDLE_TIMEOUT", str(14 * 24 * 3600)))
# Every response says where scripts, styles and data may come from: this site only.
# Style attributes stay allowed (the gauges' widths are data); <style> elements do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Production hardening (what check --deploy asks for). ---
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"
    # The health check is probed over plain HTTP by the orchestrator.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
