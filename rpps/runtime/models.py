"""What every process shares about work: the jobs (durable, visible in the console) and the version
numbers of shared caches."""

from django.db import models


class JobQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(state__in=(Job.State.QUEUED, Job.State.RUNNING))


class Job(models.Model):
    """One piece of background work. The broker carries only its id: its state lives here, so a
    worker that dies, a lost message or a restarted broker never leaves it "en cours" forever
    (`runtime.jobs.reap`)."""

    class State(models.TextChoices):
        QUEUED = "queued", "en attente"
        RUNNING = "running", "en cours"
        DONE = "done", "terminé"
        FAILED = "failed", "échoué"

    kind = models.CharField("traitement", max_length=60, db_index=True)
    label = models.CharField("libellé", max_length=200)
    args = models.JSONField("paramètres", default=dict)
    state = models.CharField("état", max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    requested_by = models.CharField("demandé par", max_length=200, blank=True)
    # A periodic job's slot (the scheduled minute): several schedulers enqueue it once.
    slot = models.DateTimeField("créneau planifié", null=True, blank=True)
    done = models.BigIntegerField("fait", default=0)
    total = models.BigIntegerField("à faire", default=0)
    message = models.TextField("message", blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    worker = models.CharField("processus", max_length=120, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True, db_index=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier signe de vie", null=True, blank=True)
    finished_at = models.DateTimeField("fini le", null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "traitement"
        verbose_name_plural = "traitements"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "slot"], name="runtime_job_one_per_slot")]

    def __str__(self):
        return f"{self.label} ({self.get_state_display()})"

    @property
    def percent(self) -> int | None:
        return min(100, int(100 * self.done / self.total)) if self.total else None


class SharedVersion(models.Model):
    """A number that grows each time shared data changes (nomenclature tables…): every process
    compares it with the one its cache was built from (`runtime.versions`)."""

    name = models.CharField(max_length=60, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} = {self.value}"
