import re

from django import forms
from dsfr.forms import DsfrBaseForm

from rpps.identity.traits import InvalidTraits, Traits
from rpps.nomenclatures import catalog, cog, lookup
from rpps.registry import folding, identifiers
from rpps.registry.validators import validate_name

from .models import Contract, Habilitation
from .services import IDENTIFIER_TYPES


class PortalForm(DsfrBaseForm):
    """DSFR forms that mark optional fields, as the design system now asks, and focus the first error."""

    def get_context(self):
        context = forms.Form.get_context(self)  # django-dsfr's own get_context only warns about this choice
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.errors:
            self.set_autofocus_on_first_error()


class StructureIdentifierForm(PortalForm):
    identifier_type = forms.ChoiceField(label="Type d'identifiant", choices=list(IDENTIFIER_TYPES.items()))
    identifier = forms.CharField(
        label="Numéro",
        max_length=20,
        help_text="FINESS : 9 caractères ; SIREN : 9 chiffres ; SIRET : 14 chiffres. Les espaces sont ignorés.",
    )


# What a proof of authority may be, recognised by its first bytes (not by its name or the browser's word).
EVIDENCE_TYPES = {b"%PDF-": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
EVIDENCE_MAX_BYTES = 5 * 2**20


class ContractRequestForm(StructureIdentifierForm):
    identifier_type = forms.ChoiceField(
        label="Type d'identifiant de la structure",
        choices=list(IDENTIFIER_TYPES.items()),
        help_text="Une structure à plusieurs sites signe avec son FINESS juridique ou son SIREN ; "
        "un site unique peut signer avec son FINESS géographique ; une pharmacie avec son SIRET.",
    )
    representative_family_name = forms.CharField(label="Nom du représentant légal", max_length=150)
    representative_given_name = forms.CharField(label="Prénom du représentant légal", max_length=150)
    representative_national_id = forms.CharField(
        label="Identifiant national du représentant légal",
        max_length=40,
        help_text="Celui de sa carte CPx ou e-CPS : « 8 » + numéro RPPS, ou « 3 » + FINESS + numéro d'ordre (CDE).",
    )
    representative_function = forms.ChoiceField(label="Fonction", choices=Contract.Function.choices)
    representative_email = forms.EmailField(label="Adresse e-mail du représentant légal")
    representative_phone = forms.CharField(label="Téléphone du représentant légal", max_length=20, required=False)
    contact_name = forms.CharField(label="Contact administratif (nom et prénom)", max_length=200, required=False)
    contact_email = forms.EmailField(label="Adresse e-mail du contact", required=False)
    contact_phone = forms.CharField(label="Téléphone du contact", max_length=20, required=False)
    evidence_kind = forms.ChoiceField(
        label="Justificatif du pouvoir du représentant légal",
        choices=[("", "Choisissez le document joint")] + Contract.Evidence.choices,
        error_messages={"required": "Indiquez quel document prouve le pouvoir du représentant légal."},
    )
    evidence = forms.FileField(
        label="Document justificatif",
        help_text=f"PDF, JPEG ou PNG, {EVIDENCE_MAX_BYTES // 2**20} Mo au plus. Il n'est lu que par l'opérateur qui "
        "examine la demande.",
        error_messages={
            "required": "Joignez le document qui prouve le pouvoir du représentant légal (Kbis, statuts, "
            "nomination ou délégation).",
            "empty": "Le document joint est vide.",
        },
    )

    def clean_evidence(self):
        document = self.cleaned_data["evidence"]
        if document.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(
                f"Le document dépasse {EVIDENCE_MAX_BYTES // 2**20} Mo : joignez une version plus légère (PDF ou image)."
            )
        start = document.read(8)
        document.seek(0)
        kind = next((ext for magic, ext in EVIDENCE_TYPES.items() if start.startswith(magic)), None)
        if kind is None:
            raise forms.ValidationError("Le document doit être un PDF, une image JPEG ou PNG.")
        document.evidence_extension = kind
        return document

    def contract_data(self) -> dict:
        names = [name for name in self.cleaned_data if name.startswith(("representative_", "contact_"))]
        return {name: self.cleaned_data[name].strip() for name in names}


class PersonSearchForm(PortalForm):
    q = forms.CharField(
        label="Rechercher la personne",
        max_length=100,
        min_length=2,
        help_text="Numéro RPPS, identifiant national, ou nom d'exercice (éventuellement suivi du prénom).",
    )

    def clean_q(self):
        typed = self.cleaned_data["q"]
        if not folding.words(typed):
            raise forms.ValidationError("Saisissez un nom d'exercice (au moins deux lettres) ou un numéro RPPS.")
        return typed


class DesignationForm(PortalForm):
    kind = forms.ChoiceField(label="Habilitation", choices=[])
    structure = forms.ChoiceField(label="Structure", choices=[])
    email = forms.EmailField(label="Adresse e-mail de la personne désignée", required=False)
    phone = forms.CharField(label="Téléphone de la personne désignée", max_length=20, required=False)
    training_date = forms.DateField(
        label="Date de la formation de gestionnaire RPPS+",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Obligatoire pour les structures sociales et médico-sociales (ESMS).",
    )
    terms = forms.BooleanField(
        label="J'ai lu et j'accepte les conditions générales d'utilisation du portail RPPS+", required=False
    )

    def __init__(self, *args, kinds, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, Habilitation.Kind(k).label) for k in kinds]
        self.fields["structure"].choices = structures


class HabilitationFilterForm(PortalForm):
    name = forms.CharField(label="Nom", max_length=100, required=False)
    national_id = forms.CharField(label="Identifiant national", max_length=40, required=False)
    structure = forms.CharField(
        label="Structure", max_length=100, required=False, help_text="Nom, FINESS, SIRET ou identifiant technique."
    )
    state = forms.ChoiceField(
        label="État", choices=[("", "Tous")] + list(Habilitation.State.choices), required=False, initial="ouverte"
    )


class RejectionForm(PortalForm):
    reason = forms.CharField(label="Motif du rejet (visible par le demandeur)", widget=forms.Textarea, max_length=2000)


# --- Professionals (issue 5) ----------------------------------------------------------------------

_MOBILE = re.compile(r"^(?:0[67]\d{8}|\+33[67]\d{8}|\+(?!33)\d{6,15})$")


def _name(label: str, *, max_length: int = 100, **options) -> forms.CharField:
    """A name field: letters, spaces, hyphens and apostrophes only (identifiers.validate_name)."""
    return forms.CharField(label=label, max_length=max_length, validators=[validate_name], **options)


def clean_mobile(value: str) -> str:
    """A mobile number for e-CPS activation: 06/07 (or +33 6/7), or an international +number. French
    numbers are kept in the national form (06 12 34 56 78, +33 6…, +33 (0)6…, 0033 6… → 0612345678)."""
    compact = re.sub(r"[\s.\-()/]", "", value or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+330"):
        compact = "+33" + compact[4:]  # +33 (0)6…: the trunk 0 written inside the international form
    if re.fullmatch(r"\+33[67]\d{8}", compact):
        compact = "0" + compact[3:]
    if not _MOBILE.match(compact):
        raise forms.ValidationError(
            "Le téléphone mobile doit commencer par 06 ou 07 (10 chiffres), +33 6 ou +33 7, ou être un numéro "
            "international commençant par +."
        )
    return compact


def _date(label, required=True):
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": f"{label} : une date est attendue, écrite AAAA-MM-JJ ou JJ/MM/AAAA."},
    )


class CodedChoiceField(forms.TypedChoiceField):
    """A coded field whose refusal says what the field accepts, not only that the value is not in a list."""

    def __init__(self, *, table: str, **kwargs):
        self.table = table
        super().__init__(**kwargs)

    def validate(self, value):
        if value in self.empty_values or self.valid_value(value):
            return super().validate(value)
        codes = lookup.entries(self.table)
        listed = ", ".join(f"{e.code} ({e.label})" for e in codes[:6]) + (" …" if len(codes) > 6 else "")
        raise forms.ValidationError(
            f"{self.label} : « {str(value)[:40]} » n'est pas un code accepté. Codes acceptés : {listed} "
            "(la liste complète est dans l'onglet « Codes » du modèle).",
            code="invalid_choice",
        )


def _check_period(form, cleaned):
    start, end = cleaned.get("start_date"), cleaned.get("end_date")
    if start and end and end < start:
        form.add_error("end_date", "La date de fin ne peut pas précéder la date de prise de fonction.")


def _coded(table, label, required=True, help_text=""):
    return CodedChoiceField(
        table=table,
        label=label,
        required=required,
        choices=lambda: [("", "— Choisir —")] + lookup.choices(table),
        help_text=help_text,
    )


class ProfessionalRules(forms.Form):
    """Everything typed to register a professional: état civil, exercise, situation, contacts.

    The one place for the rules of a registration: the web form (`ProfessionalForm`, the same fields
    dressed for the DSFR), the professional's own request and every row of an imported file.
    """

    civility_code = _coded(catalog.RPPS_PLUS_CIVILITY, "Civilité")
    birth_name = _name("Nom de naissance")
    given_names = _name(
        "Prénoms de naissance", max_length=200, help_text="Tous les prénoms, dans l'ordre, séparés par des espaces."
    )
    usage_name = _name("Nom d'usage", required=False)
    sex_code = _coded(catalog.SEX, "Sexe")
    birth_date = _date("Date de naissance")
    birth_place_code = forms.CharField(
        label="Lieu de naissance",
        max_length=100,
        help_text="Nom de la commune de naissance (ex. « Angers », ou « Saint-Denis 93 » avec le département) ou "
        "son code INSEE ; pour une naissance à l'étranger, le code INSEE du pays (99xxx).",
    )
    birth_city_abroad = forms.CharField(
        label="Ville de naissance à l'étranger",
        max_length=100,
        required=False,
        help_text="Obligatoire si né(e) à l'étranger.",
    )
    role_code = _coded(catalog.RPPS_PLUS_ROLE, "Rôle", help_text="Ce que la personne fait dans la structure.")
    category_code = _coded(catalog.RPPS_PLUS_CATEGORY, "Catégorie professionnelle")
    exercise_last_name = _name("Nom d'exercice")
    exercise_first_name = _name("Prénom d'exercice")
    structure = forms.TypedChoiceField(label="Site d'exercice", choices=[], coerce=int)
    mode_code = _coded(catalog.RPPS_PLUS_MODE, "Mode d'exercice")
    genre_code = _coded(catalog.RPPS_PLUS_GENRE, "Genre d'activité")
    start_date = _date("Date de prise de fonction")
    end_date = _date("Date de fin de fonction", required=False)
    email = forms.EmailField(label="Adresse e-mail du professionnel", help_text="Nécessaire pour activer sa e-CPS.")
    phone = forms.CharField(
        label="Téléphone mobile du professionnel", max_length=20, help_text="Nécessaire pour activer sa e-CPS."
    )

    def __init__(self, *args, structures=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Without a list of structures (a file row, a professional's own request) the site is given otherwise.
        if structures is None:
            del self.fields["structure"]
        else:
            self.fields["structure"].choices = [("", "— Choisir —")] + [
                (s.pk, f"{s.name} ({s.technical_id})") for s in structures
            ]

    def clean_phone(self):
        return clean_mobile(self.cleaned_data.get("phone", ""))

    def clean_birth_place_code(self):
        return birth_place(self.cleaned_data.get("birth_place_code") or "")

    def clean(self):
        cleaned = super().clean()
        try:
            Traits.parse(
                nom=cleaned.get("birth_name", ""),
                prenoms=cleaned.get("given_names", ""),
                sexe=cleaned.get("sex_code", ""),
                date_naissance=cleaned.get("birth_date") or "",
                lieu_naissance=cleaned.get("birth_place_code", ""),
            )
        except InvalidTraits as exc:
            for trait, message in exc.errors.items():
                field = TRAIT_FIELDS[trait]
                if field not in self.errors:
                    self.add_error(field, message[0].upper() + message[1:])
        place = cleaned.get("birth_place_code", "")
        if place.startswith("99") and not cleaned.get("birth_city_abroad"):
            self.add_error("birth_city_abroad", "Indiquez la ville de naissance pour une personne née à l'étranger.")
        _check_period(self, cleaned)
        start, birth = cleaned.get("start_date"), cleaned.get("birth_date")
        if start and birth and start < birth:
            self.add_error("start_date", "La date de prise de fonction ne peut pas précéder la date de naissance.")
        return cleaned


PLACES_LISTED = 8


def birth_place(typed: str) -> str:
    """The COG code of a birth place typed as a code or as a commune's name (current, merged since, or
    former: cog.search), or a French message saying what to type."""
    typed = typed.strip()
    if not typed:
        return ""
    code = typed.replace(" ", "")
    if len(code) == 5 and any(ch.isdigit() for ch in code):
        try:
            return identifiers.validate_birth_place_code(code)
        except identifiers.InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None
    found = cog.search(typed, limit=PLACES_LISTED + 1)
    wanted = folding.words(typed)
    exact = [c for c in found if wanted in (folding.words(c.name), folding.words(c.label))]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0].code
    if not found:
        raise forms.ValidationError(
            f"Aucune commune ne s'appelle « {typed} » dans le Code officiel géographique. Vérifiez l'orthographe ; "
            "pour une naissance à l'étranger, saisissez le code INSEE du pays (99 suivi de 3 chiffres)."
        )
    listed = ", ".join(f"{c.label} : {c.code}" for c in found[:PLACES_LISTED])
    more = " (et d'autres)" if len(found) > PLACES_LISTED else ""
    raise forms.ValidationError(
        f"Plusieurs communes répondent à « {typed} »{more} — {listed}. Saisissez le code, ou ajoutez le département "
        "(« Saint-Denis 93 »)."
    )


class ProfessionalForm(PortalForm, ProfessionalRules):
    pass


TRAIT_FIELDS = {
    "nom": "birth_name",
    "prenoms": "given_names",
    "sexe": "sex_code",
    "date_naissance": "birth_date",
    "lieu_naissance": "birth_place_code",
}


class SelfRegistrationForm(ProfessionalForm, StructureIdentifierForm):
    """A professional without an RPPS number asks a structure to register them."""

    identifier_type = forms.ChoiceField(
        label="Identifiant de la structure qui vous emploie",
        choices=[("FINESS", "FINESS"), ("SIRET", "SIRET")],
    )


class SituationChangeForm(PortalForm):
    """What a gestionnaire may change: the same fields, hence the same rules, as at registration."""

    _same = ProfessionalRules.base_fields
    exercise_last_name, exercise_first_name = _same["exercise_last_name"], _same["exercise_first_name"]
    role_code, start_date, end_date = _same["role_code"], _same["start_date"], _same["end_date"]
    email, phone = _same["email"], _same["phone"]

    def clean_phone(self):
        return clean_mobile(self.cleaned_data.get("phone", ""))

    def clean(self):
        cleaned = super().clean()
        _check_period(self, cleaned)
        return cleaned


class CloseSituationForm(PortalForm):
    end_date = _date("Date de fin de fonction")
    end_reason_code = _coded(catalog.END_REASON, "Motif de fin")


class OwnRecordForm(PortalForm):
    exercise_last_name = _name("Nom d'exercice")
    exercise_first_name = _name("Prénom d'exercice")
    email = forms.EmailField(label="Adresse e-mail de correspondance")
    phone = forms.CharField(label="Téléphone mobile", max_length=20)

    def clean_phone(self):
        return clean_mobile(self.cleaned_data.get("phone", ""))


class BulkUploadForm(PortalForm):
    file = forms.FileField(
        label="Fichier des professionnels",
        help_text="CSV (UTF-8 ou Latin-1, séparateur « ; » ou « , ») ou XLSX, selon le modèle ; 10 000 lignes au plus.",
    )
