"""Project settings, read from the environment with one django-environ ``Env``.

Every deploy-time choice is an environment variable (see the README's configuration table).
Without ``REDIS_URL`` the project runs embedded: SQLite, local-memory cache and Celery's
filesystem broker under ``var/``; with it, Redis is the cache and the broker.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from portfolia.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "accounts",
    "market",
    "portfolios",
]

MIDDLEWARE = [
    "portfolia.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portfolia.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.audit.AuditDoorMiddleware",  # the audit log's door (page, api, admin)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portfolia.urls"
WSGI_APPLICATION = "portfolia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database serves web, worker and beat at once: WAL lets readers go on while
    # one process writes; a writer waits up to SQLITE_BUSY_TIMEOUT seconds for the write lock
    # instead of failing with "database is locked"; and every transaction takes that lock when
    # it begins (IMMEDIATE), so a transaction that read first never fails when it then writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")


def _redis_db(url: str, db: int) -> str:
    """The same Redis server as ``url``, database ``db``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


# Seconds one call to Redis (cache or broker) may take before it counts as failed.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=2.0)

if REDIS_URL:
    # The cache lives in the database after the broker's, so clearing it never drops queued tasks.
    # It is an accelerator: while Redis is unreachable it reads as empty and keeps nothing
    # (portfolia/cache.py), so pages and the API serve uncached instead of failing.
    broker_db = int(urlsplit(REDIS_URL).path.strip("/") or 0)
    CACHES = {
        "default": {
            "BACKEND": "portfolia.cache.FailSoftRedisCache",
            "LOCATION": env.str("CACHE_URL", default=_redis_db(REDIS_URL, broker_db + 1)),
            "KEY_PREFIX": "portfolia",
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portfolia",
            "TIMEOUT": 300,
        }
    }

# How often an open dashboard, overview or asset page asks whether its prices changed (seconds;
# closes arrive daily, so a minute is plenty). See portfolia/live.py.
LIVE_PRICES_SECONDS = env.int("LIVE_PRICES_SECONDS", default=60)

# --- Auth -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Credential forms (log in, password reset, sign-up; pages and API): this many attempts per
# account, or per client address, within the window lock that account or address out.
# Log-ins count failures, resets and sign-ups every submission (accounts/throttle.py).
CREDENTIAL_THROTTLE = {
    "ACCOUNT_ATTEMPTS": env.int("LOCKOUT_ACCOUNT_ATTEMPTS", default=5),
    "IP_ATTEMPTS": env.int("LOCKOUT_IP_ATTEMPTS", default=20),
    "WINDOW_MINUTES": env.int("LOCKOUT_WINDOW_MINUTES", default=15),
    "LOCK_MINUTES": env.int("LOCKOUT_MINUTES", default=15),
}

# --- Internationalisation ----------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATICFILES_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Portfolia <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (on by default whenever DEBUG is off; HTTPS=0 for plain-HTTP test servers) -----

HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
X_FRAME_OPTIONS = "DENY"
# portfolia.csp: no inline script or style anywhere; data: images for Pico's inline SVG icons.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# A request's form fields and JSON body may hold up to this much (uploaded files are not
# counted; the importers bound those). An import preview sends its file back in a form field to
# be confirmed, base64 for transactions (up to 5 MB, 6.7 MB in base64; a larger file is staged
# on the server, portfolios.services.import_jobs), and a JSON
# price upload of 50,000 bars is a few MB; a larger body answers 400 on a page, 413 on the API.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploads, two caps (portfolia/uploads.py). A multipart body (files included) larger than
# UPLOAD_MAX_BODY_SIZE is refused from its Content-Length before any of it is read; a body that
# does not say its length, or says less, streams in, and a file's bytes past
# FILE_UPLOAD_MAX_BYTES are dropped as they arrive (the form or API then refuses the file: 413
# on the API). The largest file a form takes: portfolios.importers.MAX_BYTES (a test holds them
# equal). Files up to FILE_UPLOAD_MAX_MEMORY_SIZE stay in memory, larger ones go to a
# temporary file.
UPLOAD_MAX_BODY_SIZE = 21 * 1024 * 1024
FILE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "portfolia.uploads.BodySizeLimitHandler",
    "portfolia.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- API --------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portfolia.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "portfolia.rest.StrictOrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/minute"),
        "user": env.str("THROTTLE_USER", default="1200/minute"),
        "auth": env.str("THROTTLE_AUTH", default="20/minute"),
        "asset_refresh": env.str("THROTTLE_ASSET_REFRESH", default="10/hour"),
    },
    # JSON bodies only (the schema says so, and generated clients need one body type); a view
    # that takes an uploaded file names its own multipart parsers.
    "DEFAULT_PARSER_CLASSES": ["portfolia.parsers.SizeLimitedJSONParser"],
    "EXCEPTION_HANDLER": "portfolia.rest.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "portfolia.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Portfolia API",
    "DESCRIPTION": "Portfolios, transactions, holdings and performance as JSON. "
    "Decimals travel as strings, dates as ISO 8601.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the one currency list, wherever a serializer offers it.
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "portfolia.currencies.CURRENCY_CHOICES",
        "TransactionKindEnum": "portfolios.models.TransactionKind",
        "HealthStatusEnum": [("ok", "ok"), ("fail", "fail")],
        "StrategyMethodEnum": "portfolios.engine.strategies.METHODS",
        "SimulationMethodEnum": "portfolios.services.simulations.SIMULATION_METHOD_NAMES",
    },
}

# --- Celery -----------------------------------------------------------------------------------

CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(VAR_DIR / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A publish to a Redis that is down fails within seconds (the caller records it; see
    # market.services), never hangs a request: short socket timeouts, one quick retry.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": REDIS_TIMEOUT,
        "socket_connect_timeout": REDIS_TIMEOUT,
    }
    CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT
else:
    # Filesystem broker: producer and worker share one folder, so a worker in another
    # process still runs the tasks (never the web process).
    CELERY_BROKER_URL = "filesystem://localhost//"  # a host named, so kombu does not warn
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Outcomes live in the database (FetchJob), so tasks store no result: publishing then never
# waits on the result backend (which, with Redis down, retried for 20 s). ``portfolia.ping``
# keeps its result for the worker checks.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Market data ------------------------------------------------------------------------------

MARKET_DATA_PROVIDER = env.str("MARKET_DATA_PROVIDER", default="yahoo")
MARKET_SEARCH_TIMEOUT = env.float("MARKET_SEARCH_TIMEOUT", default=3.0)
# Seconds a fetch job may wait for a worker before the periodic sweep fails it.
MARKET_JOB_QUEUED_LIMIT = env.int("MARKET_JOB_QUEUED_LIMIT", default=3600)
# Calls per second to Yahoo, shared by every worker through the cache.
MARKET_PROVIDER_RATE_LIMITS = {"yahoo": (env.int("YAHOO_CALLS_PER_SECOND", default=2), 1.0)}
RISK_FREE_RATE = env.float("RISK_FREE_RATE", default=0.0)  # annual, for Sharpe and Sortino
# Backtests of fixed weights up to this many (calendar days x assets) run in the request (about
# 20 years of 5 assets); larger ones, and every strategy, run in a Celery task.
SIMULATION_INLINE_CELLS = env.int("SIMULATION_INLINE_CELLS", default=40_000)
# A transactions import of more than this many lines is saved by a Celery task with progress
# (portfolios.services.import_jobs); up to portfolios.importers.MAX_ROWS (100,000) rows.
IMPORT_TASK_ROWS = env.int("IMPORT_TASK_ROWS", default=2_000)

# --- Metrics (portfolia.metrics) ---------------------------------------------------------------

# With several processes on one host (gunicorn workers, Celery), a folder they share, emptied at
# start: prometheus-client's multiprocess mode adds their counts up. It must be in the
# environment before prometheus_client is imported, hence set here, before any import of it.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# /metrics off DEBUG: a scraper sends "Authorization: Bearer <METRICS_TOKEN>" or connects from
# one of these networks (the socket's address, never X-Forwarded-For); else it answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(network, strict=False)
        for network in env.list("METRICS_ALLOWED_NETWORKS", default=[])
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from error

# --- Logging ----------------------------------------------------------------------------------

# One line per request (portfolia.request_log) and a request id on every line (portfolia.logs):
# JSON objects in production, plain text under DEBUG (LOG_FORMAT=json|plain to choose).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = logging_config(
    json_lines=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO")
)
