"""Jobs as operators and users see them: progress and failures in the console, a failed job run
again, interrupted work never left "en cours", the periodic jobs with their last and next run."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rpps.portal import bulk
from rpps.portal.models import BulkImport
from rpps.runtime import jobs, schedule
from rpps.runtime.models import Job

pytestmark = pytest.mark.django_db
calls = []


@jobs.handler("tests.flaky", label="Traitement d'essai", attempts=2)
def flaky(job, fail: bool = False):
    calls.append(job.pk)
    if fail:
        raise jobs.JobFailed("Le fichier source est illisible.")
    jobs.progress(job, 3, 3, "fini")


@jobs.handler("tests.broken", label="Traitement qui plante", attempts=1)
def broken(job):
    raise ZeroDivisionError("détail technique")


def _stale(job: Job, attempts: int):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=attempts, heartbeat_at=long_ago)


def test_a_job_runs_once_and_records_its_progress():
    job = jobs.enqueue("tests.flaky", requested_by="tests")
    job.refresh_from_db()
    assert job.state == Job.State.DONE and (job.done, job.total, job.percent) == (3, 3, 100) and job.attempts == 1
    jobs.run(job.pk)  # sent twice: claimed once
    assert calls.count(job.pk) == 1


def test_failures_are_recorded_with_a_french_message_never_the_technical_detail():
    refused = jobs.enqueue("tests.flaky", fail=True)
    crashed = jobs.enqueue("tests.broken")
    refused.refresh_from_db(), crashed.refresh_from_db()
    assert refused.state == Job.State.FAILED and refused.message == "Le fichier source est illisible."
    assert crashed.state == Job.State.FAILED and "Erreur inattendue" in crashed.message
    assert "détail technique" not in crashed.message


def test_a_job_whose_worker_died_is_sent_again_then_failed_after_its_attempts():
    job = jobs.enqueue("tests.flaky")
    _stale(job, attempts=1)
    assert jobs.reap() == {"relances": 1, "echecs": 0, "renvoyes": 0}
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    _stale(job, attempts=2)
    assert jobs.reap()["echecs"] == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "interrompu" in job.message


def test_a_running_job_with_a_recent_sign_of_life_is_left_alone():
    job = jobs.enqueue("tests.flaky")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, heartbeat_at=timezone.now())
    assert jobs.reap() == {"relances": 0, "echecs": 0, "renvoyes": 0}
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING


def test_operators_see_jobs_and_run_a_failed_one_again(admin_client):
    job = jobs.enqueue("tests.flaky", fail=True)
    page = admin_client.get("/admin/runtime/job/").content.decode()
    assert "Traitement d&#x27;essai" in page and "échoué" in page and "Le fichier source est illisible." in page
    Job.objects.filter(pk=job.pk).update(args={})  # the cause is fixed
    admin_client.post("/admin/runtime/job/", {"action": "retry", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 1


def test_the_console_lists_the_periodic_jobs_with_last_and_next_run(admin_client):
    call_command("periodic", "portal.expire_requests")
    page = admin_client.get("/admin/runtime/job/planification/").content.decode()
    for entry in schedule.entries():
        assert entry.kind in page
    assert "Expiration des demandes" in page and "terminé" in page and "jamais" in page
    admin_client.post("/admin/runtime/job/planification/", {"kind": "fhir.purge_exports"})
    assert Job.objects.filter(kind="fhir.purge_exports", state=Job.State.DONE).exists()


def test_next_run_follows_the_declared_hour():
    entry = schedule.Entry("publication.publish", "0 2 * * *")
    moment = datetime.datetime(2026, 12, 4, 1, 59, 30, tzinfo=datetime.UTC)
    assert entry.next_run(moment) == datetime.datetime(2026, 12, 4, 2, 0, tzinfo=datetime.UTC)
    assert entry.next_run(moment + datetime.timedelta(minutes=1)) == datetime.datetime(
        2026, 12, 5, 2, 0, tzinfo=datetime.UTC
    )


def test_a_slot_is_run_once_whatever_the_number_of_schedulers():
    slot = timezone.now().replace(second=0, microsecond=0)
    assert schedule.enqueue_slot("fhir.purge_exports", slot) is not None
    assert schedule.enqueue_slot("fhir.purge_exports", slot) is None
    assert Job.objects.filter(kind="fhir.purge_exports").count() == 1


def test_the_periodic_command_lists_runs_and_refuses_unknown_names(capsys):
    call_command("periodic")
    out = capsys.readouterr().out
    assert "publication.publish" in out and "prochaine" in out
    with pytest.raises(CommandError, match="inconnue"):
        call_command("periodic", "n-existe-pas")


def test_unconfirmed_imports_lose_their_typed_rows_after_the_stated_delay(settings):
    settings.PORTAL_IMPORT_KEEP_DAYS = 7
    rows = [{"nom_naissance": "DUPONT", "date_naissance": "1980-01-01"}]
    old = BulkImport.objects.create(
        uploaded_by="x", national_id="8", filename="a.csv", sha256="0", rows=rows, state=BulkImport.State.READY
    )
    recent = BulkImport.objects.create(
        uploaded_by="x", national_id="8", filename="b.csv", sha256="1", rows=rows, state=BulkImport.State.READY
    )
    BulkImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    call_command("periodic", "portal.purge_imports")
    old.refresh_from_db(), recent.refresh_from_db()
    assert old.rows == [] and old.state == BulkImport.State.EXPIRED and "effacées" in old.message
    assert recent.rows == rows and recent.state == BulkImport.State.READY


def test_an_import_interrupted_too_often_can_be_confirmed_again():
    found = BulkImport.objects.create(
        uploaded_by="x",
        national_id="8",
        filename="a.csv",
        sha256="0",
        state=BulkImport.State.APPLYING,
        rows=[{"line": 2}],
    )
    job = Job.objects.create(
        kind="portal.bulk_apply",
        label="import",
        args={"bulk_id": found.pk, "who": {}},
        attempts=3,
        state=Job.State.RUNNING,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert jobs.reap()["echecs"] == 1
    found.refresh_from_db()
    assert found.state == BulkImport.State.READY and "confirmez-le à nouveau" in found.message
    assert Job.objects.get(pk=job.pk).state == Job.State.FAILED
    assert bulk.purge_unconfirmed() == 0  # still within its delay
