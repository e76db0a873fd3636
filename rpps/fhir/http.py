"""The FHIR API's HTTP conventions: FHIR JSON responses, OperationOutcome errors, request parameters,
Prefer preferences, and the ``api`` decorator every interaction goes through (API key, per-key rate
limit shared by the server processes, JSON only, access log)."""

import logging
import time
from functools import wraps

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from rpps.runtime import ratelimit
from rpps.runtime.routing import cancelled

from .models import ApiKey
from .search import SearchError

logger = logging.getLogger("rpps.fhir")
CONTENT_TYPE = "application/fhir+json; charset=utf-8"
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


def respond(body: dict, status: int = 200, *, pretty: bool = False, headers: dict | None = None) -> HttpResponse:
    text = orjson.dumps(body, option=orjson.OPT_INDENT_2 if pretty else 0)
    response = HttpResponse(text, status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(status: int, message: str, code: str = "processing", **headers) -> HttpResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": message}]}
    return respond(body, status, headers=headers)


def parameters(request) -> list[tuple[str, str]]:
    """The request's parameters: those of the URL, then (POST _search, FHIR R4 §3.1.1.3) those of the
    form body — R4: "the server SHALL combine them" when both are present."""
    found = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    if request.method == "POST":
        found += [(k, v) for k in request.POST for v in request.POST.getlist(k)]
    return found


PRODUCIBLE = {"*/*", "application/*", "application/fhir+json", "application/json", "application/json+fhir"}


NDJSON_PRODUCIBLE = {"*/*", "application/*", "application/fhir+ndjson", "application/ndjson"}


def accepts(request, producible: set[str]) -> bool:
    """Whether the Accept header (absent: anything) admits what the view produces (RFC 9110 §12.5.1;
    a range with q=0 is refused)."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return True
    for item in header.split(","):
        media, *options = (part.strip() for part in item.split(";"))
        weight = next((o.partition("=")[2] for o in options if o.startswith("q=")), "1")
        if media.lower() in producible and weight not in ("0", "0.0", "0.00", "0.000"):
            return True
    return False


def pretty(params) -> bool:
    return any(k == "_pretty" and v == "true" for k, v in params)


def api(view=None, *, produces: set[str] = PRODUCIBLE):
    """API key, per-key rate limit, JSON only (406 for an Accept it cannot serve: ``produces``), access
    log (key prefix, path, status, time; no body)."""
    if view is None:
        return lambda view: api(view, produces=produces)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        started = time.perf_counter()
        key = ApiKey.find(request.headers.get("ESANTE-API-KEY", ""))
        params = parameters(request)
        if key is None:
            response = outcome(
                401,
                "Clé d'API absente ou invalide : en-tête ESANTE-API-KEY.",
                "login",
                **{"WWW-Authenticate": 'ApiKey header="ESANTE-API-KEY"'},
            )
        elif not _within_rate(key):
            response = outcome(
                429,
                f"Trop de requêtes : {settings.FHIR_RATE_LIMIT} par seconde au plus pour une clé.",
                "throttled",
                **{"Retry-After": "1"},
            )
        elif any("\x00" in k or "\x00" in v for k, v in params):
            # no parameter of any search may hold one, and the database refuses them: a clear 400
            response = outcome(400, "Paramètre invalide : une valeur contient un caractère nul (%00).", "invalid")
        else:
            formats = [v for k, v in params if k == "_format"]
            if not formats and not accepts(request, produces):  # _format, when given, wins over Accept (R4 §3.1.0.1.6)
                response = outcome(
                    406,
                    "Format demandé (en-tête Accept) non produit : seul JSON est servi (application/fhir+json).",
                    "not-supported",
                )
            elif any(f not in JSON_FORMATS for f in formats):
                response = outcome(
                    400, "Paramètre « _format » : seul JSON est servi (json, application/fhir+json).", "not-supported"
                )
            else:
                try:
                    response = view(request, *args, **kwargs)
                except SearchError as exc:
                    response = outcome(400, str(exc), "invalid")
                except Exception as exc:
                    response = _failure(request, exc)
        logger.info(
            "%s %s %s %s %.1fms",
            key.prefix if key else "-",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    return wrapper


def _failure(request, exc: Exception) -> HttpResponse:
    """A FHIR client reads an OperationOutcome, never an HTML page."""
    if cancelled(exc):  # the public statement timeout (rpps.runtime.routing)
        return outcome(
            400,
            f"Requête trop coûteuse : elle dépasse {settings.PUBLIC_STATEMENT_TIMEOUT_MS / 1000:g} s de calcul. "
            "Précisez-la (plus de critères, _count plus petit, _total=none).",
            "too-costly",
        )
    # the traceback goes to the server's log only (it names code, not the request's values)
    logger.exception("%s %s : erreur interne", request.method, request.path)
    return outcome(
        500,
        "Erreur interne du serveur : la requête n'a pas abouti. Réessayez plus "
        "tard ; si l'erreur persiste, signalez-la avec l'heure de la requête.",
        "exception",
    )


def _within_rate(key: ApiKey) -> bool:
    allowed, _ = ratelimit.hit("fhir", key.pk, settings.FHIR_RATE_LIMIT)
    return allowed


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/v2/")


def prefers(request, preference: str) -> bool:
    """Whether the Prefer header (comma-separated preferences, each with ;-parameters) holds it."""
    return any(p.split(";")[0].strip() == preference for p in request.headers.get("Prefer", "").split(","))


def lenient(request) -> bool:
    return prefers(request, "handling=lenient")
