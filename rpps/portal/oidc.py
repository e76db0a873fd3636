"""Pro Santé Connect sign-in: OpenID Connect authorization code flow (reference/portal.md §2).

Authlib's OAuth2Session builds the authorization request and exchanges the code (client secret
over HTTP Basic); joserfc checks the ID token's signature against the provider's JWKS and its
claims (issuer, audience, expiry, nonce); the eIDAS level is checked here. Every check failure is a
`SignInRefused` with a French message for the user; the technical reason goes to the audit log.
"""

import secrets
import time
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

SESSION_KEY = "psc_pending"
ID_TOKEN_KEY = "psc_id_token"
_metadata_cache: dict[str, tuple[float, dict]] = {}
METADATA_TTL = 3600


class SignInRefused(Exception):
    def __init__(self, message: str, reason: str):
        super().__init__(reason)
        self.message = message
        self.reason = reason


GENERIC = "La connexion avec Pro Santé Connect a échoué. Recommencez ; si l'erreur persiste, contactez l'assistance."


def issuer(request) -> str:
    if settings.PSC_ISSUER:
        return settings.PSC_ISSUER
    if settings.DEV_PSC_ENABLED:
        # The development provider is served by this very site, on whatever host it runs.
        return request.build_absolute_uri("/dev-psc/")
    return ""


def configured(request) -> bool:
    return bool(issuer(request) and settings.PSC_CLIENT_ID and settings.PSC_CLIENT_SECRET)


def _http() -> requests.Session:
    return requests.Session()


def metadata(request) -> dict:
    iss = issuer(request)
    url = settings.PSC_DISCOVERY_URL or iss.rstrip("/") + "/.well-known/openid-configuration"
    cached = _metadata_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = _http().get(url, timeout=settings.PSC_HTTP_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused(
            "Pro Santé Connect ne répond pas pour le moment. Réessayez dans quelques minutes.",
            f"découverte impossible : {type(exc).__name__}",
        ) from exc
    _metadata_cache[url] = (time.monotonic() + METADATA_TTL, document)
    return document


def _client(redirect_uri: str) -> OAuth2Session:
    session = OAuth2Session(
        settings.PSC_CLIENT_ID,
        settings.PSC_CLIENT_SECRET,
        scope=settings.PSC_SCOPE,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
    )
    return session


def begin(request, redirect_uri: str) -> str:
    """The provider URL to send the browser to; state and nonce are kept in the session."""
    meta = metadata(request)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_hex(32)
    url, _ = _client(redirect_uri).create_authorization_url(
        meta["authorization_endpoint"], state=state, nonce=nonce, acr_values=settings.PSC_ACR_VALUES
    )
    request.session[SESSION_KEY] = {"state": state, "nonce": nonce, "redirect_uri": redirect_uri}
    return url


def complete(request) -> tuple[dict, str]:
    """Checks the provider's answer; returns (claims, id_token). The pending state is used once."""
    pending = request.session.pop(SESSION_KEY, None)
    if request.GET.get("error"):
        raise SignInRefused(
            "La connexion a été annulée ou refusée par Pro Santé Connect.",
            f"erreur du fournisseur : {request.GET.get('error')[:100]}",
        )
    if not pending:
        raise SignInRefused(GENERIC, "réponse sans demande de connexion en cours (rejouée ou expirée)")
    if not secrets.compare_digest(str(request.GET.get("state", "")), pending["state"]):
        raise SignInRefused(GENERIC, "paramètre state différent de celui envoyé")
    code = request.GET.get("code")
    if not code:
        raise SignInRefused(GENERIC, "réponse sans code d'autorisation")
    meta = metadata(request)
    client = _client(pending["redirect_uri"])
    try:
        token = client.fetch_token(
            meta["token_endpoint"], code=code, timeout=settings.PSC_HTTP_TIMEOUT, grant_type="authorization_code"
        )
    except Exception as exc:  # Authlib raises OAuthError, requests its own: both mean "no token"
        raise SignInRefused(GENERIC, f"échange du code refusé : {type(exc).__name__}") from exc
    id_token = token.get("id_token")
    if not id_token:
        raise SignInRefused(GENERIC, "réponse du fournisseur sans jeton d'identité")
    claims = verify_id_token(request, meta, id_token, pending["nonce"])
    userinfo = fetch_userinfo(meta, token["access_token"], claims["sub"])
    return {**userinfo, **{k: claims[k] for k in ("sub", "acr") if k in claims}}, id_token


def verify_id_token(request, meta: dict, id_token: str, nonce: str) -> dict:
    try:
        response = _http().get(meta["jwks_uri"], timeout=settings.PSC_HTTP_TIMEOUT)
        response.raise_for_status()
        keys = KeySet.import_key_set(response.json())
    except (requests.RequestException, ValueError, JoseError) as exc:
        raise SignInRefused(GENERIC, f"clés du fournisseur illisibles : {type(exc).__name__}") from exc
    algorithms = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    try:
        token = jwt.decode(id_token, keys, algorithms=[a for a in algorithms if a != "none"])
    except (JoseError, ValueError) as exc:
        raise SignInRefused(GENERIC, f"signature du jeton d'identité invalide : {type(exc).__name__}") from exc
    registry = jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": meta.get("issuer") or issuer(request)},
        aud={"essential": True, "value": settings.PSC_CLIENT_ID},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise SignInRefused(GENERIC, f"jeton d'identité refusé : {exc.error} {exc.description or ''}".strip()) from exc
    # OpenID Connect Core §3.1.3.7: a token for several audiences names the party it was issued to (azp),
    # which must be this client; a token naming another authorised party is someone else's.
    audiences = token.claims["aud"] if isinstance(token.claims["aud"], list) else [token.claims["aud"]]
    azp = token.claims.get("azp")
    if (len(audiences) > 1 and azp is None) or (azp is not None and azp != settings.PSC_CLIENT_ID):
        raise SignInRefused(GENERIC, f"jeton d'identité refusé : azp {str(azp)[:40]} pour {len(audiences)} audiences")
    acr = token.claims.get("acr")
    if acr not in settings.PSC_ACCEPTED_ACR:
        raise SignInRefused(
            "Le niveau d'authentification de votre moyen de connexion est insuffisant pour ce service.",
            f"niveau eIDAS refusé : {str(acr)[:20]}",
        )
    return token.claims


def fetch_userinfo(meta: dict, access_token: str, subject: str) -> dict:
    try:
        response = _http().get(
            meta["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.PSC_HTTP_TIMEOUT,
        )
        response.raise_for_status()
        if response.headers.get("Content-Type", "").startswith("application/jwt"):
            # PSC may sign its user info; the signature was already trusted for the ID token's keys.
            keys = KeySet.import_key_set(_http().get(meta["jwks_uri"], timeout=settings.PSC_HTTP_TIMEOUT).json())
            info = jwt.decode(response.text, keys).claims
        else:
            info = response.json()
    except (requests.RequestException, ValueError, JoseError) as exc:
        raise SignInRefused(GENERIC, f"informations d'utilisateur illisibles : {type(exc).__name__}") from exc
    if info.get("sub") != subject:
        raise SignInRefused(GENERIC, "informations d'utilisateur d'un autre sujet que le jeton d'identité")
    return info


def logout_url(request, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL, so that signing out of the portal signs out of PSC too."""
    try:
        endpoint = metadata(request).get("end_session_endpoint")
    except SignInRefused:
        return None
    if not endpoint:
        return None
    params = {"post_logout_redirect_uri": post_logout_redirect_uri, "state": secrets.token_urlsafe(16)}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(params)}"
