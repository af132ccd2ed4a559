"""Settings for the SLA credit portal: one file, every value read from the environment.

Every variable is listed in `.env.example`. Unset variables take a safe development default
(SQLite file, tasks run in-process, mail to the console). A value that cannot be understood stops
start-up with ImproperlyConfigured naming the variable, so a typo never runs silently.
"""

import warnings
from datetime import timedelta
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


def _site_url(raw):
    """An absolute http(s) address without a trailing slash."""
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or "://" == value[-3:]:
        raise ValueError("must start with http:// or https:// and name a host")
    return value


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


def _positive_float(raw):
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _rate(raw):
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) <= 0 or period[:1] not in {"s", "m", "h", "d"}:
        raise ValueError("use a rate such as 60/min (per s, min, hour or day)")
    return raw


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
_DEV_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105
# Keys that are public (this file, .env.example, old compose defaults): never used in production.
_PUBLIC_SECRET_KEYS = {
    _DEV_SECRET_KEY,
    "change-me-to-a-long-random-string",
    "change-me-in-dot-env",
}
SECRET_KEY = _setting("SECRET_KEY", str, None)
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY in _PUBLIC_SECRET_KEYS or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY is a published example key; set a long random one when DEBUG is false "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters when DEBUG is false")
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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "portal",
    "sla",
    "claims",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside every middleware that may read the body (CSRF): cleans up after all of them.
    "portal.middleware.UploadCleanupMiddleware",
    "portal.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.StaffMFAMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Under /api/, an error no view handled is JSON (500, or 503 for a lost database).
    "portal.api.ApiErrorsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the login into its response.
    "axes.middleware.AxesMiddleware",
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
# django-axes first: it counts failed logins and refuses a locked account or address before the
# password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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
# Where uploads wait on disk while they arrive (unset: the system's temporary folder). An
# upload cut off half-way is removed from here when its request ends (claims.uploads.handlers).
FILE_UPLOAD_TEMP_DIR = _setting("FILE_UPLOAD_TEMP_DIR", str, None)
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
# The portal's address as its users reach it: mail carries absolute links built on it.
SITE_URL = _setting("SITE_URL", _site_url, "http://127.0.0.1:8000")

# --- Celery -------------------------------------------------------------------------------------
# With no REDIS_URL, tasks run in-process (eager) so the embedded default needs no services.
REDIS_URL = _setting("REDIS_URL", _redis, None)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Two queues, so mail never waits in front of money: each filing queues a dozen mails, and a
# hundred filings would otherwise put a thousand sends ahead of the grants. Grants, applying
# and the billing run use the default queue; the claims app's mail and its sweeps the other.
CELERY_TASK_DEFAULT_QUEUE = _setting("CELERY_QUEUE", str, "portal")
CELERY_MAIL_QUEUE = _setting("CELERY_MAIL_QUEUE", str, "portal-mail")
if CELERY_MAIL_QUEUE == CELERY_TASK_DEFAULT_QUEUE:
    raise ImproperlyConfigured("CELERY_MAIL_QUEUE must differ from CELERY_QUEUE")
CELERY_TASK_ROUTES = {
    "claims.tasks.send_notification": {"queue": CELERY_MAIL_QUEUE},
    "claims.tasks.send_pending": {"queue": CELERY_MAIL_QUEUE},
    "claims.tasks.escalate_deadlines": {"queue": CELERY_MAIL_QUEUE},
    # Webhooks wait on other people's servers: never in front of grants.
    "billing.tasks.deliver_webhook": {"queue": CELERY_MAIL_QUEUE},
    "billing.tasks.sweep_webhooks": {"queue": CELERY_MAIL_QUEUE},
}

# A hung broker (a frozen Redis, a network that drops packets) must cost a request a bounded
# time, never a worker: every socket operation gives up after BROKER_TIMEOUT seconds and a
# publish is retried once, so `.delay()` fails within about 2 x BROKER_TIMEOUT. After-commit
# publishes swallow that failure (portal.tasks.publish); the periodic sweeps do the work.
BROKER_TIMEOUT = _setting("BROKER_TIMEOUT", _positive_float, 0.5)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any countdown or eta a task is given, so Redis never redelivers a waiting
    # task early. A message a dead worker held comes back after this many seconds (billing's
    # periodic run repairs sooner what matters: grants).
    "visibility_timeout": _setting("CELERY_VISIBILITY_TIMEOUT", _positive_int, 6 * 3600),
    "socket_timeout": BROKER_TIMEOUT,
    "socket_connect_timeout": BROKER_TIMEOUT,
    # Worker side: find a dead connection between polls, not at the next task.
    "health_check_interval": 10,
    "socket_keepalive": True,
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Workers outlive broker losses: retry the connection at start-up and for ever after, instead
# of exiting after 100 tries (compose's restart policy is the second line).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# --- Webhooks (billing.webhooks) ----------------------------------------------------------------
# http:// endpoints only in development; loopback and private targets only where allowed (tests).
WEBHOOK_ALLOW_HTTP = _setting("WEBHOOK_ALLOW_HTTP", _bool, DEBUG)
WEBHOOK_ALLOW_PRIVATE = _setting("WEBHOOK_ALLOW_PRIVATE", _bool, False)
WEBHOOK_TIMEOUT = _setting("WEBHOOK_TIMEOUT", _positive_float, 5.0)
WEBHOOK_MAX_ATTEMPTS = _setting("WEBHOOK_MAX_ATTEMPTS", _positive_int, 5)
WEBHOOK_BACKOFF_SECONDS = _setting("WEBHOOK_BACKOFF_SECONDS", _positive_float, 30.0)
WEBHOOK_SWEEP_SECONDS = _setting("WEBHOOK_SWEEP_SECONDS", _positive_float, 30.0)
WEBHOOK_SWEEP_LOOKBACK = _setting("WEBHOOK_SWEEP_LOOKBACK", _positive_int, 1000)

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
    # Webhooks: events of new claim and credit rows, and deliveries due (billing.webhooks).
    "sweep-webhooks": {
        "task": "billing.tasks.sweep_webhooks",
        "schedule": WEBHOOK_SWEEP_SECONDS,
        "options": {"expires": WEBHOOK_SWEEP_SECONDS},
    },
}
CELERY_TIMEZONE = "UTC"
# /healthz: how long the broker ping and the worker ping may take, each.
BROKER_HEALTH_TIMEOUT = _setting("BROKER_HEALTH_TIMEOUT", _positive_float, 1.0)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token class first: its WWW-Authenticate header makes "not logged in" a 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per token, per user and per client address (anonymous); 429 with Retry-After beyond.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.throttles.TokenRateThrottle",
        "portal.throttles.UserRateThrottle",
        "portal.throttles.AnonRateThrottle",
        "portal.throttles.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": _setting("API_RATE_TOKEN", _rate, "600/min"),
        "user": _setting("API_RATE_USER", _rate, "1200/min"),
        "anon": _setting("API_RATE_ANON", _rate, "60/min"),
        "quotes": _setting("API_RATE_QUOTES", _rate, "120/min"),
    },
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

# --- Security -----------------------------------------------------------------------------------
# A proxy in front (nginx, a load balancer) that sets X-Forwarded-Proto and X-Forwarded-For.
# Only then are those headers believed: without a proxy any client could claim HTTPS or another
# address. PROXY_COUNT is how many proxies append to X-Forwarded-For.
BEHIND_PROXY = _setting("BEHIND_PROXY", _bool, False)
PROXY_COUNT = _setting("PROXY_COUNT", _positive_int, 1)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    REST_FRAMEWORK["NUM_PROXIES"] = PROXY_COUNT
else:
    REST_FRAMEWORK["NUM_PROXIES"] = 0

SESSION_COOKIE_SECURE = _setting("SESSION_COOKIE_SECURE", _bool, not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx sends the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = _setting("SECURE_SSL_REDIRECT", _bool, not DEBUG)
# The container health check calls /healthz over plain HTTP inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = _setting("SECURE_HSTS_SECONDS", int, 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", _bool, not DEBUG)
SECURE_HSTS_PRELOAD = _setting("SECURE_HSTS_PRELOAD", _bool, False)

# Bodies: any request body that is not a file upload is refused (413) above this size, and DRF's
# parsers are held to it too (portal.middleware.BodySizeLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = _setting("MAX_BODY_MB", _positive_int, 5) * 1024 * 1024
# The quote API (SLA_RULES.md, "Size, for the API"); the quote_credit command has no limit.
QUOTE_MAX_BODY_BYTES = 5 * 1024 * 1024
QUOTE_MAX_QUOTES = 1000
QUOTE_MAX_INTERVALS = 10000

# Content Security Policy (django-csp): nothing inline, no eval; htmx's own indicator styles are
# turned off in base.html so style-src needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling and lockout (django-axes): AXES_FAILURE_LIMIT failed logins for one account,
# or from one client address, lock it for AXES_COOLOFF_MINUTES. Both logins (the portal's and
# the admin's) go through the same authentication backend. Staff unlock in the admin
# ("Access attempts": delete the rows) or with `manage.py axes_reset_username EMAIL`.
AXES_ENABLED = _setting("AXES_ENABLED", _bool, True)
AXES_FAILURE_LIMIT = _setting("AXES_FAILURE_LIMIT", _positive_int, 5)
AXES_COOLOFF_TIME = timedelta(minutes=_setting("AXES_COOLOFF_MINUTES", _positive_int, 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.auth.client_ip"
AXES_USERNAME_CALLABLE = "portal.auth.login_username"
AXES_VERBOSE = True

# MFA (django-otp: TOTP and recovery codes). Staff must enrol and verify a second factor before
# any page; customers may enrol from their account page. Off only for local trials and tests.
STAFF_MFA_REQUIRED = _setting("STAFF_MFA_REQUIRED", _bool, True)
OTP_TOTP_ISSUER = _setting("OTP_TOTP_ISSUER", str, "SLA credit portal")
# Approving money needs a password (and code, where enrolled) entered this recently.
RECENT_AUTH_MINUTES = _setting("RECENT_AUTH_MINUTES", int, 15)

# Sessions: logged out after SESSION_IDLE_TIMEOUT_MINUTES without a request, and in any case
# SESSION_MAX_AGE_HOURS after logging in.
SESSION_IDLE_TIMEOUT_MINUTES = _setting("SESSION_IDLE_TIMEOUT_MINUTES", _positive_int, 30)
SESSION_MAX_AGE_HOURS = _setting("SESSION_MAX_AGE_HOURS", _positive_int, 12)
SESSION_COOKIE_AGE = SESSION_MAX_AGE_HOURS * 3600

# Password reset mail: at most this many an hour per address asked for and per client address.
PASSWORD_RESET_PER_HOUR = _setting("PASSWORD_RESET_PER_HOUR", _positive_int, 3)

# API tokens: the longest lifetime a person may give a token they create.
API_TOKEN_MAX_DAYS = _setting("API_TOKEN_MAX_DAYS", _positive_int, 365)

# Counters (throttles, password-reset limits) must be shared by every web process: Redis when
# there is one, else this process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open with bounded sockets: rate limits never hang or fail a request on a
            # Redis that is away (portal/cache.py).
            "BACKEND": "portal.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal-cache",
            "OPTIONS": {
                "socket_timeout": BROKER_TIMEOUT,
                "socket_connect_timeout": BROKER_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _setting("LOG_LEVEL", str.upper, "INFO")},
    # django-axes logs each failed login and lockout as a warning; its start-up banner and
    # successful logins (info) would only add noise, also to the quote_credit command's stderr.
    "loggers": {"axes": {"level": "WARNING"}},
}
