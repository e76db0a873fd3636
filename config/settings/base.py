"""Settings shared by every environment. Values that differ per deployment come from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("RPPS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database and job queue live there by default

# Known insecure value: refused by the production settings.
DEFAULT_SECRET_KEY = "dev-insecure-secret-key-do-not-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rpps.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
# A read replica of the primary (streaming replication), for public reads (rpps.runtime.routing).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["rpps.runtime.routing.PublicReadRouter"]
PUBLIC_READ_PATHS = [
    "/recherche/",
    "/professionnel/",
    "/structure/",
    "/annuaire-sante-webservices/",
    "/extractions/",
    "/fhir/",
]
PRIMARY_ONLY_PATH_PARTS = ["/$export"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers while the server writes; long waits instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

INSTALLED_APPS = [
    # The operator console: Django's admin behind a TOTP second factor (config/admin_site.py).
    "config.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "widget_tweaks",
    "dsfr",
    "huey.contrib.djhuey",
    "storages",
    "rpps.runtime",
    "rpps.nomenclatures",
    "rpps.registry",
    "rpps.identity",
    "rpps.portal",
    "rpps.publication",
    "rpps.directory",
    "rpps.fhir",
    "rpps.www",
]

MIDDLEWARE = [
    # first: bounds what the others read (rpps/runtime/limits.py)
    "rpps.runtime.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "rpps.runtime.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "rpps.registry.history.ActorMiddleware",
    "rpps.runtime.routing.PublicReadMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Pages that show private data even before sign-in (forms of the portal, the console): never cached.
PRIVATE_PATH_PREFIXES = ("/portail/", "/admin/")
# Demo data and synthetic populations may be loaded (off in production: config/settings/prod.py).
SYNTHETIC_DATA_ALLOWED = True
# What one public read may cost the database (PostgreSQL): its statements are cancelled after this long.
PUBLIC_STATEMENT_TIMEOUT_MS = int(os.environ.get("PUBLIC_STATEMENT_TIMEOUT_MS", "3000"))
# Paths of APIs that answer bad requests in their own format (rpps/runtime/limits.py lets them).
API_PATH_PREFIXES = ("/fhir/",)
# The Cookie header, all cookies together: this site sets two (session, CSRF) of a few dozen bytes each.
COOKIE_MAX_BYTES = int(os.environ.get("COOKIE_MAX_BYTES", "8192"))

AUTHENTICATION_BACKENDS = [
    # Counts failed operator logins and locks the (username, address) pair out for a while.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/lockout.html"
AXES_VERBOSE = False

# Sessions: HttpOnly cookies (Django's default), SameSite=Lax so that the provider's redirect back
# carries the session, a working-day lifetime; Secure cookies and HSTS are set in prod.py.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "portal:home"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # the console's base template (admin/base_site.html: its stylesheet) before Django's own
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dsfr.context_processors.site_config",
                "rpps.portal.context_processors.portal_nav",
            ],
        },
    },
]

# django-dsfr's forms otherwise build a new renderer, hence a new template engine that parses every
# form template again, for each form (most of a search page's time); named here, it is built once.
FORM_RENDERER = "dsfr.forms.DsfrDjangoTemplates"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# E-mails to professionals (registration, changes): SMTP settings come from the environment in production.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "RPPS+ <ne-pas-repondre@rpps.example.org>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# The public address of the service, for the links e-mails carry (never taken from a request's Host).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Published extraction files: where, how many publications are kept, zip compression level (1-9).
PUBLICATION_DIR = Path(os.environ.get("PUBLICATION_DIR", VAR_DIR / "publications"))
PUBLICATION_KEEP = int(os.environ.get("PUBLICATION_KEEP", "7"))
PUBLICATION_ZLIB_LEVEL = int(os.environ.get("PUBLICATION_ZLIB_LEVEL", "6"))

# The RPPS+ portal's file imports.
PORTAL_BULK_MAX_ROWS = int(os.environ.get("PORTAL_BULK_MAX_ROWS", "10000"))
PORTAL_BULK_MAX_BYTES = int(os.environ.get("PORTAL_BULK_MAX_BYTES", str(5 * 1024 * 1024)))
# Files up to this many rows are checked within the request; larger ones by a job (a worker) while
# the page shows the progress.
PORTAL_BULK_INLINE_ROWS = int(os.environ.get("PORTAL_BULK_INLINE_ROWS", "300"))
# An uploaded file is read in a child process with these limits (rpps.runtime.sandbox): a file that
# makes its reader loop, swell or crash is refused, and the web worker never feels it. A 10,000-row
# workbook reads in about a second and 60 MB.
PORTAL_PARSE_CPU_SECONDS = int(os.environ.get("PORTAL_PARSE_CPU_SECONDS", "20"))
PORTAL_PARSE_MEMORY_MB = int(os.environ.get("PORTAL_PARSE_MEMORY_MB", "512"))
PORTAL_PARSE_WALL_SECONDS = int(os.environ.get("PORTAL_PARSE_WALL_SECONDS", "30"))
# Against using the import check as a search of private data: checks per account and day, and rows of
# one name under different birth dates or places in one file.
PORTAL_CHECKS_PER_DAY = int(os.environ.get("PORTAL_CHECKS_PER_DAY", "50"))
PORTAL_SAME_NAME_VARIANTS = int(os.environ.get("PORTAL_SAME_NAME_VARIANTS", "3"))
# An import checked but not confirmed keeps the typed rows (birth data) this many days, then they are erased.
PORTAL_IMPORT_KEEP_DAYS = int(os.environ.get("PORTAL_IMPORT_KEEP_DAYS", "7"))

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; failures are in its own tables and the audit log.
    "loggers": {"axes": {"level": "WARNING"}},
}


# RPPS numbers this instance allocates: an inclusive range of 10-digit bodies (the 11th digit is
# the Luhn key). Real RPPS numbers start with 1; the default range starts with 8 so that a
# development or demo instance can never hand out a number that exists in the real directory.
RPPS_ALLOCATION_RANGE = os.environ.get("RPPS_ALLOCATION_RANGE", "8000000000-8999999999")


def parse_rpps_range(value: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in value.split("-"))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"RPPS_ALLOCATION_RANGE must look like 1000000000-1999999999, got {value!r}"
        ) from exc
    if not (10**9 <= low <= high < 10**10):
        raise ImproperlyConfigured("RPPS_ALLOCATION_RANGE bounds must be 10-digit numbers, low <= high")
    return low, high


RPPS_ALLOCATION_BOUNDS = parse_rpps_range(RPPS_ALLOCATION_RANGE)

# Pro Santé Connect (OpenID Connect). The real provider publishes its discovery document under a
# non-standard name (reference/portal.md §2.1), hence PSC_DISCOVERY_URL. With the development
# provider on (DEV_PSC_ENABLED) and no issuer set, the portal uses http://<host>/dev-psc/.
PSC_ISSUER = os.environ.get("PSC_ISSUER", "")
PSC_DISCOVERY_URL = os.environ.get("PSC_DISCOVERY_URL", "")
PSC_CLIENT_ID = os.environ.get("PSC_CLIENT_ID", "")
PSC_CLIENT_SECRET = os.environ.get("PSC_CLIENT_SECRET", "")
PSC_SCOPE = "openid scope_all"
PSC_ACR_VALUES = "eidas1"
# PSC answers eidas2 for card sign-ins since 2026 (reference/portal.md §2.3): both are accepted.
PSC_ACCEPTED_ACR = env_list("PSC_ACCEPTED_ACR", ["eidas1", "eidas2"])
PSC_HTTP_TIMEOUT = float(os.environ.get("PSC_HTTP_TIMEOUT", "10"))
DEV_PSC_ENABLED = False
DEV_PSC_CLIENT_ID = "rpps-plus-dev"
DEV_PSC_CLIENT_SECRET = "dev-psc-client-secret"

# FHIR API (rpps.fhir): requests per second per API key (the official API: 17 per application).
FHIR_RATE_LIMIT = int(os.environ.get("FHIR_RATE_LIMIT", "17"))
# The public site, per client address and per minute: a person searching, not a robot harvesting
# (the extraction files and the API are made for bulk reads).
PUBLIC_SEARCH_RATE_LIMIT = int(os.environ.get("PUBLIC_SEARCH_RATE_LIMIT", "60"))
PUBLIC_PDF_RATE_LIMIT = int(os.environ.get("PUBLIC_PDF_RATE_LIMIT", "20"))
# Bundle.total by default: counted if the count takes less than this, else left out (as the official
# API does with 1,000 ms; its searches take seconds, ours tens of milliseconds).
FHIR_COUNT_BUDGET_MS = int(os.environ.get("FHIR_COUNT_BUDGET_MS", "25"))
# Deleted resources stay as tombstones this many days (at least 30, the official delta window).
FHIR_TOMBSTONE_DAYS = int(os.environ.get("FHIR_TOMBSTONE_DAYS", "90"))
# Resources one search page may include (_include, _revinclude): a page of 10 large hospitals can
# reference thousands of roles; past this, the Bundle says what was left out.
FHIR_MAX_INCLUDED = int(os.environ.get("FHIR_MAX_INCLUDED", "1000"))
# Later pages of a search show the registry as of the first page by undoing the changes made since;
# past this many changes the search has expired (410) and must be started again.
# A later page costs about 0.3 ms per change since its first page (bench/results.md): 2,000 bound it to ~0.6 s.
FHIR_SNAPSHOT_MAX_CHANGES = int(os.environ.get("FHIR_SNAPSHOT_MAX_CHANGES", "2000"))
# Bulk exports ($export): where their NDJSON files go, how long they are kept, whether they run in a
# background thread (the tests run them inline).
FHIR_EXPORT_KEEP_HOURS = int(os.environ.get("FHIR_EXPORT_KEEP_HOURS", "24"))
# Exports waiting or running, per API key and for the whole service: beyond, a kick-off is a 429.
FHIR_EXPORT_MAX_PER_KEY = int(os.environ.get("FHIR_EXPORT_MAX_PER_KEY", "2"))
FHIR_EXPORT_MAX_RUNNING = int(os.environ.get("FHIR_EXPORT_MAX_RUNNING", "6"))
FHIR_EXPORT_RETRY_AFTER = int(os.environ.get("FHIR_EXPORT_RETRY_AFTER", "60"))
# Worker processes of an export on PostgreSQL (one database snapshot shared between them): on two
# cores, three keep both busy while each in turn waits for the database (bench/results.md).
FHIR_EXPORT_WORKERS = int(os.environ.get("FHIR_EXPORT_WORKERS", "3"))

# --- Runtime: jobs, schedule, shared files, shared caches (docs/deployment.md) ----------------------
# Jobs go through Huey: Redis in production (JOBS_REDIS_URL), else an SQLite file beside the embedded
# database (`make run`: no service to start). Workers are `manage.py run_huey` processes; each runs
# JOB_WORKER_THREADS jobs at once (threads: an export starts its own processes, which daemonic
# process workers could not).
JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL", "")
JOB_WORKER_THREADS = int(os.environ.get("JOB_WORKER_THREADS", "2"))
HUEY = {
    "name": os.environ.get("JOBS_QUEUE_NAME", "rpps"),
    "immediate": env_bool("JOBS_IMMEDIATE", False),
    "results": False,
    "consumer": {"workers": JOB_WORKER_THREADS, "worker_type": "thread", "periodic": True},
}
if JOBS_REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": JOBS_REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "jobs.sqlite3")}
# A running job writes a sign of life this often; without one for JOB_STALE_SECONDS its worker is
# taken as dead: the job is sent again (or failed after its attempts). A queued job not taken for
# JOB_RESEND_QUEUED_SECONDS is sent again (a message lost with a broker restart).
JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "10"))
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", "60"))
JOB_RESEND_QUEUED_SECONDS = float(os.environ.get("JOB_RESEND_QUEUED_SECONDS", "600"))
JOB_KEEP_DAYS = int(os.environ.get("JOB_KEEP_DAYS", "30"))

# The periodic jobs and their hour (cron fields "minute hour day month day_of_week", UTC): the one
# place they are declared. Each also has a management command (`manage.py periodic <kind>`).
JOB_SCHEDULE = {
    "runtime.reap": "* * * * *",
    "fhir.purge_exports": "*/15 * * * *",
    "portal.expire_requests": "0 1 * * *",
    "portal.purge_imports": "10 1 * * *",
    "fhir.purge_tombstones": "20 1 * * *",
    "directory.index_dates": "30 1 * * *",
    "publication.publish": "0 2 * * *",
    "runtime.purge_jobs": "0 4 * * *",
}

# Shared files: publications and $export files go through Django's storage API. By default the local
# file system (one machine); with STORAGE_S3_BUCKET, S3-compatible object storage shared by every
# server and worker (django-storages).
STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
FHIR_EXPORT_DIR = Path(os.environ.get("FHIR_EXPORT_DIR", VAR_DIR / "fhir-exports"))


def _shared_storage(location: Path, prefix: str) -> dict:
    if not STORAGE_S3_BUCKET:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}}
    options = {
        "bucket_name": STORAGE_S3_BUCKET,
        "location": prefix,
        "file_overwrite": True,
        "default_acl": None,
        "querystring_auth": False,
    }
    for name, variable in (
        ("endpoint_url", "STORAGE_S3_ENDPOINT_URL"),
        ("region_name", "STORAGE_S3_REGION"),
        ("access_key", "STORAGE_S3_ACCESS_KEY_ID"),
        ("secret_key", "STORAGE_S3_SECRET_ACCESS_KEY"),
    ):
        if os.environ.get(variable):
            options[name] = os.environ[variable]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "publications": _shared_storage(PUBLICATION_DIR, "publications"),
    "exports": _shared_storage(FHIR_EXPORT_DIR, "fhir-exports"),
    # documents users give (a contract request's proof of authority): read by operators through the console
    "documents": _shared_storage(Path(os.environ.get("DOCUMENTS_DIR", VAR_DIR / "documents")), "documents"),
}
# Local scratch space of a worker (a publication's zips are written here, then stored).
WORK_DIR = Path(os.environ.get("WORK_DIR", VAR_DIR / "work"))

# Caches: local memory by default; Redis shared by every process in production (CACHE_REDIS_URL).
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_REDIS_URL}
    if CACHE_REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Caches built from shared data (nomenclature tables and the codings made from them) check the
# data's version in the database at most this often: a change is seen by every process within it.
SHARED_CACHE_CHECK_SECONDS = float(os.environ.get("SHARED_CACHE_CHECK_SECONDS", "5"))
