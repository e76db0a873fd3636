"""Security headers every response carries, and no caching of pages that show private data.

The pages hold no inline script, event handler or style attribute (tests/runtime/test_headers.py looks),
so the Content-Security-Policy allows the site's own files only. Forms post to the site itself, and the
sign-in redirects to Pro Santé Connect (Chrome applies form-action to the redirects after a POST).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.cache import patch_cache_control


def content_security_policy() -> str:
    issuer = urlsplit(settings.PSC_ISSUER or settings.PSC_DISCOVERY_URL)
    provider = f" {issuer.scheme}://{issuer.netloc}" if issuer.netloc else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'{provider}"
    )


# Browser features no page of this site uses.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(settings.PRIVATE_PATH_PREFIXES):
            # a signed-in page shows what only its reader may see: no copy in a shared or browser cache
            patch_cache_control(response, no_store=True, private=True)
        return response
