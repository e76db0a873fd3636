from django.db import models

from rpps.nomenclatures import catalog

from .. import validators
from .base import Recorded
from .person import OfPersonQuerySet, Person

# Savoir-faire types whose code table ships with the product; other types cannot be entered yet.
EXPERTISE_CODE_TABLES = {"S": catalog.SPECIALTY}


class Exercise(Recorded):
    """Exercice professionnel: one profession practised by a person, with the names used in practice."""

    # the outputs show an exercise with its person's public data (number, civility, mailboxes)
    FOLLOWS = ("person",)
    PERSON_PATH = "person__"

    CODED_FIELDS = {
        "profession_code": catalog.PROFESSION,
        "category_code": catalog.CATEGORY,
        "exercise_civility_code": catalog.EXERCISE_CIVILITY,
    }

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="exercises", verbose_name="personne")
    profession_code = models.CharField("profession", max_length=5)
    category_code = models.CharField("catégorie professionnelle", max_length=2)
    exercise_civility_code = models.CharField("civilité d'exercice", max_length=4, blank=True)
    last_name = models.CharField("nom d'exercice", max_length=100, validators=[validators.validate_name])
    first_name = models.CharField(
        "prénom d'exercice", max_length=100, blank=True, validators=[validators.validate_name]
    )
    registration_authority = models.CharField(
        "autorité d'enregistrement", max_length=60, blank=True, help_text="Par exemple CNOM/CNOM/ARS."
    )

    objects = OfPersonQuerySet.as_manager()

    class Meta:
        verbose_name = "exercice professionnel"
        verbose_name_plural = "exercices professionnels"
        ordering = ["person_id", "profession_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "profession_code"],
                name="exercise_one_per_profession",
                violation_error_message="Cette personne a déjà un exercice pour cette profession.",
            )
        ]

    def __str__(self):
        return f"{self.last_name} {self.first_name} ({self.profession_code})"

    def history_person_id(self):
        return self.person_id


class ExerciseChild(Recorded):
    PART_OF = ("exercise",)
    PERSON_PATH = "exercise__person__"

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, verbose_name="exercice professionnel")

    objects = OfPersonQuerySet.as_manager()

    class Meta:
        abstract = True

    def history_person_id(self):
        return Exercise.objects.filter(pk=self.exercise_id).values_list("person_id", flat=True).first()


class Expertise(ExerciseChild):
    """Savoir-faire: a specialty, competence, capacity… of an exercise."""

    CODED_FIELDS = {"type_code": catalog.EXPERTISE_TYPE}

    type_code = models.CharField("type de savoir-faire", max_length=5)
    code = models.CharField("savoir-faire", max_length=10)

    class Meta:
        verbose_name = "savoir-faire"
        verbose_name_plural = "savoir-faire"
        default_related_name = "expertises"
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "type_code", "code"],
                name="expertise_unique",
                violation_error_message="Ce savoir-faire est déjà enregistré pour cet exercice.",
            )
        ]
        # The public search filters exercises by savoir-faire.
        indexes = [models.Index(fields=["code", "exercise"], name="expertise_code")]

    def __str__(self):
        return f"{self.type_code} {self.code}"

    def coded_fields(self):
        fields = super().coded_fields()
        if self.type_code in EXPERTISE_CODE_TABLES:
            fields["code"] = EXPERTISE_CODE_TABLES[self.type_code]
        return fields

    def collect_errors(self, errors):
        super().collect_errors(errors)
        if self.type_code and self.type_code not in EXPERTISE_CODE_TABLES:
            errors.setdefault("code", []).append(
                f"Savoir-faire : aucune nomenclature n'est chargée pour le type « {self.type_code} » ; "
                "seules les spécialités ordinales (type S) peuvent être saisies."
            )


class Diploma(ExerciseChild):
    """Diplôme obtenu. Type and label are public; number, date and place are private."""

    CODED_FIELDS = {"type_code": catalog.DIPLOMA_TYPE}

    type_code = models.CharField("type de diplôme", max_length=5)
    # Diploma code tables (TRE_R48, R49…) are not shipped: code and label are kept as the authority gives them.
    code = models.CharField("code du diplôme", max_length=20, blank=True)
    label = models.CharField("libellé du diplôme", max_length=200)
    number = models.CharField("numéro du diplôme", max_length=50, blank=True)
    obtained_on = models.DateField("date d'obtention", null=True, blank=True)
    place = models.CharField("lieu d'obtention", max_length=100, blank=True)

    class Meta:
        verbose_name = "diplôme"
        verbose_name_plural = "diplômes"
        default_related_name = "diplomas"

    def __str__(self):
        return self.label


class Authorization(ExerciseChild):
    """Autorisation d'exercice. Type and discipline are public; number and date are private."""

    CODED_FIELDS = {"type_code": catalog.AUTHORIZATION_TYPE}

    type_code = models.CharField("type d'autorisation", max_length=5)
    discipline_code = models.CharField("code de la discipline", max_length=20, blank=True)
    discipline_label = models.CharField("libellé de la discipline", max_length=200, blank=True)
    number = models.CharField("numéro de l'autorisation", max_length=50, blank=True)
    granted_on = models.DateField("date de l'autorisation", null=True, blank=True)

    class Meta:
        verbose_name = "autorisation d'exercice"
        verbose_name_plural = "autorisations d'exercice"
        default_related_name = "authorizations"

    def __str__(self):
        return f"{self.type_code} {self.discipline_label}"
