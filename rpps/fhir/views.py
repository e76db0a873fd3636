"""The FHIR R4 API at /fhir/v2/, compatible with the Annuaire Santé API v2 (reference/fhir.md §1):
metadata, read, vread and _history. Searches and their pages are in ``bundles``, the bulk export's
interactions in ``export_api``, the HTTP conventions they share in ``http``."""

import datetime
import re
import uuid

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from rpps.registry import identifiers

from . import capability, tombstones, versions
from .http import api, base_url, outcome, parameters, pretty, respond
from .resources import BUILDERS, instant, parse_id, version_id
from .search import SearchError, count_parameter, date_range

# --- metadata, read ------------------------------------------------------------------------------


@csrf_exempt
def metadata(request):
    if request.method not in ("GET", "HEAD"):
        return outcome(405, "Seule la lecture (GET) est possible sur metadata.", "not-supported")
    return respond(capability.statement(base_url(request)), pretty=request.GET.get("_pretty") == "true")


_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@api
def read(request, resource_type: str, resource_id: str):
    _, resource, error = _lookup(request, resource_type, resource_id)
    if error:
        return error
    return _conditional(request, resource) or respond(
        resource, pretty=pretty(parameters(request)), headers=_version_headers(resource)
    )


def _read_only(request) -> HttpResponse | None:
    if request.method not in ("GET", "HEAD"):
        return outcome(
            405, f"Interaction {request.method} non prise en charge : l'API est en lecture seule.", "not-supported"
        )
    return None


def _current(resource_type: str, resource_id: str) -> tuple[int | None, dict | None]:
    pk = parse_id(resource_type, resource_id)
    if pk is None:
        return None, None
    return pk, BUILDERS[resource_type]([pk]).get(pk) or tombstones.read(resource_type, pk)


def _lookup(request, resource_type: str, resource_id: str) -> tuple[int | None, dict | None, HttpResponse | None]:
    """(id, current resource or tombstone, None), or (None, None, the error to answer)."""
    refused = _read_only(request)
    if refused:
        return None, None, refused
    if not _ID.fullmatch(resource_id):
        # not an id at all (FHIR R4 §2.24.0.1: ASCII letters, digits, "-" and ".", 64 at most): a bad request
        return (
            None,
            None,
            outcome(
                400,
                "Identifiant de ressource invalide : lettres et chiffres ASCII, « - » et « . », 64 au plus.",
                "invalid",
            ),
        )
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
    params = parameters(request)
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
    base = base_url(request)
    for position, moment in enumerate(moments[:count]):
        if position == 0 and resource["meta"]["versionId"] == version_id(moment):
            version = resource  # the current version
        else:
            version = versions.as_of(resource_type, pk, moment)
        first = moment == moments[-1] and since is None
        url = f"{resource_type}/{resource_id}"
        if version is None:  # deleted at that moment
            entries.append(
                {
                    "request": {"method": "DELETE", "url": url},
                    "response": {"status": "204", "lastModified": instant(moment)},
                }
            )
            continue
        entries.append(
            {
                "fullUrl": f"{base}{url}/_history/{version['meta']['versionId']}",
                "resource": version,
                "request": {"method": "POST" if first else "PUT", "url": resource_type if first else url},
                "response": {
                    "status": "201" if first else "200",
                    "lastModified": instant(moment),
                    "etag": f'W/"{version["meta"]["versionId"]}"',
                },
            }
        )
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "history",
        "total": len(moments),
        "link": [{"relation": "self", "url": request.build_absolute_uri()}],
        "entry": entries,
    }
    return respond(bundle, pretty=pretty(params))


@api
def vread(request, resource_type: str, resource_id: str, vid: str):
    pk, resource, error = _lookup(request, resource_type, resource_id)
    if error:
        return error
    if resource["meta"]["versionId"] != vid:
        moment = versions.find(resource_type, pk, vid) if identifiers.ascii_digits(vid) else None
        resource = versions.as_of(resource_type, pk, moment) if moment is not None else None
        if resource is None:
            return outcome(404, f"Version {vid[:32]} de {resource_type}/{resource_id[:64]} introuvable.", "not-found")
    return respond(resource, pretty=pretty(parameters(request)), headers=_version_headers(resource))


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
    answer = get_conditional_response(
        request, etag=current["ETag"], last_modified=int(updated.timestamp()), response=current
    )
    return None if answer is current else answer


@csrf_exempt
def unknown(request, rest: str = ""):
    return outcome(
        404,
        f"Type de ressource ou opération inconnu : {rest[:64]}. Ressources servies : "
        "Practitioner, PractitionerRole, Organization.",
        "not-supported",
    )
