"""Development and demo (`make run`): embedded SQLite under var/, DEBUG on unless told otherwise."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403
from .base import VAR_DIR  # noqa: E402

VAR_DIR.mkdir(parents=True, exist_ok=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The development Pro Santé Connect provider (rpps.devpsc): never in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "rpps.devpsc"]  # noqa: F405
DEV_PSC_ENABLED = True
PSC_CLIENT_ID = PSC_CLIENT_ID or DEV_PSC_CLIENT_ID  # noqa: F405
PSC_CLIENT_SECRET = PSC_CLIENT_SECRET or DEV_PSC_CLIENT_SECRET  # noqa: F405
