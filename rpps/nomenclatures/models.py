from django.db import models


class Table(models.Model):
    """A code table (NOS terminology or value set) the registry validates against."""

    name = models.CharField("identifiant", max_length=80, unique=True)
    label = models.CharField("libellé", max_length=200)
    sources = models.TextField("fichiers sources", blank=True)
    note = models.TextField("remarque", blank=True)
    loaded_at = models.DateTimeField("chargée le", auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "table de nomenclature"
        verbose_name_plural = "tables de nomenclature"

    def __str__(self):
        return f"{self.name} — {self.label}"


class Concept(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "actif"
        DEPRECATED = "deprecated", "obsolète"

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="concepts", verbose_name="table")
    code = models.CharField("code", max_length=20)
    label = models.CharField("libellé", max_length=300)
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.ACTIVE)
    end_date = models.DateField("date de fin de validité", null=True, blank=True)
    code_system = models.CharField("système de codage", max_length=200, blank=True)

    class Meta:
        ordering = ["table", "code"]
        verbose_name = "code"
        verbose_name_plural = "codes"
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="concept_unique_code_per_table")]

    def __str__(self):
        return f"{self.code} — {self.label}"
