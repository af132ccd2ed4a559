"""Settings for the SLA credit portal: one file, every value read from the environment.

Every variable is listed in `.env.example`. Unset variables take a safe development default
(SQLite file, tasks run in-process, mail to the console). A value that cannot be understood stops
start-up with ImproperlyConfigured naming the variable, so a typo never runs silently.
"""

import warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)


def _setting(name, parse, default):
    """Read `name` with `parse`; any failure becomes ImproperlyConfigured naming the variable."""
    raw = env.str(name, default=None)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except (ValueError, TypeError, KeyError, InvalidOperation) as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not valid: {exc}") from None


def _bool(raw):
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("use true or false")


def _positive_int(raw):
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _csv(raw):
    return [item.strip() for item in raw.split(",") if item.strip()]


_DB_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def _database(raw):
    scheme = urlparse(raw).scheme
    if scheme not in _DB_SCHEMES:
        raise ValueError(
            "use postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH "
            f"(scheme {scheme or 'missing'!r} is not supported)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = environ.Env.db_url_config(raw)
    if scheme != "sqlite" and not config.get("NAME"):
        raise ValueError("the URL names no database (…/NAME at the end)")
    return config


def _redis(raw):
    parsed = urlparse(raw)
    if parsed.scheme not in {"redis", "rediss"} or not parsed.hostname:
        raise ValueError("use redis://HOST:PORT/DB")
    parsed.port  # noqa: B018 - raises ValueError on a bad port
    return raw


def _email(raw):
    config = environ.Env.email_url_config(raw)
    if not config.get("EMAIL_BACKEND"):
        raise ValueError("use smtp://USER:PASSWORD@HOST:PORT, consolemail:// or filemail://PATH")
    return config


def _choice(*choices):
    def parse(raw):
        if raw not in choices:
            raise ValueError(f"use one of {', '.join(choices)}")
        return raw

    return parse


DEBUG = _setting("DEBUG", _bool, True)
SECRET_KEY = _setting("SECRET_KEY", str, None)
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = _setting("ALLOWED_HOSTS", _csv, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _setting("CSRF_TRUSTED_ORIGINS", _csv, [])

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "portal",
    "sla",
    "claims",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Under /api/, an error no view handled is JSON (500, or 503 for a lost database).
    "portal.api.ApiErrorsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.persona",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# With no DATABASE_URL the portal runs on an embedded SQLite file under var/.
DATABASE_URL_SET = bool(env.str("DATABASE_URL", default=""))
DATABASES = {
    "default": _setting(
        "DATABASE_URL",
        _database,
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "var" / "portal.sqlite3")},
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = _setting("CONN_MAX_AGE", int, 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = _setting(
    "PASSWORD_HASHERS",
    _csv,
    [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Manifest storage needs collectstatic; DEBUG (runserver, tests) serves plain files.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Proof files: private storage, never served at a public URL ---------------------------
PROOF_STORAGE = _setting("PROOF_STORAGE", _choice("local", "s3"), "local")
PROOF_STORAGE_DIR = _setting("PROOF_STORAGE_DIR", Path, BASE_DIR / "var" / "proofs")
PROOF_MAX_FILE_MB = _setting("PROOF_MAX_FILE_MB", _positive_int, 10)
PROOF_MAX_CLAIM_MB = _setting("PROOF_MAX_CLAIM_MB", _positive_int, 50)
if PROOF_STORAGE == "local":
    STORAGES["proofs"] = {
        # No public URL: proof files are served only by a view that checks the asker.
        "BACKEND": "portal.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PROOF_STORAGE_DIR)},
    }
else:
    _bucket = _setting("PROOF_S3_BUCKET", str, None)
    if not _bucket:
        raise ImproperlyConfigured("PROOF_S3_BUCKET must be set when PROOF_STORAGE=s3")
    STORAGES["proofs"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": _setting("PROOF_S3_ENDPOINT_URL", str, None),
            "access_key": _setting("PROOF_S3_ACCESS_KEY", str, None),
            "secret_key": _setting("PROOF_S3_SECRET_KEY", str, None),
            "region_name": _setting("PROOF_S3_REGION", str, None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# --- Review ---------------------------------------------------------------------------------
# An approval above this amount needs a second reviewer's confirmation (four eyes).
APPROVAL_SECOND_REVIEWER_ABOVE = _setting(
    "APPROVAL_SECOND_REVIEWER_ABOVE", Decimal, Decimal("500.00")
)

# --- Mail -------------------------------------------------------------------------------------
_mail = _setting("EMAIL_URL", _email, {})
EMAIL_BACKEND = _mail.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = _mail.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _mail.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _mail.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _mail.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_mail.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_mail.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = _mail.get("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = _setting("DEFAULT_FROM_EMAIL", str, "SLA credits <credits@localhost>")

# --- Celery -------------------------------------------------------------------------------------
# With no REDIS_URL, tasks run in-process (eager) so the embedded default needs no services.
REDIS_URL = _setting("REDIS_URL", _redis, None)
CELERY_TASK_DEFAULT_QUEUE = _setting("CELERY_QUEUE", str, "portal")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than any countdown or eta a task is given, so Redis never redelivers a waiting task early.
# A message a dead worker held comes back after this many seconds (billing's periodic run
# repairs sooner what matters: grants).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _setting("CELERY_VISIBILITY_TIMEOUT", _positive_int, 6 * 3600)
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Static entries; the DatabaseScheduler copies them into its tables at start-up. Each expires
# before the next run is due, so a backlog after a worker outage runs once, not once per beat.
CELERY_BEAT_SCHEDULE = {
    # The outbox sweep: mail whose task was lost (broker outage) or gave up still goes out.
    "send-pending-notifications": {
        "task": "claims.tasks.send_pending",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Deadline warnings to reviewers and billing staff (claims.escalation).
    "escalate-deadlines": {
        "task": "claims.tasks.escalate_deadlines",
        "schedule": 15 * 60.0,
        "options": {"expires": 15 * 60},
    },
    # Billing: grant what approvals left ungranted, apply open credits, close cycles and issue
    # invoices, mark overdue ones, pay out terminated resellers (billing.tasks.run_billing).
    "run-billing": {
        "task": "billing.tasks.run_billing",
        "schedule": 5 * 60.0,
        "options": {"expires": 5 * 60},
    },
}
CELERY_TIMEZONE = "UTC"
BROKER_HEALTH_TIMEOUT = 2

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes "not logged in" a 401 (with session auth
    # first DRF answers 403), so the schema's 401 and 403 mean what they say.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Refusals of the claims services as 400/409 by field; every other error JSON (portal.api).
    "EXCEPTION_HANDLER": "claims.api.exception_handler",
    # The key the services use for errors about the request as a whole.
    "NON_FIELD_ERRORS_KEY": "__all__",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SLA credit portal API",
    "DESCRIPTION": "Quotes, claims and credits for hosted-services SLAs.",
    "VERSION": "1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

if not DEBUG:
    SESSION_COOKIE_SECURE = _setting("SESSION_COOKIE_SECURE", _bool, True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _setting("LOG_LEVEL", str.upper, "INFO")},
}
