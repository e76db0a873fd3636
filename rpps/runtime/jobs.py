"""Durable background jobs: declared by the apps (`@handler` in their `tasks.py`), enqueued by
anyone (`enqueue`), run by worker processes (Huey consumers: `manage.py run_huey`).

The broker (Redis in production, an SQLite file for `make run`) carries only a job's id; the job's
state, progress and message live in the database (`Job`). A worker claims a job with one
conditional UPDATE (a job sent twice runs once), beats while it runs, and writes its outcome. A
worker killed mid-job stops beating: `reap` (every minute) sends the job again while it has
attempts left — handlers are written to be run again (idempotent writes, or all-or-nothing) — and
otherwise marks it failed with a French message the user sees; nothing stays "en cours" forever.
"""

import datetime
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)

INTERRUPTED = (
    "Le traitement a été interrompu (arrêt ou redémarrage du processus qui l'exécutait) après {attempts} tentative(s)."
)
UNEXPECTED = "Erreur inattendue pendant le traitement ; l'équipe d'exploitation a le détail dans les journaux."


class JobFailed(Exception):
    """A handler's failure whose message (French) is shown as is to the user."""


@dataclass(frozen=True)
class Handler:
    kind: str
    function: Callable
    label: str
    attempts: int  # times the job is sent again after its worker died, plus one
    on_failure: Callable | None


HANDLERS: dict[str, Handler] = {}


def handler(kind: str, *, label: str, attempts: int = 3, on_failure: Callable | None = None):
    """Declares the function that runs jobs of `kind`: called as function(job, **job.args).

    `on_failure(job, message)` lets the domain object (an import, an export) show the failure.
    """

    def register(function):
        HANDLERS[kind] = Handler(kind, function, label, attempts, on_failure)
        return function

    return register


def enqueue(
    kind: str, *, label: str = "", requested_by: str = "", slot=None, after_commit: bool = False, **args
) -> Job:
    """Records the job (in the caller's transaction: rolled back with it) and sends it to the workers
    once that transaction commits. `after_commit` keeps that order even where jobs run at once (tests)."""
    known = HANDLERS[kind]
    job = Job.objects.create(
        kind=kind,
        label=(label or known.label)[:200],
        args=args,
        slot=slot,
        requested_by=requested_by[:200],
        heartbeat_at=timezone.now(),
    )
    send(job.pk, after_commit=after_commit)
    return job


def enqueue_many(kind: str, labels_and_args: list[tuple[str, dict]], *, requested_by: str = "") -> list[Job]:
    """``enqueue`` for many jobs of one kind at once (a file's e-mails): one insert, each job sent to
    the workers once the caller's transaction commits."""
    known = HANDLERS[kind]
    now = timezone.now()
    jobs = Job.objects.bulk_create(
        [
            Job(
                kind=kind,
                label=(label or known.label)[:200],
                args=args,
                requested_by=requested_by[:200],
                heartbeat_at=now,
            )
            for label, args in labels_and_args
        ]  # fmt: skip
    )
    for job in jobs:
        send(job.pk, after_commit=True)
    return jobs


def run_here(kind: str, *, requested_by: str = "") -> Job:
    """Records a job and runs it in this process (a command), exactly as a worker would."""
    job = Job.objects.create(
        kind=kind, label=HANDLERS[kind].label[:200], requested_by=requested_by[:200], heartbeat_at=timezone.now()
    )
    run(job.pk)
    job.refresh_from_db()
    return job


def send(job_id: int, *, after_commit: bool = False) -> None:
    from .tasks import execute, huey

    if huey.immediate and not after_commit:  # tests: run now, in this process
        execute(job_id)
    else:  # the worker must find the job's row: send after the commit
        transaction.on_commit(lambda: execute(job_id))


def retry(job: Job, *, requested_by: str = "") -> bool:
    """Sends a failed job again (an operator's or a user's restart); False if it is not failed."""
    updated = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
        state=Job.State.QUEUED,
        attempts=0,
        message=f"Relancé par {requested_by}" if requested_by else "Relancé",
        done=0,
        finished_at=None,
        heartbeat_at=timezone.now(),
    )
    if updated:
        send(job.pk)
    return bool(updated)


def run(job_id: int) -> None:
    """Runs a job in this process (the worker's task): claim, beat, run, record the outcome."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        worker=f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120],
    )
    if not claimed:
        return  # already run, running elsewhere, or removed
    job = Job.objects.get(pk=job_id)
    known = HANDLERS.get(job.kind)
    beat = _Heartbeat(job_id)
    beat.start()
    try:
        if known is None:
            raise JobFailed(f"Traitement inconnu : {job.kind}.")
        known.function(job, **job.args)
    except JobFailed as exc:
        fail(job, str(exc))
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fail(job, UNEXPECTED)
    else:
        Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
            state=Job.State.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
        )
    finally:
        beat.stop()


def progress(job: Job, done: int, total: int | None = None, message: str | None = None) -> None:
    """Shown in the console (and by the pages that follow a job); also a sign of life."""
    changes = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        changes["total"] = total
    if message is not None:
        changes["message"] = message
    Job.objects.filter(pk=job.pk).update(**changes)
    job.done = done
    if total is not None:
        job.total = total


def fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, message=message, finished_at=timezone.now())
    known = HANDLERS.get(job.kind)
    if known is not None and known.on_failure is not None:
        try:
            known.on_failure(job, message)
        except Exception:  # the job's own failure is recorded whatever the domain hook does
            logger.exception("on_failure of job %s (%s)", job.pk, job.kind)


class _Heartbeat(threading.Thread):
    """Writes the job's sign of life every JOB_HEARTBEAT_SECONDS while it runs, on its own
    connection, whatever the handler is doing (a long query, a child process…)."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"rpps-job-heartbeat-{job_id}")
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                close_old_connections()
                Job.objects.filter(pk=self.job_id, state=Job.State.RUNNING).update(heartbeat_at=timezone.now())
        except Exception:  # a missed beat only makes the reaper look sooner
            logger.warning("heartbeat of job %s failed", self.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=settings.JOB_HEARTBEAT_SECONDS + 5)


def reap(now=None) -> dict:
    """Jobs whose worker died (no sign of life for JOB_STALE_SECONDS) are sent again while they have
    attempts left, else failed; queued jobs whose message may have been lost are sent again."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    outcome = {"relances": 0, "echecs": 0, "renvoyes": 0}
    for job in Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=stale):
        known = HANDLERS.get(job.kind)
        if known is not None and job.attempts < known.attempts:
            if Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, heartbeat_at__lt=stale).update(
                state=Job.State.QUEUED, heartbeat_at=now, message="Relancé automatiquement après une interruption."
            ):
                send(job.pk)
                outcome["relances"] += 1
        elif Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, heartbeat_at__lt=stale).exists():
            fail(job, INTERRUPTED.format(attempts=job.attempts))
            outcome["echecs"] += 1
    # A queued job's heartbeat_at is when it was last sent.
    lost = now - datetime.timedelta(seconds=settings.JOB_RESEND_QUEUED_SECONDS)
    for job_id in Job.objects.filter(state=Job.State.QUEUED, heartbeat_at__lt=lost).values_list("pk", flat=True):
        if Job.objects.filter(pk=job_id, state=Job.State.QUEUED, heartbeat_at__lt=lost).update(heartbeat_at=now):
            send(job_id)  # claimed once whatever the number of copies
            outcome["renvoyes"] += 1
    return outcome


def purge(now=None) -> int:
    """Finished jobs older than JOB_KEEP_DAYS are deleted (they hold no data of their own)."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.JOB_KEEP_DAYS)
    finished = Job.objects.filter(state__in=(Job.State.DONE, Job.State.FAILED))
    deleted, _ = finished.filter(finished_at__lt=limit).delete()
    # Periodic runs that went well are only needed for "last run": a day is enough.
    frequent, _ = finished.filter(
        slot__isnull=False, state=Job.State.DONE, finished_at__lt=now - datetime.timedelta(days=1)
    ).delete()
    return deleted + frequent
