from django.db import models

from rpps.nomenclatures import catalog

from .. import identifiers, validators
from .base import Recorded, digits_check


class Structure(Recorded):
    """A legal entity or a site where professionals practise. Everything about a structure is public."""

    CODED_FIELDS = {"sector_code": catalog.SECTOR}

    technical_id = models.CharField(
        "identifiant technique",
        max_length=16,
        unique=True,
        editable=False,
        help_text="F + FINESS, sinon C + SIRET, sinon R + RPPS-rang ; calculé.",
    )
    finess = models.CharField(
        "numéro FINESS", max_length=9, null=True, blank=True, unique=True, validators=[validators.validate_finess]
    )
    siret = models.CharField("numéro SIRET", max_length=14, blank=True, validators=[validators.validate_siret])
    siren = models.CharField("numéro SIREN", max_length=9, blank=True, validators=[validators.validate_siren])
    rpps_rang = models.CharField(
        "identifiant RPPS-rang", max_length=14, blank=True, validators=[validators.validate_rpps_rang]
    )
    legal_entity = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
        verbose_name="entité juridique de rattachement",
    )
    is_legal_entity = models.BooleanField("entité juridique", default=False)
    name = models.CharField("raison sociale", max_length=200)
    trade_name = models.CharField("enseigne commerciale", max_length=200, blank=True)
    sector_code = models.CharField("secteur d'activité", max_length=5, blank=True)
    # Address, as in the extraction columns 27 to 46.
    recipient_complement = models.CharField("complément destinataire", max_length=100, blank=True)
    place_complement = models.CharField("complément point géographique", max_length=100, blank=True)
    street_number = models.CharField("numéro de voie", max_length=10, blank=True)
    repetition_index = models.CharField("indice de répétition", max_length=5, blank=True)
    street_type_code = models.CharField("code type de voie", max_length=5, blank=True)
    street_type_label = models.CharField("libellé type de voie", max_length=40, blank=True)
    street_name = models.CharField("libellé de voie", max_length=150, blank=True)
    distribution_mention = models.CharField("mention de distribution", max_length=100, blank=True)
    cedex_office = models.CharField("bureau cedex (ligne d'acheminement)", max_length=100, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    commune_code = models.CharField("code commune", max_length=5, blank=True)
    commune_label = models.CharField("commune", max_length=100, blank=True)
    country_code = models.CharField("code pays", max_length=5, blank=True)
    country_label = models.CharField("pays", max_length=60, blank=True)
    department_code = models.CharField("code département", max_length=3, blank=True)
    department_label = models.CharField("département", max_length=60, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    phone2 = models.CharField("téléphone 2", max_length=30, blank=True)
    fax = models.CharField("télécopie", max_length=30, blank=True)
    email = models.EmailField("adresse e-mail de la structure", blank=True)

    class Meta:
        verbose_name = "structure"
        verbose_name_plural = "structures"
        ordering = ["technical_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finess__isnull=False) | ~models.Q(siret="") | ~models.Q(rpps_rang=""),
                name="structure_has_identifier",
                violation_error_message="Une structure doit avoir un numéro FINESS, SIRET ou RPPS-rang.",
            ),
            models.CheckConstraint(
                condition=models.Q(technical_id__regex=r"^(F([0-9]{2}|2[AB])[0-9]{7}|C[0-9]{14}|R[0-9]{14})$"),
                name="structure_technical_id_format",
                violation_error_message="L'identifiant technique doit être F+FINESS, C+SIRET ou R+RPPS-rang.",
            ),
            digits_check("siret", 14, "structure_siret_14_digits", "Le numéro SIRET doit comporter 14 chiffres."),
            digits_check("siren", 9, "structure_siren_9_digits", "Le numéro SIREN doit comporter 9 chiffres."),
            digits_check("rpps_rang", 14, "structure_rpps_rang_14_digits", "Le RPPS-rang doit comporter 14 chiffres."),
            models.CheckConstraint(
                condition=~models.Q(legal_entity=models.F("pk")),
                name="structure_not_own_legal_entity",
                violation_error_message="Une structure ne peut pas être sa propre entité juridique.",
            ),
        ]
        # The public search finds structures by SIRET (FINESS is unique, hence indexed already).
        indexes = [models.Index(fields=["siret"], name="structure_siret")]

    def __str__(self):
        return f"{self.technical_id} — {self.name}"

    def compute_technical_id(self) -> str:
        if self.finess:
            return identifiers.StructureId("FINESS", self.finess).technical_id
        if self.siret:
            return identifiers.StructureId("SIRET", self.siret).technical_id
        if self.rpps_rang:
            return identifiers.StructureId("RPPS_RANG", self.rpps_rang).technical_id
        return ""

    @property
    def old_id(self) -> str:
        return identifiers.old_structure_id(self.technical_id)

    def clean(self):
        if self.finess == "":
            self.finess = None
        if self.finess:
            self.finess = self.finess.upper()
        super().clean()
        self.technical_id = self.compute_technical_id()

    def collect_errors(self, errors):
        super().collect_errors(errors)
        technical_id = self.compute_technical_id() if not errors else ""
        if technical_id and Structure.objects.filter(technical_id=technical_id).exclude(pk=self.pk).exists():
            # technical_id is computed, so forms exclude it: report the duplicate on the identifier typed.
            field = {"F": "finess", "C": "siret", "R": "rpps_rang"}[technical_id[0]]
            errors.setdefault(field, []).append(
                f"Une structure d'identifiant technique {technical_id} existe déjà dans le répertoire."
            )
        if not (self.finess or self.siret or self.rpps_rang):
            errors.setdefault("finess", []).append("Une structure doit avoir un numéro FINESS, SIRET ou RPPS-rang.")
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            errors.setdefault("siren", []).append("Le numéro SIREN doit être le début du numéro SIRET.")
        if self.legal_entity_id and self.pk and self.legal_entity_id == self.pk:
            errors.setdefault("legal_entity", []).append("Une structure ne peut pas être sa propre entité juridique.")

    def save(self, *args, **kwargs):
        if self.finess == "":
            self.finess = None
        self.technical_id = self.compute_technical_id()
        super().save(*args, **kwargs)
