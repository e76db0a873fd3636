from django.db import models

from rpps.nomenclatures import catalog

from .base import Recorded
from .person import OfPersonQuerySet, Person
from .structure import Structure


def published_mailbox_condition(prefix: str = "") -> models.Q:
    """A mailbox is published unless it is on the red list (``prefix`` from a related model)."""
    return models.Q(**{f"{prefix}red_list": False})


class MailboxQuerySet(OfPersonQuerySet):
    def published(self):
        return self.filter(published_mailbox_condition())


class Mailbox(Recorded):
    """Boîte aux lettres MSSanté. Public unless on the red list."""

    CODED_FIELDS = {"type_code": catalog.MAILBOX_TYPE}
    PART_OF = ("person", "structure")
    PERSON_PATH = "person__"

    address = models.EmailField("adresse BAL MSSanté")
    type_code = models.CharField("type de BAL", max_length=3)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="mailboxes", verbose_name="personne"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, null=True, blank=True, related_name="mailboxes", verbose_name="structure"
    )
    service = models.CharField("service de rattachement", max_length=200, blank=True)
    dematerialization = models.BooleanField("accepte la dématérialisation", default=False)
    red_list = models.BooleanField(
        "liste rouge", default=False, help_text="Une BAL en liste rouge n'est jamais publiée."
    )

    objects = MailboxQuerySet.as_manager()

    class Meta:
        verbose_name = "boîte aux lettres MSSanté"
        verbose_name_plural = "boîtes aux lettres MSSanté"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(structure__isnull=False),
                name="mailbox_has_owner",
                violation_error_message="Une BAL doit appartenir à une personne ou à une structure.",
            ),
            models.UniqueConstraint(
                fields=["address", "person"],
                name="mailbox_unique_per_person",
                violation_error_message="Cette adresse est déjà enregistrée pour cette personne.",
            ),
        ]

    def __str__(self):
        return self.address

    def history_person_id(self):
        return self.person_id

    def collect_errors(self, errors):
        super().collect_errors(errors)
        if not self.person_id and not self.structure_id:
            errors.setdefault("person", []).append("Une BAL doit appartenir à une personne ou à une structure.")


class Card(Recorded):
    """Carte CPS/CPF/CPE/CPA (or e-CPS) held by a person."""

    CODED_FIELDS = {"type_code": catalog.CARD_TYPE}
    PART_OF = ("person",)
    PERSON_PATH = "person__"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cards", verbose_name="personne")
    type_code = models.CharField("type de carte", max_length=3)
    number = models.CharField("numéro de carte", max_length=20, unique=True)
    national_id = models.CharField("identifiant national contenu dans la carte", max_length=30)
    valid_from = models.DateField("début de validité")
    valid_until = models.DateField("fin de validité")
    opposition_date = models.DateField("date d'opposition", null=True, blank=True)

    objects = OfPersonQuerySet.as_manager()

    class Meta:
        verbose_name = "carte"
        verbose_name_plural = "cartes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="card_validity_order",
                violation_error_message="La fin de validité ne peut pas précéder le début de validité.",
            )
        ]

    def __str__(self):
        return f"{self.type_code} {self.number}"

    def history_person_id(self):
        return self.person_id

    def collect_errors(self, errors):
        super().collect_errors(errors)
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors.setdefault("valid_until", []).append(
                "Fin de validité : elle ne peut pas précéder le début de validité."
            )
