"""The periodic jobs, as settings.JOB_SCHEDULE declares them (the one place that names them and
their hour), and what the console shows of each: last run, outcome, next run."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from huey import crontab

from . import jobs
from .models import Job


@dataclass(frozen=True)
class Entry:
    kind: str
    cron: str  # "minute hour day month day_of_week", in UTC

    @property
    def test(self):
        minute, hour, day, month, day_of_week = self.cron.split()
        return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)

    @property
    def label(self) -> str:
        known = jobs.HANDLERS.get(self.kind)
        return known.label if known else self.kind

    def next_run(self, now=None) -> datetime.datetime | None:
        """The next minute the schedule matches (searched over 8 days), aware."""
        now = (now or timezone.now()).astimezone(datetime.UTC).replace(second=0, microsecond=0, tzinfo=None)
        test = self.test
        moment = now + datetime.timedelta(minutes=1)
        for _ in range(8 * 24 * 60):
            if test(moment):
                return moment.replace(tzinfo=datetime.UTC)
            moment += datetime.timedelta(minutes=1)
        return None

    def last_run(self) -> Job | None:
        """The latest run, scheduled or launched by hand (console, `manage.py periodic`)."""
        return Job.objects.filter(kind=self.kind).order_by("-created_at", "-id").first()


def entries() -> list[Entry]:
    return [Entry(kind, cron) for kind, cron in settings.JOB_SCHEDULE.items()]


def entry(kind: str) -> Entry:
    if kind not in settings.JOB_SCHEDULE:
        raise KeyError(kind)
    return Entry(kind, settings.JOB_SCHEDULE[kind])


def enqueue_slot(kind: str, slot: datetime.datetime) -> Job | None:
    """Enqueues this minute's run of a periodic job, once whatever the number of schedulers."""
    try:
        with transaction.atomic():
            return jobs.enqueue(kind, slot=slot, requested_by="planification")
    except IntegrityError:
        return None  # another scheduler took this slot
