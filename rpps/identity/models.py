from django.conf import settings
from django.db import models

from rpps.registry.models import Person


class IdentityIndex(models.Model):
    """Normalised identity traits of one current person, read by the resolver (private data)."""

    # Derived data, rebuilt from the registry: no database foreign key, so bulk rebuilds stay fast.
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="identity_index", db_constraint=False
    )
    birth_name = models.CharField(max_length=100)
    usage_name = models.CharField(max_length=100, blank=True)
    given_names = models.CharField(max_length=200)
    name_phonetic = models.CharField(max_length=100)
    usage_phonetic = models.CharField(max_length=100, blank=True)
    given_phonetic = models.CharField(max_length=100)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    birth_place = models.CharField(max_length=5, blank=True)
    # The first given name as written, a compound whole (ROSE MARIE for Rose-Marie): twins are told apart by it.
    first_given_name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = "index d'identité"
        verbose_name_plural = "index d'identité"

    def __str__(self):
        return f"{self.birth_name} {self.given_names} {self.birth_date}"


class IdentityKey(models.Model):
    """Blocking keys: a request looks up its keys here to find candidate persons."""

    pk = models.CompositePrimaryKey("key", "person")
    key = models.CharField(max_length=120)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        verbose_name = "clé de recherche d'identité"
        verbose_name_plural = "clés de recherche d'identité"

    def __str__(self):
        return self.key


class NameFrequency(models.Model):
    """How many current persons carry a (phonetic surname, phonetic first given name) pair.

    Rebuilt by index_identities; agreeing on a common name (MARTIN Marie) proves less than on a rare one.
    """

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField()

    class Meta:
        verbose_name = "fréquence de nom"
        verbose_name_plural = "fréquences de noms"

    def __str__(self):
        return f"{self.key}: {self.count}"


class ReviewCase(models.Model):
    """A possible duplicate waiting for an operator: a registration request, or two existing persons."""

    class Kind(models.TextChoices):
        REQUEST = "request", "demande d'enregistrement"
        PAIR = "pair", "deux personnes du répertoire"

    class Status(models.TextChoices):
        OPEN = "open", "à examiner"
        SAME = "same", "même personne"
        DISTINCT = "distinct", "personnes distinctes"

    kind = models.CharField("nature", max_length=8, choices=Kind.choices)
    status = models.CharField("statut", max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    # REQUEST: the traits and person data of the request (private); PAIR: null.
    request = models.JSONField("demande", null=True, blank=True)
    # PAIR: the record being checked; REQUEST: the person the request resolved to, once decided.
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="personne"
    )
    # [{"person_id", "rpps", "explanation": {...}}] in order of likelihood.
    candidates = models.JSONField("candidats")
    # Who the case is about, as the operator searches the queue: "BENOÎT Marie Hélène".
    name = models.CharField("nom et prénoms", max_length=300, blank=True, default="")
    requested_by = models.CharField("demandé par", max_length=150)
    reason = models.CharField("motif", max_length=300)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name="décidé par"
    )

    class Meta:
        verbose_name = "doublon possible à examiner"
        verbose_name_plural = "file d'examen des doublons possibles"
        ordering = ["status", "created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if not self.name:
            self.name = self.subject_name()
        super().save(*args, **kwargs)

    def subject_name(self) -> str:
        """The birth name and given names of the request, or of the checked person."""
        if self.request:
            data = self.request["person"]
            return f"{data.get('birth_name', '')} {data.get('given_names', '')}".strip()
        if self.person_id:
            return f"{self.person.birth_name} {self.person.given_names}".strip()
        return ""


class DistinctPair(models.Model):
    """Two persons an operator declared distinct: never proposed as duplicates again."""

    low = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "paire déclarée distincte"
        verbose_name_plural = "paires déclarées distinctes"
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="distinct_pair_unique"),
            models.CheckConstraint(condition=models.Q(low__lt=models.F("high")), name="distinct_pair_ordered"),
        ]

    def __str__(self):
        return f"{self.low_id} ≠ {self.high_id}"

    @classmethod
    def record(cls, a: int, b: int, user=None) -> None:
        low, high = sorted((a, b))
        cls.objects.get_or_create(low_id=low, high_id=high, defaults={"decided_by": user})
