"""The extraction webservice (reference/formats.md §6) and the public page listing publications.

`GET`/`HEAD /annuaire-sante-webservices/V300/services/extraction/<NAME>` streams the latest zip with
the headers existing clients read (`Content-Disposition` filename with the timestamp, `Content-Length`),
plus `ETag`/`Last-Modified` for conditional requests (304) and single-range `Range` requests (206) so
an interrupted download resumes. No authentication. Files are read from the shared publication
storage (a folder or object storage): every server serves the publication stored last.
"""

import datetime
import re
import zipfile
from email.utils import format_datetime

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_http_methods

from rpps.runtime import files

from . import formats, oppositions
from .publish import Publication, latest, publications, store

CHUNK = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _not_found(request, message: str):
    return render(request, "publication/not_found.html", {"title": "Introuvable", "message": message}, status=404)


def _withdrawn(request):
    message = oppositions.WITHDRAWN
    return render(request, "publication/not_found.html", {"title": "Fichier retiré", "message": message}, status=410)


def _etag(publication: Publication, name: str, size: int) -> str:
    return f'"{name}-{publication.stamp}-{size}"'


def _serve_file(request, publication: Publication, filename: str, content_type: str):
    size = publication.size(filename)
    name = publication.stored_name(filename)
    etag = _etag(publication, filename, size)
    modified = publication.published_at
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified.astimezone(datetime.UTC), usegmt=True),
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"attachment; filename={filename}",
        "Cache-Control": "public, max-age=300",
    }
    current = HttpResponse()
    for key in ("ETag", "Last-Modified", "Cache-Control"):
        current[key] = headers[key]
    answer = get_conditional_response(request, etag=etag, last_modified=int(modified.timestamp()), response=current)
    if answer is not current:  # 304 (or 412 for a failed If-Match)
        return answer
    byte_range = _requested_range(request, etag, modified, size)
    if byte_range == "invalid":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if byte_range is not None:
        start, end = byte_range
        length = end - start + 1
        body = b"" if request.method == "HEAD" else files.read(store(), name, start, length)
        response = StreamingHttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    elif request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        response = StreamingHttpResponse(files.read(store(), name), content_type=content_type)
        response["Content-Length"] = str(size)
    for key, value in headers.items():
        response[key] = value
    return response


def _requested_range(request, etag: str, modified, size: int):
    header = request.headers.get("Range")
    if not header:
        return None
    if_range = request.headers.get("If-Range")
    if if_range and if_range.strip() != etag:
        return None  # the file changed since the partial download: send it whole
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # unsupported (e.g. several ranges): the whole file, as RFC 9110 allows
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return "invalid"
    return start, end


@require_http_methods(["GET", "HEAD"])
def extraction(request, name):
    if name not in formats.EXTRACTIONS:
        known = ", ".join(formats.EXTRACTIONS)
        return _not_found(request, f"Extraction « {name[:80]} » inconnue. Extractions publiées : {known}.")
    publication = latest()
    if publication is None:
        return _not_found(request, "Aucune publication n'est encore disponible.")
    if oppositions.withdrawn(publication, name):
        return _withdrawn(request)
    return _serve_file(request, publication, publication.zip_name(name), "application/zip")


def _publication(stamp: str) -> Publication:
    for publication in publications():
        if publication.stamp == stamp:
            return publication
    raise Http404("Publication introuvable.")


@require_http_methods(["GET", "HEAD"])
def publication_zip(request, stamp, filename):
    publication = _publication(stamp)
    names = {e["zip"]: e["name"] for e in publication.manifest["extractions"]}
    if filename not in names:
        return _not_found(request, "Fichier introuvable dans cette publication.")
    if oppositions.withdrawn(publication, names[filename]):
        return _withdrawn(request)
    return _serve_file(request, publication, filename, "application/zip")


def _member(zip_name: str, filename: str):
    # zipfile seeks: a local file is read in place, an object through django-storages' file.
    with store().open(zip_name, "rb") as raw, zipfile.ZipFile(raw) as archive, archive.open(filename) as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@require_http_methods(["GET", "HEAD"])
def publication_txt(request, stamp, filename):
    """An uncompressed file, streamed out of its zip (not stored twice on disk)."""
    publication = _publication(stamp)
    for entry in publication.manifest["extractions"]:
        for member in entry["files"]:
            if member["name"] == filename:
                if oppositions.withdrawn(publication, entry["name"]):
                    return _withdrawn(request)
                response = StreamingHttpResponse(
                    b"" if request.method == "HEAD" else _member(publication.stored_name(entry["zip"]), filename),
                    content_type="text/plain; charset=utf-8",
                )
                response["Content-Length"] = str(member["size"])
                response["Content-Disposition"] = f"attachment; filename={filename}"
                response["ETag"] = _etag(publication, filename, member["size"])
                return response
    return _not_found(request, "Fichier introuvable dans cette publication.")


def listing(request):
    found = publications()
    withdrawn = oppositions.withdrawn_names(found)
    for publication in found:  # manifests read for this request: marked for the page only
        for entry in publication.manifest["extractions"]:
            entry["withdrawn"] = (publication.stamp, entry["name"]) in withdrawn
    return render(
        request,
        "publication/listing.html",
        {"title": "Extractions en libre accès", "publications": found},
    )


def publication_zip_named(request, stamp, filename):
    return publication_zip(request, stamp, filename + ".zip")


def publication_txt_named(request, stamp, filename):
    return publication_txt(request, stamp, filename + ".txt")
