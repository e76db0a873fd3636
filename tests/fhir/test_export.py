"""Bulk export ($export): the FHIR Bulk Data asynchronous pattern, as a client goes through it."""

import datetime
import gc
import json
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from rpps.fhir import export
from rpps.fhir.models import ApiKey, Export
from rpps.registry.models import Structure
from rpps.runtime import files, jobs
from rpps.runtime.models import Job
from tests import factories
from tests.canary import assert_no_canary, plant_canaries
from tests.fhir import profiles

pytestmark = pytest.mark.django_db
MODELS = {"Practitioner": Practitioner, "PractitionerRole": PractitionerRole, "Organization": Organization}
ASYNC = {"HTTP_PREFER": "respond-async"}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def kick_off(api, **params):
    response = api.get("/fhir/v2/$export", params, **ASYNC)
    assert response.status_code == 202, response.content
    return path_of(response["Content-Location"])


def test_export_everything_then_download_the_files(api, recording):
    site = factories.structure(name="CENTRE EXPORT")
    roles = [factories.activity(factories.exercise(last_name=f"EXPORT{factories.letters(i)}"), site) for i in range(3)]
    status_url = kick_off(api)
    status = api.get(status_url)
    assert status.status_code == 200
    # Bulk Data 2.0 (status request, complete): "the server SHALL respond with a JSON manifest ...
    # Content-Type: application/json"
    assert status["Content-Type"] == "application/json"
    manifest = status.json()
    assert manifest["requiresAccessToken"] is True
    assert [o["type"] for o in manifest["output"]] == ["Organization", "Practitioner", "PractitionerRole"]
    got = {}
    for output in manifest["output"]:
        # Bulk Data 2.0 (file request): "Accept (optional, defaults to application/fhir+ndjson)"
        response = api.get(path_of(output["url"]), HTTP_ACCEPT="application/fhir+ndjson")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == output["count"]
        got[output["type"]] = [json.loads(line) for line in lines]
        for resource in got[output["type"]]:
            MODELS[output["type"]].model_validate(resource)
            assert profiles.problems(resource) == [], resource["id"]
    assert {r["id"] for r in got["PractitionerRole"]} == {f"005-{r.pk}" for r in roles}
    assert {r["id"] for r in got["Practitioner"]} == {f"003-{r.exercise_id}" for r in roles}
    # the same resources as the API serves one by one
    one = api.get(f"/fhir/v2/PractitionerRole/005-{roles[0].pk}").json()
    assert one in got["PractitionerRole"]


def test_export_by_type_and_since_and_its_refusals(api, recording):
    old = factories.structure(name="ANCIENNE")
    Export.objects.all().delete()
    status = api.get(kick_off(api, _type="Organization")).json()
    assert [(o["type"], o["count"]) for o in status["output"]] == [("Organization", 1)]
    since = status["transactionTime"]
    factories.structure(name="NOUVELLE")
    status = api.get(kick_off(api, _type="Organization,Practitioner", _since=since)).json()
    lines = api.get(path_of(status["output"][0]["url"]))
    names = [json.loads(line)["name"] for line in b"".join(lines.streaming_content).decode().splitlines()]
    assert names == ["NOUVELLE"] and old.name not in names
    for params, headers, says in [
        ({}, {}, "respond-async"),
        ({"_type": "Patient"}, ASYNC, "_type"),
        ({"_outputFormat": "text/csv"}, ASYNC, "_outputFormat"),
        ({"_typeFilter": "x"}, ASYNC, "_typeFilter"),
        ({"_since": "hier"}, ASYNC, "hier"),
    ]:
        response = api.get("/fhir/v2/$export", params, **headers)
        assert response.status_code == 400, params
        assert says in response.json()["issue"][0]["diagnostics"], params
    assert Client().get("/fhir/v2/$export", **ASYNC).status_code == 401


def _running_export() -> Export:
    """An export of the Practitioners (one written) that a worker has begun: 40 resources of 100 written."""
    factories.exercise()
    return Export.objects.create(
        key=ApiKey.objects.get(),
        request_url="x",
        types=["Practitioner"],
        state=Export.State.RUNNING,
        written=40,
        expected=100,
    )


def test_status_while_running_cancel_and_other_keys(api, recording, settings):
    job = _running_export()
    with files.open_for_writing(export.store(), export.file_name(job, "Practitioner-1.ndjson")) as handle:
        handle.write(b"{}\n")  # a part file the running worker has begun
    status = api.get(f"/fhir/v2/$export-status/{job.pk}")
    assert status.status_code == 202
    assert status["X-Progress"] == "40 / 100 ressources"
    _, other = ApiKey.issue("autre application")
    assert Client().get(f"/fhir/v2/$export-status/{job.pk}", HTTP_ESANTE_API_KEY=other).status_code == 404
    assert api.delete(f"/fhir/v2/$export-status/{job.pk}").status_code == 202
    assert files.listdir(export.store(), str(job.pk)) == ([], [])
    assert api.get(f"/fhir/v2/$export-status/{job.pk}").status_code == 404
    # files of a finished export belong to its key only, and go after FHIR_EXPORT_KEEP_HOURS
    done = api.get(kick_off(api, _type="Practitioner")).json()
    file_url = path_of(done["output"][0]["url"])
    assert Client().get(file_url, HTTP_ESANTE_API_KEY=other).status_code == 404
    assert api.get(file_url).status_code == 200
    settings.FHIR_EXPORT_KEEP_HOURS = -1
    assert export.clean_expired() == 1
    assert api.get(file_url).status_code == 404


def _started_then_worker_killed(api, attempts: int):
    """An export whose job was taken by a worker that then died (no sign of life since)."""
    found = _running_export()
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    job = Job.objects.create(
        kind="fhir.export",
        label="export",
        args={"export_id": str(found.pk)},
        attempts=attempts,
        state=Job.State.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
    )
    with files.open_for_writing(export.store(), export.file_name(found, "Practitioner-1.ndjson")) as handle:
        handle.write(b'{"partiel": true}\n')
    assert api.get(f"/fhir/v2/$export-status/{found.pk}").status_code == 202  # a read never decides it failed
    return found, job


def test_an_export_whose_worker_died_is_run_again_and_completes(api, recording):
    found, job = _started_then_worker_killed(api, attempts=1)
    assert jobs.reap()["relances"] == 1  # sent again: the (immediate) worker runs it from the start
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    manifest = api.get(f"/fhir/v2/$export-status/{found.pk}").json()
    lines = b"".join(api.get(path_of(manifest["output"][0]["url"])).streaming_content).decode().splitlines()
    assert len(lines) == 1 and "partiel" not in lines[0]


def test_an_export_whose_worker_died_too_often_is_reported_failed_and_can_be_started_again(api, recording):
    found, job = _started_then_worker_killed(api, attempts=2)
    assert jobs.reap()["echecs"] == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "interrompu" in job.message
    status = api.get(f"/fhir/v2/$export-status/{found.pk}")
    assert status.status_code == 500 and status["Content-Type"].startswith("application/fhir+json")
    assert "interrompu" in status.json()["issue"][0]["diagnostics"]
    assert files.listdir(export.store(), str(found.pk)) == ([], [])  # its partial files are gone
    assert api.get(kick_off(api, _type="Practitioner")).status_code == 200  # started again, it completes


def test_export_holds_no_private_data(api, recording):
    role = factories.activity(factories.exercise(), factories.structure())
    factories.expertise(role.exercise, code="SM54")
    for obj in [role.exercise.person, role.exercise, role, role.structure, *role.exercise.expertises.all()]:
        plant_canaries(obj)
    status = api.get(kick_off(api)).json()
    text = "".join(b"".join(api.get(path_of(o["url"])).streaming_content).decode() for o in status["output"])
    assert role.exercise.person.rpps in text
    assert_no_canary(text)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_processes_share_one_snapshot(settings, recording, shared_files):
    """On PostgreSQL the export runs in worker processes that read the same snapshot: a change made
    while they run is not in the files, and every resource is written once."""
    settings.FHIR_EXPORT_WORKERS = 2
    monkey = pytest.MonkeyPatch()
    monkey.setenv("FHIR_EXPORT_DIR", str(shared_files / "exports"))  # the part processes read the environment
    monkey.setattr(export, "RANGE", 3)  # several ranges, so that both workers get some
    site = factories.structure(name="AVANT")
    roles = [
        factories.activity(factories.exercise(last_name=f"PARALLELE{factories.letters(i)}"), site) for i in range(10)
    ]
    key, _ = ApiKey.issue("parallèle")
    job = Export.objects.create(key=key, request_url="x", types=list(export.TYPES))
    original = export._querysets

    def change_then_list(types, since):  # the coordinator's snapshot is taken: this change comes after
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("UPDATE registry_structure SET name = 'APRÈS' WHERE id = %s", [site.pk])
        return original(types, since)

    monkey.setattr(export, "_querysets", change_then_list)
    try:
        jobs.enqueue("fhir.export", export_id=str(job.pk))  # run here: the tests' jobs are immediate
    finally:
        monkey.undo()
    job.refresh_from_db()
    assert job.state == Export.State.DONE
    names = {o["file"] for o in job.outputs}
    assert {"Practitioner-1.ndjson", "Practitioner-2.ndjson"} <= names
    lines = {}
    for output in job.outputs:
        for line in b"".join(files.read(export.store(), export.file_name(job, output["file"]))).decode().splitlines():
            lines.setdefault(output["type"], []).append(json.loads(line))
    assert sorted(r["id"] for r in lines["PractitionerRole"]) == sorted(f"005-{r.pk}" for r in roles)
    assert len(lines["Practitioner"]) == 10 == len({r["id"] for r in lines["Practitioner"]})
    assert [o["name"] for o in lines["Organization"]] == ["AVANT"]
    Structure.objects.filter(pk=site.pk).update(name="AVANT")
    export.remove(job)


def test_the_cycle_collector_is_back_on_after_an_export_and_a_search(api, recording):
    """Resources are built with the cycle collector off (speed); a server left without it would
    keep every reference cycle of later requests: it must come back on, even after a failure."""
    factories.activity(factories.exercise(last_name="COLLECTEUR"), factories.structure())
    kick_off(api)
    assert gc.isenabled()
    assert api.get("/fhir/v2/Practitioner", {"family": "COLLECTEUR"}).json()["total"] == 1
    assert gc.isenabled()
    assert api.get("/fhir/v2/Practitioner", {"family": "COLLECTEUR", "_count": "x"}).status_code == 400
    assert gc.isenabled()
    gc.disable()  # off already (another part of the process wanted it off): left off
    try:
        api.get("/fhir/v2/Practitioner", {"family": "COLLECTEUR"})
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_file_removed_from_the_store_answers_a_404_outcome(api, recording):
    """Every error of /fhir/ is an OperationOutcome: an export file removed from the store since its
    manifest (expired, cleaned up) is a 404 the client can act on, not a server error."""
    from rpps.fhir import export
    from rpps.fhir.models import Export
    from rpps.runtime import files

    factories.activity()
    manifest = api.get(kick_off(api)).json()
    job = Export.objects.get()
    files.remove_folder(export.store(), str(job.pk))
    response = api.get(path_of(manifest["output"][0]["url"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert "supprimé" in response.json()["issue"][0]["diagnostics"]


def test_an_export_since_a_moment_lists_what_was_deleted_since(api, recording):
    """Bulk Data 2.0 (manifest, `deleted`): "an array of ... files ... containing FHIR Bundle resources
    with a type of transaction ... The request.method element SHALL be set to DELETE" — the resources
    deleted since `_since`, so that a client's copy can follow them."""
    gone, kept = factories.structure(name="FERMÉE"), factories.structure(name="OUVERTE")
    first = api.get(kick_off(api, _type="Organization")).json()
    assert "deleted" not in first
    gone_id = gone.pk
    gone.delete()
    kept.name = "OUVERTE ET RENOMMÉE"
    kept.save()
    status = api.get(kick_off(api, _type="Organization", _since=first["transactionTime"])).json()
    assert [(o["type"], o["count"]) for o in status["output"]] == [("Organization", 1)]
    assert [(d["type"], d["count"]) for d in status["deleted"]] == [("Bundle", 1)]
    response = api.get(path_of(status["deleted"][0]["url"]), HTTP_ACCEPT="application/fhir+ndjson")
    bundles = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [(b["resourceType"], b["type"]) for b in bundles] == [("Bundle", "transaction")]
    assert bundles[0]["entry"] == [{"request": {"method": "DELETE", "url": f"Organization/001-{gone_id}"}}]


def test_a_delete_right_after_the_kick_off_leaves_no_error(api, recording, caplog):
    """Bulk Data 2.0 (delete request): a client may cancel at once; the worker that takes the job after
    the cancellation finds nothing to do, writes nothing and logs no error."""
    import logging

    from rpps.fhir.models import ApiKey

    factories.activity()
    job = Export.objects.create(key=ApiKey.objects.get(), request_url="x", types=["Practitioner"])
    status = f"/fhir/v2/$export-status/{job.pk}"
    assert api.delete(status).status_code == 202
    queued = Job.objects.create(kind="fhir.export", label="Export FHIR", args={"export_id": str(job.pk)})
    with caplog.at_level(logging.WARNING):
        jobs.run(queued.pk)  # as a worker would, after the cancellation
    queued.refresh_from_db()
    assert queued.state == Job.State.DONE
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert api.get(status).status_code == 404
    assert files.listdir(export.store(), str(job.pk)) == ([], [])


def test_kick_offs_beyond_the_caps_are_told_to_wait(api, recording, settings):
    """17 kick-offs a second from one key started 56 processes: exports waiting or running are capped per
    key and for the service, and the client is told when to come back."""
    settings.FHIR_EXPORT_MAX_PER_KEY, settings.FHIR_EXPORT_MAX_RUNNING = 2, 3
    mine = ApiKey.objects.get()
    for _ in range(2):
        Export.objects.create(key=mine, request_url="x", types=["Practitioner"], state=Export.State.RUNNING)
    refused = api.get("/fhir/v2/$export", **ASYNC)
    assert refused.status_code == 429 and refused["Retry-After"] == str(settings.FHIR_EXPORT_RETRY_AFTER)
    assert "2 exports au plus en cours pour une clé" in refused.json()["issue"][0]["diagnostics"]
    assert Export.objects.count() == 2  # nothing queued for the refused one
    other, key = ApiKey.issue("autre application")
    Export.objects.create(key=other, request_url="x", types=["Practitioner"], state=Export.State.QUEUED)
    busy = Client().get("/fhir/v2/$export", HTTP_ESANTE_API_KEY=key, **ASYNC)
    assert busy.status_code == 429 and "pour le service" in busy.json()["issue"][0]["diagnostics"]
    Export.objects.filter(key=mine).update(state=Export.State.DONE)
    assert api.get("/fhir/v2/$export", **ASYNC).status_code == 202  # room again
