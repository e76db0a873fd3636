import datetime

from django.db import models

from rpps.nomenclatures import catalog

from .. import identifiers, validators
from .base import Recorded


def current_condition(prefix: str = "") -> models.Q:
    """The person is current: not a retired alias of another (a merged duplicate). ``prefix`` reaches
    the person from a related model ("person__", "exercise__person__")."""
    return models.Q(**{f"{prefix}merged_into__isnull": True})


class PersonQuerySet(models.QuerySet):
    def current(self):
        return self.filter(current_condition())


class OfPersonQuerySet(models.QuerySet):
    """Objects that belong to a person, which the model's PERSON_PATH reaches."""

    def of_current_persons(self):
        return self.filter(current_condition(self.model.PERSON_PATH))


class Person(Recorded):
    """A professional: one RPPS number for life. The état civil is private.

    When two records turn out to be one person, the newer one is retired: ``merged_into`` points to
    the record that stays, and its RPPS number remains an alias that resolves to it.
    """

    CODED_FIELDS = {"civility_code": catalog.CIVILITY, "sex_code": catalog.SEX}

    rpps = models.CharField(
        "numéro RPPS",
        max_length=11,
        unique=True,
        validators=[validators.validate_rpps],
        help_text="Attribué une fois, à vie.",
    )
    civility_code = models.CharField("civilité", max_length=4, blank=True)
    # The état civil is unknown only for professionals loaded from a public extraction file (it
    # holds none); every other way in (portal, admin, feeds) requires it through identity resolution.
    sex_code = models.CharField("sexe", max_length=1, blank=True)
    birth_name = models.CharField("nom de naissance", max_length=100, blank=True, validators=[validators.validate_name])
    given_names = models.CharField(
        "prénoms de naissance",
        max_length=200,
        blank=True,
        validators=[validators.validate_name],
        help_text="Liste des prénoms de naissance séparés par des espaces, dans l'ordre de l'état civil "
        "(un prénom composé garde son trait d'union : « Jean-Christophe Marie »).",
    )
    usage_name = models.CharField("nom d'usage", max_length=100, blank=True, validators=[validators.validate_name])
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    birth_place_code = models.CharField(
        "lieu de naissance (code INSEE)",
        max_length=5,
        blank=True,
        validators=[validators.validate_birth_place_code],
        help_text="Code commune COG, ou code pays 99xxx pour une naissance à l'étranger.",
    )
    birth_city_abroad = models.CharField("ville de naissance à l'étranger", max_length=100, blank=True)
    nationality_code = models.CharField("nationalité (code pays INSEE)", max_length=5, blank=True)
    email = models.EmailField("adresse e-mail de correspondance", blank=True)
    phone = models.CharField("téléphone mobile de correspondance", max_length=20, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aliases",
        verbose_name="fusionnée dans",
        help_text="Doublon retiré : son numéro RPPS reste un alias de la personne indiquée.",
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "personne"
        verbose_name_plural = "personnes"
        ordering = ["rpps"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rpps__regex=r"^[0-9]{11}$"),
                name="person_rpps_11_digits",
                violation_error_message="Le numéro RPPS doit comporter exactement 11 chiffres.",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_place_code="")
                | models.Q(birth_place_code__regex=r"^([0-9]{2}|2[AB])[0-9]{3}$"),
                name="person_birth_place_cog",
                violation_error_message="Le lieu de naissance doit être un code commune ou pays INSEE à 5 caractères.",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")),
                name="person_not_merged_into_itself",
                violation_error_message="Une personne ne peut pas être fusionnée dans elle-même.",
            ),
            models.CheckConstraint(
                condition=models.Q(sex_code__in=["F", "M", ""]),
                name="person_sex_f_m",
                violation_error_message="Le sexe doit être F ou M.",
            ),
        ]

    def __str__(self):
        return f"{self.rpps} — {self.birth_name} {self.first_given_name}"

    @property
    def first_given_name(self) -> str:
        return self.given_names.split(" ")[0] if self.given_names else ""

    @property
    def idnps(self) -> str:
        return identifiers.IDNPS_RPPS_PREFIX + self.rpps

    def history_person_id(self):
        return self.pk

    def clean(self):
        if self.given_names:
            self.given_names = " ".join(self.given_names.split())
        super().clean()

    @property
    def civil_status_known(self) -> bool:
        return self.birth_date is not None

    def collect_errors(self, errors):
        super().collect_errors(errors)
        known = [bool(self.birth_name), bool(self.given_names), bool(self.sex_code), self.birth_date is not None]
        if any(known) and not all(known):
            errors.setdefault("birth_date", []).append(
                "L'état civil doit être complet (nom et prénoms de naissance, sexe, date de naissance) ou absent "
                "(professionnel connu seulement par une extraction publique)."
            )
        if self.birth_date:
            if self.birth_date > datetime.date.today():
                errors.setdefault("birth_date", []).append("La date de naissance ne peut pas être dans le futur.")
            elif self.birth_date < datetime.date(1900, 1, 1):
                errors.setdefault("birth_date", []).append("La date de naissance doit être postérieure au 01/01/1900.")
        if self.birth_place_code and identifiers.is_born_abroad(self.birth_place_code) and not self.birth_city_abroad:
            errors.setdefault("birth_city_abroad", []).append(
                "Pour une naissance à l'étranger, la ville de naissance est obligatoire."
            )
