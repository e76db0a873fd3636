"""The FHIR R4 API at /fhir/v2/, compatible with the Annuaire Santé API v2 (reference/fhir.md §1)."""

import datetime
import json
import logging
import time
import uuid
from functools import wraps
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connections, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from rpps.registry import past
from rpps.registry.memory import without_cycle_collector
from rpps.runtime import files

from . import capability, export, gone, paging, ratelimit, versions
from .includes import included, includes_of
from .models import ApiKey, Export, Tombstone
from .resources import BUILDERS, MODELS, instant, parse_id, version_id
from .search import SearchError, conditions, count_parameter, date_range, unknown_parameters

logger = logging.getLogger("rpps.fhir")
CONTENT_TYPE = "application/fhir+json; charset=utf-8"
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
PAGE_SALT = "rpps.fhir.page"


def _response(body: dict, status: int = 200, *, pretty: bool = False, headers: dict | None = None) -> HttpResponse:
    text = orjson.dumps(body, option=orjson.OPT_INDENT_2 if pretty else 0)
    response = HttpResponse(text, status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(status: int, message: str, code: str = "processing", **headers) -> HttpResponse:
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}]}  # fmt: skip
    return _response(body, status, headers=headers)


def _params(request) -> list[tuple[str, str]]:
    source = request.POST if request.method == "POST" else request.GET
    return [(k, v) for k in source for v in source.getlist(k)]


def _pretty(params) -> bool:
    return any(k == "_pretty" and v == "true" for k, v in params)


def api(view):
    """API key, per-key rate limit, JSON only, access log (key prefix, path, status, time; no body)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        started = time.perf_counter()
        key = ApiKey.find(request.headers.get("ESANTE-API-KEY", ""))
        if key is None:
            response = outcome(401, "Clé d'API absente ou invalide : en-tête ESANTE-API-KEY.", "login")
        elif not _within_rate(key):
            response = outcome(429, f"Trop de requêtes : {settings.FHIR_RATE_LIMIT} par seconde au plus pour une clé.",
                               "throttled", **{"Retry-After": "1"})  # fmt: skip
        else:
            formats = [v for k, v in _params(request) if k == "_format"]
            if any(f not in JSON_FORMATS for f in formats):
                response = outcome(400, "Paramètre « _format » : seul JSON est servi (json, application/fhir+json).",
                                   "not-supported")  # fmt: skip
            else:
                try:
                    response = view(request, *args, **kwargs)
                except SearchError as exc:
                    response = outcome(400, str(exc), "invalid")
        logger.info("%s %s %s %s %.1fms", key.prefix if key else "-", request.method, request.path,
                    response.status_code, (time.perf_counter() - started) * 1000)  # fmt: skip
        return response

    return wrapper


def _second() -> int:
    return int(time.time())


def _within_rate(key: ApiKey) -> bool:
    return ratelimit.hit(key.pk, _second()) <= settings.FHIR_RATE_LIMIT


def _base(request) -> str:
    return request.build_absolute_uri("/fhir/v2/")


# --- metadata, read ------------------------------------------------------------------------------


@csrf_exempt
def metadata(request):
    if request.method not in ("GET", "HEAD"):
        return outcome(405, "Seule la lecture (GET) est possible sur metadata.", "not-supported")
    return _response(capability.statement(_base(request)), pretty=request.GET.get("_pretty") == "true")


@api
def read(request, resource_type: str, resource_id: str):
    _, resource, error = _lookup(request, resource_type, resource_id)
    if error:
        return error
    return _conditional(request, resource) or _response(resource, pretty=_pretty(_params(request)),
                                                        headers=_version_headers(resource))  # fmt: skip


def _read_only(request) -> HttpResponse | None:
    if request.method not in ("GET", "HEAD"):
        return outcome(405, f"Interaction {request.method} non prise en charge : l'API est en lecture seule.",
                       "not-supported")  # fmt: skip
    return None


def _current(resource_type: str, resource_id: str) -> tuple[int | None, dict | None]:
    pk = parse_id(resource_type, resource_id)
    if pk is None:
        return None, None
    return pk, BUILDERS[resource_type]([pk]).get(pk) or gone.read(resource_type, pk)


def _lookup(request, resource_type: str, resource_id: str) -> tuple[int | None, dict | None, HttpResponse | None]:
    """(id, current resource or tombstone, None), or (None, None, the error to answer)."""
    refused = _read_only(request)
    if refused:
        return None, None, refused
    pk, resource = _current(resource_type, resource_id)
    if resource is None:
        return None, None, outcome(404, f"Ressource {resource_type}/{resource_id[:64]} introuvable.", "not-found")
    return pk, resource, None


@api
def history(request, resource_type: str, resource_id: str):
    """The versions of a resource, newest first (Bundle of type history): _count (default 50), _since."""
    pk, resource, error = _lookup(request, resource_type, resource_id)
    if error:
        return error
    params = _params(request)
    unknown = [k for k, _ in params if k not in ("_count", "_since", "_format", "_pretty")]
    if unknown:
        raise SearchError(f"Paramètre « {unknown[0]} » inconnu pour l'historique (possibles : _count, _since)")
    count = count_parameter(params)
    moments = versions.moments(resource_type, pk)
    since = next((v for k, v in params if k == "_since"), None)
    if since is not None:
        _, start, _ = date_range(since)
        moments = [m for m in moments if m >= start]
    entries = []
    base = _base(request)
    for position, moment in enumerate(moments[:count]):
        if position == 0 and resource["meta"]["versionId"] == version_id(moment):
            version = resource  # the current version
        else:
            version = versions.as_of(resource_type, pk, moment)
        first = moment == moments[-1] and since is None
        url = f"{resource_type}/{resource_id}"
        if version is None:  # deleted at that moment
            entries.append({"request": {"method": "DELETE", "url": url},
                            "response": {"status": "204", "lastModified": instant(moment)}})  # fmt: skip
            continue
        entries.append({"fullUrl": f"{base}{url}/_history/{version['meta']['versionId']}", "resource": version,
                        "request": {"method": "POST" if first else "PUT", "url": resource_type if first else url},
                        "response": {"status": "201" if first else "200", "lastModified": instant(moment),
                                     "etag": f'W/"{version["meta"]["versionId"]}"'}})  # fmt: skip
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": instant(timezone.now())},
              "type": "history", "total": len(moments),
              "link": [{"relation": "self", "url": request.build_absolute_uri()}], "entry": entries}  # fmt: skip
    return _response(bundle, pretty=_pretty(params))


@api
def vread(request, resource_type: str, resource_id: str, vid: str):
    pk, resource, error = _lookup(request, resource_type, resource_id)
    if error:
        return error
    if resource["meta"]["versionId"] != vid:
        moment = versions.find(resource_type, pk, vid) if vid.isdigit() else None
        resource = versions.as_of(resource_type, pk, moment) if moment is not None else None
        if resource is None:
            return outcome(404, f"Version {vid[:32]} de {resource_type}/{resource_id[:64]} introuvable.", "not-found")
    return _response(resource, pretty=_pretty(_params(request)), headers=_version_headers(resource))


def _version_headers(resource: dict) -> dict:
    updated = datetime.datetime.fromisoformat(resource["meta"]["lastUpdated"])
    return {"ETag": f'W/"{resource["meta"]["versionId"]}"', "Last-Modified": http_date(updated.timestamp())}


def _conditional(request, resource: dict) -> HttpResponse | None:
    """304 when the client's copy is current (Django's conditional rules: If-None-Match, compared
    weakly, first, else If-Modified-Since), with the version's headers; None otherwise."""
    current = HttpResponse()
    for name, value in _version_headers(resource).items():
        current[name] = value
    updated = datetime.datetime.fromisoformat(resource["meta"]["lastUpdated"])
    answer = get_conditional_response(request, etag=current["ETag"], last_modified=int(updated.timestamp()),
                                      response=current)  # fmt: skip
    return None if answer is current else answer


# --- search and paging ---------------------------------------------------------------------------


@api
def search(request, resource_type: str):
    if request.method not in ("GET", "HEAD") and not request.path.endswith("/_search"):
        return outcome(405, f"Interaction {request.method} non prise en charge : l'API est en lecture seule.",
                       "not-supported")  # fmt: skip
    params = _params(request)
    ignored = []
    if _lenient(request):  # unknown parameters are left out and reported, instead of a 400
        ignored = unknown_parameters(resource_type, params)
        params = [(k, v) for k, v in params if k not in ignored]
    return _bundle(request, resource_type, params, started_at=timezone.now(), ignored=ignored)


def _prefers(request, preference: str) -> bool:
    """Whether the Prefer header (comma-separated preferences, each with ;-parameters) holds it."""
    return any(p.split(";")[0].strip() == preference for p in request.headers.get("Prefer", "").split(","))


def _lenient(request) -> bool:
    return _prefers(request, "handling=lenient")


@api
def page(request):
    try:
        state = signing.loads(request.GET.get("id", ""), salt=PAGE_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return outcome(400, "Lien de page invalide ou expiré (24 h) : relancez la recherche.", "invalid")
    started_at = timezone.datetime.fromisoformat(state["at"])
    # Every page shows the registry as it was when the first one was served (read through the
    # changes recorded since, undone in memory: rpps.registry.past): same matches, contents, total.
    try:
        with past.as_of(started_at, limit=settings.FHIR_SNAPSHOT_MAX_CHANGES):
            return _bundle(request, state["type"], [tuple(p) for p in state["params"]], position=state["pos"],
                           backward=state["back"], total=state["total"], started_at=started_at)  # fmt: skip
    except past.TooManyChanges:
        return outcome(410, "L'annuaire a trop changé depuis la première page de cette recherche "
                            f"(plus de {settings.FHIR_SNAPSHOT_MAX_CHANGES} modifications) : relancez-la.",
                       "expired")  # fmt: skip


ESTIMATE_TOO_MANY = 20_000  # rows PostgreSQL cannot count within the default budget (measured: ~25 ms for 20,000)


def _estimate(queryset) -> int:
    sql, params = queryset.values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _total(queryset, mode: str, page_ms: float) -> int | None:
    """_total: none; accurate (a count); estimate (the planner's estimate on PostgreSQL: instant, within
    its statistics' error); by default an exact count if it fits in FHIR_COUNT_BUDGET_MS, else none —
    not even started when the estimate says it cannot fit, or when the page itself took longer than
    the budget (the matches were costly to find: counting them all would cost as much)."""
    if mode == "none":
        return None
    if mode == "accurate" or connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    estimate = _estimate(queryset)
    if mode == "estimate":
        return estimate
    if estimate > ESTIMATE_TOO_MANY or page_ms > settings.FHIR_COUNT_BUDGET_MS:  # it would not fit: do not start
        return None
    try:
        with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(settings.FHIR_COUNT_BUDGET_MS)}")
            return queryset.count()
    except DatabaseError:
        return None


@without_cycle_collector()  # a page of up to 1000 resources and their includes
def _bundle(request, resource_type, params, *, position=None, backward=False, total=None, started_at,
            ignored=()) -> HttpResponse:  # fmt: skip
    """One page of a search: the first (position None) or the one after/before a cursor's position."""
    model = MODELS[resource_type]
    count = count_parameter(params)
    where = conditions(resource_type, params)
    queryset = model.objects.filter(where)
    total_mode = next((v for k, v in params if k == "_total"), "")
    if total_mode not in ("", "none", "estimate", "accurate"):
        raise SearchError(f"Paramètre « _total », valeur « {total_mode} » : none, estimate ou accurate attendu")
    summary = next((v for k, v in params if k == "_summary"), "false")
    if summary not in ("count", "false"):
        raise SearchError(f"Paramètre « _summary », valeur « {summary} » : seuls count et false sont pris en charge")
    tombstones = gone.conditions(resource_type, params)
    # None: no tombstone can match (most searches): no query at all
    gone_queryset = Tombstone.objects.filter(tombstones) if tombstones is not None else None
    if summary == "count":
        total = queryset.count() + (gone_queryset.count() if gone_queryset is not None else 0)
        return _response({"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset", "total": total,
                          "meta": {"lastUpdated": instant(timezone.now())}}, pretty=_pretty(params))  # fmt: skip
    includes = includes_of(resource_type, params)
    elements = _elements(params)
    first_page = position is None and not backward
    if not first_page and gone_queryset is not None:  # deletions since the first page are not in its snapshot
        gone_queryset = gone_queryset.filter(deleted_at__lte=started_at)
    results = paging.Results(resource_type, params, where, gone_queryset)
    position = results.decode(position)
    timed = time.perf_counter()
    if backward:
        rows = results.before(position, count + 1)
        earlier, later = len(rows) > count, True
        rows = rows[-count:] if count else []
    else:
        rows = results.after(position, count + 1)
        earlier, later = position is not None, len(rows) > count
        rows = rows[:count]
    page_ms = (time.perf_counter() - timed) * 1000
    ids = [results.resource_id(r) for r in rows if r[0] == "live"]
    dead_ids = [r[1] for r in rows if r[0] == "gone"]
    dead = list(Tombstone.objects.filter(pk__in=dead_ids).order_by("pk")) if dead_ids else []
    if first_page and total_mode != "none":
        # A first page that holds everything is its own count; otherwise count (within the budget).
        total = len(rows) if not later else _total(results.live, total_mode, page_ms)
        if later and total is not None and gone_queryset is not None:
            total += gone_queryset.count()
    resources = BUILDERS[resource_type](ids)
    base = _base(request)
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": instant(timezone.now())},
              "type": "searchset"}  # fmt: skip
    if total is not None:
        bundle["total"] = total
    shown = [(k, v) for k, v in params if k not in ("_format", "_pretty")]
    links = [{"relation": "self", "url": f"{base}{resource_type}?{urlencode(shown)}"}]

    def cursor(relation: str, at, back: bool = False) -> None:
        state = {"type": resource_type, "params": shown, "total": total, "at": started_at.isoformat(),
                 "pos": results.encode(at), "back": back}  # fmt: skip
        token = signing.dumps(state, salt=PAGE_SALT, compress=True)
        links.append({"relation": relation, "url": f"{base}_page?{urlencode({'id': token})}"})

    if earlier or later:
        cursor("first", None)
    if earlier and rows:
        cursor("previous", rows[0], back=True)
    if later and rows:
        cursor("next", rows[-1])
    bundle["link"] = links
    entries = [(resource_type, resources[pk], "match") for pk in ids if pk in resources]
    entries += [(resource_type, gone.resource(t), "match") for t in dead]
    seen = {(resource_type, pk) for pk in ids}
    for kind, wanted in included(resource_type, includes, ids):
        for pk, resource in BUILDERS[kind](wanted).items():
            if (kind, pk) not in seen:
                seen.add((kind, pk))
                entries.append((kind, resource, "include"))
    bundle["entry"] = [
        {"fullUrl": f"{base}{kind}/{resource['id']}", "resource": _subset(resource, elements) if elements else resource,
         "search": {"mode": mode}}
        for kind, resource, mode in entries
    ]  # fmt: skip
    if ignored:
        bundle["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "warning", "code": "not-supported",
             "diagnostics": f"Paramètre « {name} » inconnu pour la ressource {resource_type} : ignoré "
                            "(Prefer: handling=lenient)"} for name in ignored]}, "search": {"mode": "outcome"}})  # fmt: skip
    return _response(bundle, pretty=_pretty(params))


def _elements(params) -> set[str] | None:
    values = [v for k, v in params if k == "_elements"]
    if not values:
        return None
    return {name.strip() for value in values for name in value.split(",") if name.strip()}


SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED",
             "display": "subsetted"}  # fmt: skip


def _subset(resource: dict, elements: set[str]) -> dict:
    """_elements: the elements asked for, plus those a resource cannot go without, tagged SUBSETTED."""
    kept = {k: v for k, v in resource.items() if k in elements or k in ("resourceType", "id", "meta")}
    kept["meta"] = kept["meta"] | {"tag": [SUBSETTED]}
    return kept


# --- bulk export (FHIR Bulk Data: kick-off, status, files) ------------------------------------------

NDJSON = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


@api
def export_start(request):
    if request.method != "GET":
        return outcome(405, "Le lancement d'un export se fait en GET.", "not-supported")
    if not _prefers(request, "respond-async"):
        return outcome(400, "En-tête « Prefer: respond-async » requis : l'export est asynchrone.", "invalid")
    params = _params(request)
    unknown = [k for k, _ in params if k not in ("_type", "_since", "_outputFormat")]
    if unknown:
        return outcome(400, f"Paramètre « {unknown[0]} » non pris en charge par $export (possibles : _type, "
                            "_since, _outputFormat).", "not-supported")  # fmt: skip
    formats = [v for k, v in params if k == "_outputFormat"]
    if any(f not in NDJSON for f in formats):
        return outcome(400, "Paramètre « _outputFormat » : seul application/fhir+ndjson est produit.", "invalid")
    types = [t for k, v in params if k == "_type" for t in v.split(",") if t] or list(export.TYPES)
    wrong = [t for t in types if t not in export.TYPES]
    if wrong:
        return outcome(400, f"Paramètre « _type », valeur « {wrong[0][:40]} » : {', '.join(export.TYPES)} attendus.",
                       "invalid")  # fmt: skip
    since = next((v for k, v in params if k == "_since"), None)
    if since is not None:
        _, since, _ = date_range(since)
    job = Export.objects.create(key=_key(request), request_url=request.build_absolute_uri(), since=since,
                                types=[t for t in export.TYPES if t in types])  # fmt: skip
    export.start(job, requested_by=f"clé d'API {job.key.name}")
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(f"/fhir/v2/$export-status/{job.pk}")
    return response


def _key(request) -> ApiKey:
    return ApiKey.find(request.headers.get("ESANTE-API-KEY", ""))


def _own_export(request, export_id):
    """The export, if the key asking is the one that started it (its files are its own)."""
    return Export.objects.filter(pk=export_id, key=_key(request)).first()


@api
def export_status(request, export_id):
    job = _own_export(request, export_id)
    if job is None:
        return outcome(404, "Export inconnu, expiré ou annulé.", "not-found")
    if request.method == "DELETE":
        export.remove(job)
        return HttpResponse(status=202)
    if request.method != "GET":
        return outcome(405, "GET (état) ou DELETE (annulation) seulement.", "not-supported")
    if job.state == Export.State.FAILED:
        return outcome(500, f"L'export a échoué ({job.error}) : relancez-le.", "exception")
    if job.state != Export.State.DONE:
        written, expected = job.written, job.expected
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{written} / {expected} ressources" if expected else "en attente"
        response["Retry-After"] = "5"
        return response
    files = f"/fhir/v2/$export-file/{job.pk}/"
    manifest = {"transactionTime": instant(job.transaction_time), "request": job.request_url,
                "requiresAccessToken": True,
                "output": [{"type": o["type"], "url": request.build_absolute_uri(files + o["file"]), "count": o["count"]}
                           for o in job.outputs],
                "error": []}  # fmt: skip
    expires = job.created_at + datetime.timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)
    return _response(manifest, headers={"Expires": http_date(expires.timestamp())})


@api
def export_file(request, export_id, name: str):
    job = _own_export(request, export_id)
    if job is None or job.state != Export.State.DONE or name not in {o["file"] for o in job.outputs}:
        return outcome(404, "Fichier d'export introuvable (inconnu, expiré ou annulé).", "not-found")
    return StreamingHttpResponse(files.read(export.store(), export.file_name(job, name)),
                                 content_type="application/fhir+ndjson")  # fmt: skip


@csrf_exempt
def unknown(request, rest: str = ""):
    return outcome(404, f"Type de ressource ou opération inconnu : {rest[:64]}. Ressources servies : "
                        "Practitioner, PractitionerRole, Organization.", "not-supported")  # fmt: skip
