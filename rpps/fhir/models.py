import hashlib
import secrets
import time
import uuid

from django.db import connection, models
from django.utils import timezone

# Keys found recently, per process: each API request would otherwise read the key table. A key
# revoked elsewhere stops working within KEY_CACHE_SECONDS in every process, at once in this one.
KEY_CACHE_SECONDS = 10
_found: dict[str, tuple["ApiKey", float]] = {}


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def revoke(self) -> int:
        for digest in self.values_list("digest", flat=True):
            _found.pop(digest, None)
        return self.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class ApiKey(models.Model):
    """A key for the FHIR API (header ESANTE-API-KEY). Only its SHA-256 is stored: shown once, at creation."""

    name = models.CharField("nom", max_length=100, help_text="L'application ou l'organisation qui l'utilise.")
    prefix = models.CharField("début de la clé", max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    created_by = models.CharField("créée par", max_length=150, blank=True, editable=False)
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "clé d'API"
        verbose_name_plural = "clés d'API"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str, created_by: str = "") -> tuple["ApiKey", str]:
        """A new key: returns the record and the key itself, which is not kept anywhere."""
        key = secrets.token_urlsafe(32)
        return cls.objects.create(name=name, prefix=key[:8], digest=cls.hash(key), created_by=created_by), key

    @classmethod
    def find(cls, key: str) -> "ApiKey | None":
        if not key or len(key) > 200:
            return None
        digest = cls.hash(key)
        cached = _found.get(digest)
        if cached and time.monotonic() < cached[1]:
            return cached[0]
        found = cls.objects.active().filter(digest=digest).first()
        if found:
            _found[digest] = (found, time.monotonic() + KEY_CACHE_SECONDS)
        return found


class RateWindow(models.Model):
    """The requests of a key in its current second, shared by every server process: the rate limit is
    per key, whichever process serves it. One row per key, started again each second."""

    key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, primary_key=True, related_name="+")
    second = models.BigIntegerField()
    hits = models.IntegerField()

    class Meta:
        verbose_name = "fenêtre de débit"

    def __str__(self):
        return f"{self.key_id} : {self.hits} requête(s) à la seconde {self.second}"

    @classmethod
    def hit(cls, key: ApiKey, second: int) -> int:
        """Count one request of ``key`` in ``second``; the requests of that second so far. One atomic
        statement (the row is locked for its duration only), the same on SQLite and PostgreSQL."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key_id, second, hits) VALUES (%s, %s, 1) ON CONFLICT (key_id) DO UPDATE "
                f"SET hits = CASE WHEN {table}.second = excluded.second THEN {table}.hits + 1 ELSE 1 END, "
                "second = excluded.second RETURNING hits",
                [key.pk, second],
            )
            return cursor.fetchone()[0]

    @classmethod
    def clean(cls, now: float | None = None) -> int:
        """Windows of keys idle for a minute are removed (a periodic job): the table holds active keys only."""
        deleted, _ = cls.objects.filter(second__lt=int(now or time.time()) - 60).delete()
        return deleted


class Tombstone(models.Model):
    """A resource whose registry record was deleted (a merged duplicate's exercise, a removed situation or
    structure): served with active=false and its identifiers only, so that delta clients see it go.
    Kept FHIR_TOMBSTONE_DAYS days (at least 30: the official API's delta window)."""

    resource_type = models.CharField(max_length=20)
    resource_id = models.BigIntegerField()
    identifiers = models.JSONField()
    identifier_values = models.TextField(help_text="« v1 v2 … » : the identifier values, for identifier searches.")
    deleted_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "ressource supprimée"
        constraints = [models.UniqueConstraint(fields=["resource_type", "resource_id"], name="tombstone_unique")]

    def __str__(self):
        return f"{self.resource_type}/{self.resource_id} (supprimée le {self.deleted_at:%d/%m/%Y})"


class Export(models.Model):
    """A bulk export ($export, FHIR Bulk Data async pattern): NDJSON files per resource type."""

    class State(models.TextChoices):
        QUEUED = "queued", "en attente"
        RUNNING = "running", "en cours"
        DONE = "done", "terminé"
        FAILED = "failed", "échoué"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="exports")
    request_url = models.TextField()
    types = models.JSONField()
    since = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    written = models.BigIntegerField(default=0)
    expected = models.BigIntegerField(default=0)
    outputs = models.JSONField(default=list, help_text="[{type, file, count}]")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    heartbeat = models.DateTimeField(auto_now=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "export FHIR"
        verbose_name_plural = "exports FHIR"

    def __str__(self):
        return f"{self.id} {self.get_state_display()}"
