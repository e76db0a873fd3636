"""FHIR Bulk Data $export: kick-off, status (progress, manifest, cancellation) and the files, each
served to the key that asked only. The export itself runs as a job (``export``)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import http_date

from rpps.runtime import files

from . import export
from .http import NDJSON_PRODUCIBLE, api, outcome, parameters, prefers, respond
from .models import ApiKey, Export
from .resources import instant
from .search import date_range

NDJSON = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


@api
def export_start(request):
    if request.method != "GET":
        return outcome(405, "Le lancement d'un export se fait en GET.", "not-supported")
    if not prefers(request, "respond-async"):
        return outcome(400, "En-tête « Prefer: respond-async » requis : l'export est asynchrone.", "invalid")
    params = parameters(request)
    unknown = [k for k, _ in params if k not in ("_type", "_since", "_outputFormat")]
    if unknown:
        return outcome(
            400,
            f"Paramètre « {unknown[0]} » non pris en charge par $export (possibles : _type, _since, _outputFormat).",
            "not-supported",
        )
    formats = [v for k, v in params if k == "_outputFormat"]
    if any(f not in NDJSON for f in formats):
        return outcome(400, "Paramètre « _outputFormat » : seul application/fhir+ndjson est produit.", "invalid")
    types = [t for k, v in params if k == "_type" for t in v.split(",") if t] or list(export.TYPES)
    wrong = [t for t in types if t not in export.TYPES]
    if wrong:
        return outcome(
            400, f"Paramètre « _type », valeur « {wrong[0][:40]} » : {', '.join(export.TYPES)} attendus.", "invalid"
        )
    since = next((v for k, v in params if k == "_since"), None)
    if since is not None:
        _, since, _ = date_range(since)
    with transaction.atomic():
        # the key's row locked: two kick-offs of one key at once cannot both pass its cap
        key = ApiKey.objects.select_for_update().get(pk=_key(request).pk)
        busy = Export.objects.filter(state__in=(Export.State.QUEUED, Export.State.RUNNING))
        if busy.filter(key=key).count() >= settings.FHIR_EXPORT_MAX_PER_KEY:
            return _busy(f"{settings.FHIR_EXPORT_MAX_PER_KEY} exports au plus en cours pour une clé")
        if busy.count() >= settings.FHIR_EXPORT_MAX_RUNNING:
            return _busy(f"{settings.FHIR_EXPORT_MAX_RUNNING} exports au plus en cours pour le service")
        job = Export.objects.create(
            key=key,
            request_url=request.build_absolute_uri(),
            since=since,
            types=[t for t in export.TYPES if t in types],
        )
    export.start(job, requested_by=f"clé d'API {job.key.name}")
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(f"/fhir/v2/$export-status/{job.pk}")
    return response


def _busy(limit: str) -> HttpResponse:
    return outcome(
        429,
        f"Trop d'exports : {limit}. Attendez la fin d'un export en cours (ou annulez-le : DELETE sur son état).",
        "throttled",
        **{"Retry-After": str(settings.FHIR_EXPORT_RETRY_AFTER)},
    )


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
    manifest = {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": o["type"], "url": request.build_absolute_uri(files + o["file"]), "count": o["count"]}
            for o in job.outputs
            if not o.get("deleted")
        ],
        "error": [],
    }
    deleted = [o for o in job.outputs if o.get("deleted")]
    if deleted:  # Bulk Data 2.0: what was deleted since _since, as transaction Bundles of DELETE requests
        manifest["deleted"] = [
            {"type": "Bundle", "url": request.build_absolute_uri(files + o["file"]), "count": o["count"]}
            for o in deleted
        ]
    expires = job.created_at + datetime.timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)
    response = respond(manifest, headers={"Expires": http_date(expires.timestamp())})
    response["Content-Type"] = "application/json"  # Bulk Data 2.0: the manifest is JSON, not a FHIR resource
    return response


@api(produces=NDJSON_PRODUCIBLE)
def export_file(request, export_id, name: str):
    job = _own_export(request, export_id)
    if job is None or job.state != Export.State.DONE or name not in {o["file"] for o in job.outputs}:
        return outcome(404, "Fichier d'export introuvable (inconnu, expiré ou annulé).", "not-found")
    if not export.store().exists(export.file_name(job, name)):  # removed since (expired, cleaned up)
        return outcome(404, "Fichier d'export introuvable : il a été supprimé ; relancez l'export.", "not-found")
    return StreamingHttpResponse(
        files.read(export.store(), export.file_name(job, name)), content_type="application/fhir+ndjson"
    )
