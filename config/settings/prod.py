"""Production settings: refuse to start with DEBUG on or a missing/default secret key."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, DEFAULT_SECRET_KEY, DEV_PSC_ENABLED, SECRET_KEY, env_bool

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=false).")
if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters in production.")

if DEV_PSC_ENABLED or "rpps.devpsc" in INSTALLED_APPS:  # noqa: F405
    raise ImproperlyConfigured("The development identity provider must not run in production.")

# Demo and synthetic data never reach a production registry (load_demo, generate_population refuse).
SYNTHETIC_DATA_ALLOWED = False

# The proxy in front must overwrite X-Forwarded-Proto (never pass on a client's): docs/deployment.md.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
# The service has its own domain, all of it on HTTPS: its subdomains too, and browsers may ship it
# in their preload list. An operator serving it under a shared domain turns these off (docs/deployment.md).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}  # noqa: F405
