"""A development OpenID Connect provider shaped like Pro Santé Connect (development, demo and tests only).

Authorization codes and access tokens are signed, short-lived and self-contained (Django signing);
a code is accepted once (the cache remembers used codes). ID tokens are RS256 JWTs (joserfc) whose
public key is published at jwks_uri. The "session" of the provider is one key in the Django session,
ended by the end-session endpoint.
"""

import base64
import hashlib
import secrets
import time
from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc import jwt

from rpps.registry import identifiers
from rpps.registry.models import Person

from . import keys
from .identities import BY_SLUG, TEST_IDENTITIES, claims_for_person, claims_without_rpps

CODE_MAX_AGE = 120
TOKEN_MAX_AGE = 600
SESSION_KEY = "devpsc_identity"
REDIRECT_PATHS = ("/portail/connexion/retour/",)
LOGOUT_PATHS = ("/portail/",)
LEVELS = {"eidas1": "e-CPS (eidas1)", "eidas2": "Carte CPS (eidas2)"}


def issuer(request) -> str:
    return request.build_absolute_uri("/dev-psc/")


def _same_site(request, url: str, paths) -> bool:
    parts = urlsplit(url or "")
    return parts.netloc == request.get_host() and parts.scheme in {"http", "https"} and parts.path in paths


@require_GET
def discovery(request):
    base = issuer(request)
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": base + "auth",
            "token_endpoint": base + "token",
            "userinfo_endpoint": base + "userinfo",
            "jwks_uri": base + "jwks",
            "end_session_endpoint": base + "logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "scope_all"],
            "acr_values_supported": list(LEVELS),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "SubjectNameID", "family_name", "given_name", "SubjectRefPro", "acr"],
        }
    )


@require_GET
def jwks(request):
    return JsonResponse(keys.public_jwks())


def _authorization_error(request, message: str, status=400):
    return render(
        request, "devpsc/error.html", {"title": "Demande de connexion invalide", "message": message}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request):
    params = request.POST if request.method == "POST" else request.GET
    if params.get("client_id") != settings.DEV_PSC_CLIENT_ID:
        return _authorization_error(request, "Application cliente inconnue.")
    redirect_uri = params.get("redirect_uri", "")
    if not _same_site(request, redirect_uri, REDIRECT_PATHS):
        return _authorization_error(request, "Adresse de retour non enregistrée pour cette application.")
    if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
        return _back(redirect_uri, {"error": "unsupported_response_type", "state": params.get("state", "")})
    if not params.get("nonce"):
        return _back(redirect_uri, {"error": "invalid_request", "state": params.get("state", "")})
    forwarded = {
        k: params.get(k, "") for k in ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce")
    }
    forwarded["acr_values"] = params.get("acr_values", "")
    error = ""
    if request.method == "POST":
        level = params.get("level") if params.get("level") in LEVELS else "eidas1"
        national_id = params.get("national_id", "").strip()
        identity = BY_SLUG.get(params.get("identity", ""))
        subject = None
        if national_id:
            subject, error = _subject_for_national_id(national_id)
        elif identity is not None:
            subject = {"slug": identity.slug}
            if identity.has_rpps:
                person = identity.person()
                subject = {"person": person.pk} if person else None
                error = "" if person else "Cette identité de test n'existe pas encore : lancez load_portal_demo."
        else:
            error = "Choisissez une identité de test ou saisissez un identifiant national."
        if subject is not None:
            request.session[SESSION_KEY] = subject
            code = signing.dumps(
                {**subject, "nonce": forwarded["nonce"], "redirect_uri": redirect_uri, "acr": level, "at": time.time()},
                salt="devpsc-code",
            )
            return _back(redirect_uri, {"code": code, "state": forwarded["state"]})
    choices = [
        {"identity": identity, "person": identity.person() if identity.has_rpps else None}
        for identity in TEST_IDENTITIES
    ]
    return render(
        request,
        "devpsc/authorize.html",
        {
            "title": "Pro Santé Connect — environnement de développement",
            "params": forwarded,
            "choices": choices,
            "levels": LEVELS,
            "error": error,
        },
        status=400 if error else 200,
    )


def _subject_for_national_id(national_id: str):
    try:
        parsed = identifiers.parse_idnps(national_id)
    except identifiers.InvalidIdentifier as exc:
        return None, str(exc)
    if parsed.kind != "RPPS":
        return None, "Seuls les identifiants « 8 » + RPPS sont gérés par ce fournisseur de développement."
    person = Person.objects.current().filter(rpps=parsed.number).first()
    if person is None:
        return None, "Aucun professionnel du répertoire n'a ce numéro RPPS."
    return {"person": person.pk}, ""


def _back(redirect_uri: str, params: dict):
    return HttpResponseRedirect(f"{redirect_uri}?{urlencode(params)}")


def _claims(subject: dict) -> dict | None:
    if "person" in subject:
        person = Person.objects.current().filter(pk=subject["person"]).first()
        return claims_for_person(person) if person else None
    identity = BY_SLUG.get(subject.get("slug", ""))
    return claims_without_rpps(identity) if identity else None


def _client_credentials(request) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        return unquote(client_id), unquote(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _token_error(error: str, status=400):
    return JsonResponse({"error": error}, status=status)


@csrf_exempt  # a back-channel call authenticated by the client secret, not a browser form
@never_cache
@require_POST
def token(request):
    client_id, secret = _client_credentials(request)
    if client_id != settings.DEV_PSC_CLIENT_ID or not secrets.compare_digest(secret, settings.DEV_PSC_CLIENT_SECRET):
        return _token_error("invalid_client", 401)
    if request.POST.get("grant_type") != "authorization_code":
        return _token_error("unsupported_grant_type")
    code = request.POST.get("code", "")
    try:
        data = signing.loads(code, salt="devpsc-code", max_age=CODE_MAX_AGE)
    except signing.BadSignature:
        return _token_error("invalid_grant")
    if not cache.add("devpsc-used-code:" + hashlib.sha256(code.encode()).hexdigest(), 1, CODE_MAX_AGE * 2):
        return _token_error("invalid_grant")  # a code is good once
    if request.POST.get("redirect_uri") != data["redirect_uri"]:
        return _token_error("invalid_grant")
    subject = {k: data[k] for k in ("person", "slug") if k in data}
    claims = _claims(subject)
    if claims is None:
        return _token_error("invalid_grant")
    now = int(time.time())
    id_claims = {
        "iss": issuer(request),
        "aud": client_id,
        "sub": claims["sub"],
        "iat": now,
        "exp": now + TOKEN_MAX_AGE,
        "auth_time": int(data["at"]),
        "nonce": data["nonce"],
        "acr": data["acr"],
        "authMode": "CARD" if data["acr"] == "eidas2" else "MOBILE",
        "SubjectNameID": claims.get("SubjectNameID", ""),
    }
    key = keys.signing_key()
    id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, id_claims, key)
    access_token = signing.dumps(subject, salt="devpsc-access")
    return JsonResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_MAX_AGE, "id_token": id_token},
        headers={"Cache-Control": "no-store"},
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _token_error("invalid_token", 401)
    try:
        subject = signing.loads(header[7:], salt="devpsc-access", max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return _token_error("invalid_token", 401)
    claims = _claims(subject)
    if claims is None:
        return _token_error("invalid_token", 401)
    return JsonResponse(claims)


@never_cache
@require_GET
def logout(request):
    request.session.pop(SESSION_KEY, None)
    target = request.GET.get("post_logout_redirect_uri", "")
    if _same_site(request, target, LOGOUT_PATHS):
        state = request.GET.get("state")
        return HttpResponseRedirect(target + (f"?{urlencode({'state': state})}" if state else ""))
    return render(
        request,
        "devpsc/error.html",
        {"title": "Déconnecté", "message": "Vous êtes déconnecté du fournisseur d'identité de développement."},
    )
