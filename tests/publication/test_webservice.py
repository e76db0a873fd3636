"""The extraction webservice and the publications page, as download clients use them."""

import datetime
import io
import zipfile

import pytest
from django.utils import timezone

from rpps.publication import publish
from rpps.registry.history import Actor, acting_as
from tests import factories
from tests.conftest import published_zip

pytestmark = pytest.mark.django_db
URL = "/annuaire-sante-webservices/V300/services/extraction/"


@pytest.fixture
def published(settings, tmp_path, db):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        factories.activity()
    return publish.publish(now=timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 5)))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def unzipped(response) -> bytes:
    with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


@pytest.mark.parametrize("name", ["PS_LibreAcces", "Extraction_Correspondance_MSSante", "Porteurs_CPS_CPF"])
def test_get_streams_the_latest_zip_with_its_name(client, published, name):
    response = client.get(URL + name)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f"attachment; filename={name}_202611261005.zip"
    content = body(response)
    assert int(response["Content-Length"]) == len(content) == published_zip(published, name).stat().st_size
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None


def test_head_tells_the_name_and_size_without_the_body(client, published):
    response = client.head(URL + "PS_LibreAcces")
    assert response.status_code == 200 and body(response) == b""
    assert response["Content-Disposition"].endswith("PS_LibreAcces_202611261005.zip")
    assert int(response["Content-Length"]) == published_zip(published, "PS_LibreAcces").stat().st_size
    assert response["ETag"] and response["Last-Modified"].endswith("GMT")


def test_conditional_get_answers_304(client, published):
    first = client.head(URL + "PS_LibreAcces")
    for headers in (
        {"If-None-Match": first["ETag"]},
        {"If-Modified-Since": first["Last-Modified"]},
        {"If-None-Match": f'"autre", {first["ETag"]}'},
        {"If-None-Match": "*"},
    ):
        unchanged = client.get(URL + "PS_LibreAcces", headers=headers)
        assert unchanged.status_code == 304 and body(unchanged) == b"", headers
        assert unchanged["ETag"] == first["ETag"] and unchanged["Last-Modified"] == first["Last-Modified"]
    changed = client.get(URL + "PS_LibreAcces", headers={"If-None-Match": '"autre"'})
    assert changed.status_code == 200 and body(changed) == published_zip(published, "PS_LibreAcces").read_bytes()
    # If-None-Match wins over If-Modified-Since (RFC 9110): another version is sent whole
    both = client.get(
        URL + "PS_LibreAcces", headers={"If-None-Match": '"autre"', "If-Modified-Since": first["Last-Modified"]}
    )
    assert both.status_code == 200 and body(both) == published_zip(published, "PS_LibreAcces").read_bytes()


def test_range_requests_resume_a_download(client, published):
    whole = published_zip(published, "PS_LibreAcces").read_bytes()
    part = client.get(URL + "PS_LibreAcces", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    rest = body(part)
    assert rest == whole[100:]
    head = client.get(URL + "PS_LibreAcces", headers={"Range": "bytes=0-99"})
    assert body(head) + rest == whole
    tail = client.get(URL + "PS_LibreAcces", headers={"Range": "bytes=-10"})
    assert body(tail) == whole[-10:]
    assert client.get(URL + "PS_LibreAcces", headers={"Range": f"bytes={len(whole)}-"}).status_code == 416
    stale = client.get(URL + "PS_LibreAcces", headers={"Range": "bytes=100-", "If-Range": '"ancien"'})
    assert stale.status_code == 200 and body(stale) == whole


def test_unknown_names_get_a_clear_404(client, published):
    response = client.get(URL + "PS_Inconnu")
    assert response.status_code == 404
    assert "Extraction « PS_Inconnu » inconnue" in response.content.decode()


def test_no_publication_yet_is_a_clear_404(client, db):
    response = client.get(URL + "PS_LibreAcces")
    assert response.status_code == 404 and "Aucune publication" in response.content.decode()


def test_webservice_only_answers_get_and_head(client, published):
    for method in (client.post, client.put, client.delete):
        refused = method(URL + "PS_LibreAcces")
        assert refused.status_code == 405 and set(refused["Allow"].split(", ")) == {"GET", "HEAD"}


def test_the_page_lists_publications_and_serves_the_txt_files(client, published):
    page = client.get("/extractions/").content.decode()
    assert "PS_LibreAcces_202611261005.zip" in page and "PS_LibreAcces_Personne_activite_202611261005.txt" in page
    txt = client.get("/extractions/202611261005/PS_LibreAcces_Personne_activite_202611261005.txt")
    content = body(txt)
    assert txt.status_code == 200 and int(txt["Content-Length"]) == len(content)
    assert content.startswith(b"Type d'identifiant PP|")
    archived = client.get("/extractions/202611261005/PS_LibreAcces_202611261005.zip")
    assert archived.status_code == 200 and body(archived) == published_zip(published, "PS_LibreAcces").read_bytes()
    for missing in (
        "/extractions/202611261005/inconnu.txt",
        "/extractions/209901010000/PS_LibreAcces_209901010000.zip",
    ):
        refused = client.get(missing)
        assert refused.status_code == 404 and "introuvable" in refused.content.decode().lower(), missing


def test_a_red_list_opposition_withdraws_the_mailbox_files_already_published(
    client, published, django_capture_on_commit_callbacks
):
    """Put on the red list after a publication, a mailbox leaves every file served from then on: the
    MSSanté file of the earlier publications answers 410 and the page says why, a new publication is made
    at once without it; the files that carry no mailbox stay served."""
    from rpps.publication.publish import publications

    stamp = published.stamp
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        exercise = factories.exercise(last_name="OPPOSEE")
        mailbox = factories.mailbox(exercise.person, address="opposee@medecin.mssante.fr")
    first = publish.publish(now=timezone.make_aware(datetime.datetime(2026, 11, 27, 10, 5)))
    assert b"opposee@" in unzipped(client.get(f"{URL}Extraction_Correspondance_MSSante"))
    with django_capture_on_commit_callbacks(execute=True), acting_as(Actor.system("tests"), "opposition"):
        mailbox.red_list = True
        mailbox.save()
    latest = publications()[0]
    assert latest.stamp not in (stamp, first.stamp)  # published again, on the opposition
    served = client.get(f"{URL}Extraction_Correspondance_MSSante")
    assert served.status_code == 200 and b"opposee@" not in unzipped(served)
    for old in (stamp, first.stamp):
        gone = client.get(f"/extractions/{old}/Extraction_Correspondance_MSSante_{old}.zip")
        assert gone.status_code == 410 and "opposition" in gone.content.decode()
        member = client.get(f"/extractions/{old}/Extraction_Correspondance_MSSante_{old}.txt")
        assert member.status_code == 410
        assert client.get(f"/extractions/{old}/PS_LibreAcces_{old}.zip").status_code == 200
    page = client.get("/extractions/").content.decode()
    assert page.count("Retiré : une opposition") == 2
    assert f"/extractions/{latest.stamp}/Extraction_Correspondance_MSSante_{latest.stamp}.zip" in page
