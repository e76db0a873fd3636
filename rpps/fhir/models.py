import hashlib
import secrets
import time
import uuid

from django.db import models
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
