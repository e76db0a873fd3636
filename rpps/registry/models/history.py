from django.apps import apps
from django.conf import settings
from django.db import models


class ChangeRecord(models.Model):
    """One change to one registry object: who, when, what (before/after) and why. Append-only."""

    class Action(models.TextChoices):
        CREATE = "create", "création"
        UPDATE = "update", "modification"
        DELETE = "delete", "suppression"

    class ActorKind(models.TextChoices):
        USER = "user", "utilisateur"
        FEED = "feed", "flux d'une autorité"
        LOADER = "loader", "chargement"
        SYSTEM = "system", "système"

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    actor_kind = models.CharField("type d'auteur", max_length=10, choices=ActorKind.choices)
    actor_label = models.CharField("auteur", max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name="utilisateur"
    )
    reason = models.CharField("motif", max_length=300)
    action = models.CharField("action", max_length=6, choices=Action.choices)
    object_type = models.CharField("type d'objet", max_length=40)
    object_id = models.BigIntegerField("identifiant de l'objet")
    person_id = models.BigIntegerField("personne concernée", null=True, blank=True, db_index=True)
    before = models.JSONField("avant", null=True, blank=True)
    after = models.JSONField("après", null=True, blank=True)
    # False: an update of private fields only (projection.public_change). It is history, but no version
    # of a public output: the object's updated_at (lastUpdated, versionId) does not move for it.
    public = models.BooleanField("visible dans les sorties publiques", default=True, db_default=True)

    class Meta:
        verbose_name = "modification (historique)"
        verbose_name_plural = "historique des modifications"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="change_object")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("L'historique est en ajout seul : une modification enregistrée ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("L'historique est en ajout seul : une modification enregistrée ne se supprime pas.")

    @property
    def object_label(self) -> str:
        """What changed, as people read it ("situation d'exercice", not "registry.activity")."""
        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type


class RppsCounter(models.Model):
    """Next RPPS body to try in one allocation range (see rpps.registry.allocation)."""

    range_name = models.CharField("plage", max_length=30, unique=True)
    next_body = models.BigIntegerField("prochain corps de numéro")

    class Meta:
        verbose_name = "compteur de numéros RPPS"
        verbose_name_plural = "compteurs de numéros RPPS"

    def __str__(self):
        return f"{self.range_name} → {self.next_body}"
