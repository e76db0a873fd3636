"""The Huey side: the one task that runs a job by its id, and one periodic task per entry of
settings.JOB_SCHEDULE (run by the consumer started with `manage.py run_huey`; with several
consumers, each slot is still enqueued once: `schedule.enqueue_slot`)."""

from django.utils import timezone
from huey.contrib.djhuey import HUEY as huey
from huey.contrib.djhuey import db_periodic_task, db_task

from . import jobs, schedule


@db_task(retries=0)
def execute(job_id: int):
    jobs.run(job_id)


def _periodic(kind: str):
    def enqueue():
        slot = timezone.now().replace(second=0, microsecond=0)
        schedule.enqueue_slot(kind, slot)

    enqueue.__name__ = f"periodic_{kind.replace('.', '_')}"
    return enqueue


for _entry in schedule.entries():
    db_periodic_task(_entry.test, name=f"periodic.{_entry.kind}")(_periodic(_entry.kind))


@jobs.handler("runtime.reap", label="Relance ou échec des traitements interrompus", attempts=1)
def reap(job):
    outcome = jobs.reap()
    jobs.progress(job, 1, 1, ", ".join(f"{k} {v}" for k, v in outcome.items()))


@jobs.handler("runtime.purge_jobs", label="Suppression des traitements terminés anciens", attempts=1)
def purge_jobs(job):
    jobs.progress(job, 1, 1, f"{jobs.purge()} supprimé(s)")


__all__ = ["huey", "execute"]
