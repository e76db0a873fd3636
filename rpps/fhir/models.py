import hashlib
import secrets

from django.db import models


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


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
        return cls.objects.active().filter(digest=cls.hash(key)).first()
