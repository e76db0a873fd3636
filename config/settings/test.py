"""Test settings: same code paths as production, fast password hashing."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

VAR_DIR.mkdir(parents=True, exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run in the process that enqueues them unless a test starts real workers (JOBS_IMMEDIATE=false).
HUEY["immediate"] = env_bool("JOBS_IMMEDIATE", True)  # noqa: F405

# Static files are served by Django's test client finders; WhiteNoise would look for collected files.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405

# The development Pro Santé Connect provider (rpps.devpsc): never in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "rpps.devpsc"]  # noqa: F405
DEV_PSC_ENABLED = True
PSC_CLIENT_ID = PSC_CLIENT_ID or DEV_PSC_CLIENT_ID  # noqa: F405
PSC_CLIENT_SECRET = PSC_CLIENT_SECRET or DEV_PSC_CLIENT_SECRET  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the live server used by browser tests then gives each request thread its
    # own connection (the portal calls the development provider while serving a request).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
# No persistent connections: live-server threads must not keep the test database open at teardown.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Tests call the FHIR API faster than 17 requests per second; the limit is tested with its own value.
FHIR_RATE_LIMIT = 10_000

# The test process reads the shared nomenclature version once (a change made in it is seen at once):
# a check falling due in the middle of a request would make query counts depend on the clock. Servers
# started by tests set their own delay in the environment.
if "SHARED_CACHE_CHECK_SECONDS" not in os.environ:
    SHARED_CACHE_CHECK_SECONDS = 3600
