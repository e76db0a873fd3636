"""Publications and export files in S3-compatible object storage (a real S3 server, moto's server
mode), served by the webservice and the FHIR API as from the local folder."""

import datetime
import io
import zipfile

import pytest
from django.utils import timezone

from rpps.publication import publish
from rpps.registry.history import Actor, acting_as
from rpps.runtime import files
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db):
    from django.test import Client

    from rpps.fhir.models import ApiKey

    return Client(HTTP_ESANTE_API_KEY=ApiKey.issue("stockage")[1])


URL = "/annuaire-sante-webservices/V300/services/extraction/PS_LibreAcces"


@pytest.fixture
def object_storage(settings, s3_server, request):
    prefix = f"t{abs(hash(request.node.nodeid))}"  # each test its own keys in the shared bucket
    settings.STORAGES = settings.STORAGES | {
        alias: {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_server.storage_options(f"{prefix}/{alias}")}
        for alias in ("publications", "exports")
    }
    return prefix


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_publication_goes_to_object_storage_and_is_served_whole_or_by_ranges(client, object_storage, s3_server):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        factories.activity()
    publication = publish.publish(now=timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 5)))
    keys = s3_server.keys(f"{object_storage}/publications/")
    assert f"{object_storage}/publications/202611261005/publication.json" in keys
    assert f"{object_storage}/publications/202611261005/PS_LibreAcces_202611261005.zip" in keys
    whole = client.get(URL)
    content = body(whole)
    assert whole.status_code == 200 and int(whole["Content-Length"]) == len(content) == publication.size(
        "PS_LibreAcces_202611261005.zip"
    )
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    head = client.head(URL)
    assert head.status_code == 200 and body(head) == b"" and head["ETag"] == whole["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=whole["ETag"]).status_code == 304
    part = client.get(URL, HTTP_RANGE="bytes=10-109")
    assert part.status_code == 206 and body(part) == content[10:110]
    assert part["Content-Range"] == f"bytes 10-109/{len(content)}"
    tail = client.get(URL, HTTP_RANGE="bytes=-20")
    assert tail.status_code == 206 and body(tail) == content[-20:]
    assert client.get(URL, HTTP_RANGE=f"bytes={len(content)}-").status_code == 416
    listing = client.get("/extractions/")
    assert listing.status_code == 200 and "202611261005" in listing.content.decode()
    member = client.get("/extractions/202611261005/PS_LibreAcces_Personne_activite_202611261005.txt")
    assert member.status_code == 200 and body(member).startswith(b"Type d'identifiant PP|")


def test_the_latest_complete_publication_is_served_and_old_ones_go(client, object_storage, s3_server, settings):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        factories.activity()
    settings.PUBLICATION_KEEP = 1
    now = timezone.now()
    first = publish.publish(now=now - datetime.timedelta(minutes=10))
    second = publish.publish(now=now)
    assert client.get(URL)["Content-Disposition"].endswith(f"_{second.stamp}.zip")
    assert s3_server.keys(f"{object_storage}/publications/{first.stamp}/") == []  # removed
    # A folder without its manifest (a publisher killed while storing) is never served.
    from django.core.files.base import ContentFile

    publish.store().save("209901010000/PS_LibreAcces_209901010000.zip", ContentFile(b"partiel"))
    assert client.get(URL)["Content-Disposition"].endswith(f"_{second.stamp}.zip")


def test_export_files_are_written_to_object_storage_and_downloaded(api, recording, object_storage, s3_server):
    factories.activity(factories.exercise(last_name="STOCKAGE"), factories.structure())
    kick = api.get("/fhir/v2/$export", {"_type": "Practitioner"}, HTTP_PREFER="respond-async")
    status = api.get(kick["Content-Location"].split("testserver", 1)[1]).json()
    url = status["output"][0]["url"].split("testserver", 1)[1]
    lines = b"".join(api.get(url).streaming_content).decode().splitlines()
    assert len(lines) == 1 and "STOCKAGE" in lines[0]
    export_id = url.split("/")[-2]
    assert s3_server.keys(f"{object_storage}/exports/{export_id}/") == [
        f"{object_storage}/exports/{export_id}/Practitioner-1.ndjson"
    ]
    assert api.delete(kick["Content-Location"].split("testserver", 1)[1]).status_code == 202
    assert s3_server.keys(f"{object_storage}/exports/{export_id}/") == []
    assert files.listdir(files.storage("exports"), export_id) == ([], [])
