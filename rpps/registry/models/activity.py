import datetime

from django.db import models

from rpps.nomenclatures import catalog

from .base import Recorded
from .exercise import Exercise
from .person import OfPersonQuerySet
from .structure import Structure


def open_condition(day: datetime.date, prefix: str = "") -> models.Q:
    """A situation is open on ``day``: started, and not ended before it (``prefix`` for a related model)."""
    return models.Q(**{f"{prefix}start_date__lte": day}) & (
        models.Q(**{f"{prefix}end_date__isnull": True}) | models.Q(**{f"{prefix}end_date__gte": day})
    )


def is_open_on(start: datetime.date | None, end: datetime.date | None, day: datetime.date) -> bool:
    """open_condition for one situation's dates (a situation without a start date is not open)."""
    return start is not None and start <= day and (end is None or end >= day)


class ActivityQuerySet(OfPersonQuerySet):
    def open_on(self, day: datetime.date):
        return self.filter(open_condition(day))

    def open_today(self):
        return self.open_on(datetime.date.today())


class Activity(Recorded):
    """Situation d'exercice: an exercise practised at a structure from a start date, maybe to an end date."""

    PERSON_PATH = "exercise__person__"

    CODED_FIELDS = {
        "mode_code": catalog.ACTIVITY_MODE,
        "function_code": catalog.FUNCTION,
        "genre_code": catalog.ACTIVITY_GENRE,
        "role_code": catalog.ROLE,
        "pharmacist_section_code": catalog.PHARMACIST_SECTION,
        "end_reason_code": catalog.END_REASON,
    }

    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="activities", verbose_name="exercice professionnel"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="activities", verbose_name="structure"
    )
    mode_code = models.CharField("mode d'exercice", max_length=2)
    function_code = models.CharField("fonction", max_length=10, blank=True)
    genre_code = models.CharField("genre d'activité", max_length=8, blank=True)
    role_code = models.CharField("rôle", max_length=10, blank=True)
    pharmacist_section_code = models.CharField("section du tableau des pharmaciens", max_length=2, blank=True)
    start_date = models.DateField("date de début")
    end_date = models.DateField("date de fin", null=True, blank=True)
    end_reason_code = models.CharField("motif de fin", max_length=5, blank=True)
    # Published files give the registration authority per situation line (a doctor's cabinet and
    # hospital lines may differ); empty means the exercise's.
    registration_authority = models.CharField(
        "autorité d'enregistrement de la situation", max_length=60, blank=True, db_default=""
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = "situation d'exercice"
        verbose_name_plural = "situations d'exercice"
        ordering = ["exercise_id", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="activity_end_after_start",
                violation_error_message="La date de fin ne peut pas précéder la date de début.",
            ),
            models.CheckConstraint(
                condition=models.Q(end_reason_code="") | models.Q(end_date__isnull=False),
                name="activity_end_reason_needs_end_date",
                violation_error_message="Un motif de fin n'a de sens qu'avec une date de fin.",
            ),
        ]
        indexes = [models.Index(fields=["structure", "end_date"], name="activity_structure_end")]

    def __str__(self):
        return f"{self.exercise} @ {self.structure_id} depuis {self.start_date}"

    def history_person_id(self):
        return Exercise.objects.filter(pk=self.exercise_id).values_list("person_id", flat=True).first()

    def collect_errors(self, errors):
        super().collect_errors(errors)
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(
                f"Date de fin : elle ne peut pas précéder la date de début ({self.start_date:%d/%m/%Y})."
            )
        if self.end_reason_code and not self.end_date:
            errors.setdefault("end_reason_code", []).append("Motif de fin : renseignez aussi la date de fin.")
        twin = self.same_situation()
        if twin is not None:
            errors.setdefault("__all__", []).append(
                "Cette personne a déjà cette situation dans cette structure (même rôle, mode et genre d'activité), "
                f"depuis le {twin.start_date:%d/%m/%Y} : modifiez-la plutôt que d'en créer une seconde."
            )

    # The person's situations at this structure, when the caller has read them at once (a file's rows):
    # ``same_situation`` then asks the database nothing.
    situations_here = None

    def same_situation(self):
        """Another situation of the same person at the same structure, in the same role, mode and genre,
        over the same days (a second card for one place on the public page): None if there is none."""
        if not (self.exercise_id and self.structure_id and self.start_date):
            return None
        others = self.situations_here
        if others is None:
            others = Activity.objects.filter(
                exercise__person_id=Exercise.objects.filter(pk=self.exercise_id).values("person_id")[:1],
                structure_id=self.structure_id,
            )
        same = [
            other
            for other in others
            if other is not self and (self.pk is None or other.pk != self.pk) and self.is_same_as(other)
        ]
        return min(same, key=lambda other: other.start_date, default=None)

    def is_same_as(self, other: "Activity") -> bool:
        """The same place, role, mode and genre over days both cover."""
        return (
            (other.structure_id, other.role_code, other.function_code, other.mode_code, other.genre_code)
            == (self.structure_id, self.role_code, self.function_code, self.mode_code, self.genre_code)
            and (other.end_date is None or other.end_date >= self.start_date)
            and (self.end_date is None or other.start_date <= self.end_date)
        )
