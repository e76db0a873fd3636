"""The public search: what a query may contain (``SearchForm``, French messages) and how it runs.

Queries read the search index (``Entry``); without a place criterion they read one line per
exercise (``is_main``), with one they read the matching lines and count exercises. Deep pages are
capped: bulk needs are served by the extraction files.
"""

import re
from dataclasses import dataclass, field

from django import forms
from django.db.models import Min, Q
from dsfr.forms import DsfrBaseForm

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.lookup import resolve_rpps
from rpps.registry.models import Expertise, Structure

from .keys import name_key, text_key
from .models import Entry

PAGE_SIZE = 20
MAX_PAGES = 50  # 1,000 results at most: beyond that, the extraction files
MAX_TEXT = 100
CONTAINS_MIN = 3
_DEPARTMENT = re.compile(r"^(?:\d{2}|2[AB]|9[78]\d)$")
_POSTAL = re.compile(r"^\d{5}$")


def _coded_choices(table: str, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [
        (e.code, e.label) for e in sorted(lookup.entries(table, active_only=False), key=lambda e: e.label)
    ]


class SearchForm(DsfrBaseForm):
    nom = forms.CharField(
        label="Nom ou prénom", max_length=MAX_TEXT, required=False,
        help_text="Sans tenir compte des accents ni des majuscules, par exemple « helene dupont ».",
    )  # fmt: skip
    mode = forms.ChoiceField(
        label="Le nom", choices=[("debut", "commence par"), ("contient", "contient")], required=False,
        widget=forms.RadioSelect,
    )  # fmt: skip
    profession = forms.ChoiceField(label="Profession", required=False)
    savoir_faire = forms.ChoiceField(label="Spécialité ou savoir-faire", required=False)
    role = forms.ChoiceField(label="Rôle (professionnels enregistrés par leur structure)", required=False)
    lieu = forms.CharField(
        label="Commune, code postal ou département", max_length=MAX_TEXT, required=False,
        help_text="Par exemple « Angers », « 49000 » ou « 49 ».",
    )  # fmt: skip
    structure = forms.CharField(label="Nom de la structure", max_length=MAX_TEXT, required=False)
    identifiant = forms.CharField(
        label="Identifiant", max_length=30, required=False,
        help_text="Numéro RPPS (11 chiffres), IDNPS (12), FINESS (9) ou SIRET (14).",
    )  # fmt: skip
    tri = forms.ChoiceField(
        label="Trier par", choices=[("nom", "nom (A → Z)"), ("-nom", "nom (Z → A)")], required=False
    )

    CRITERIA = ("nom", "profession", "savoir_faire", "role", "lieu", "structure", "identifiant")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = _coded_choices(catalog.PROFESSION, "Toutes")
        self.fields["savoir_faire"].choices = _coded_choices(catalog.SPECIALTY, "Tous")
        self.fields["role"].choices = _coded_choices(catalog.ROLE, "Tous")

    def has_criteria(self) -> bool:
        return self.is_bound and any((self.data.get(name) or "").strip() for name in self.CRITERIA)

    def clean_nom(self):
        value = self.cleaned_data["nom"]
        key = name_key(value)
        if value.strip() and not key:
            raise forms.ValidationError("Le nom doit contenir au moins une lettre.")
        return key

    def clean_lieu(self):
        value = self.cleaned_data["lieu"].strip().upper()
        if not value:
            return None
        if _POSTAL.match(value):
            return ("postal_code", value)
        if _DEPARTMENT.match(value):
            return ("department_code", value)
        key = text_key(value)
        if len(key) < 2 or key.isdigit():
            raise forms.ValidationError(
                "Lieu : saisissez le nom d'une commune, un code postal à 5 chiffres ou un numéro de département "
                "(par exemple 49, 2A ou 974)."
            )
        return ("commune_key", key)

    def clean_structure(self):
        value = self.cleaned_data["structure"]
        key = text_key(value)
        if value.strip() and len(key) < CONTAINS_MIN:
            raise forms.ValidationError(f"Nom de la structure : saisissez au moins {CONTAINS_MIN} lettres ou chiffres.")
        return key

    def clean_identifiant(self):
        value = self.cleaned_data["identifiant"].replace(" ", "").upper()
        if not value:
            return None
        try:
            if len(value) == 11:
                return ("rpps", identifiers.validate_rpps(value))
            if len(value) == 12 and value.startswith(identifiers.IDNPS_RPPS_PREFIX):
                return ("rpps", identifiers.parse_idnps(value).number)
            if len(value) == 9:
                return ("finess", identifiers.validate_finess(value))
            if len(value) == 14:
                return ("siret", identifiers.validate_siret(value))
        except identifiers.InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None
        raise forms.ValidationError(
            "Identifiant non reconnu : saisissez un numéro RPPS (11 chiffres), IDNPS (8 suivi du RPPS), "
            "FINESS (9 caractères) ou SIRET (14 chiffres)."
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == "contient" and cleaned.get("nom") and len(cleaned["nom"]) < CONTAINS_MIN:
            self.add_error("nom", f"Pour une recherche « contient », saisissez au moins {CONTAINS_MIN} lettres.")
        return cleaned


@dataclass
class Results:
    total: int = 0
    page: int = 1
    pages: int = 0
    capped: bool = False  # the page asked for is beyond MAX_PAGES
    entries: list = field(default_factory=list)
    structures: list = field(default_factory=list)  # structures matching an identifier typed

    @property
    def shown_pages(self) -> int:
        return min(self.pages, MAX_PAGES)


def parse_page(value) -> int:
    """A page number from the query string; anything odd is page 1."""
    try:
        page = int(str(value)[:6])
    except (TypeError, ValueError):
        return 1
    return max(page, 1)


def run(criteria: dict, page: int) -> Results:
    """Run a search from a valid SearchForm's cleaned_data."""
    results = Results(page=page)
    lines = Entry.objects.all()
    place = False
    if criteria.get("nom"):
        key = criteria["nom"]
        if criteria.get("mode") == "contient":
            lines = lines.filter(name_key__contains=key)
        else:
            lines = lines.filter(Q(name_key__startswith=key) | Q(reverse_key__startswith=key))
    if criteria.get("profession"):
        lines = lines.filter(profession_code=criteria["profession"])
    if criteria.get("savoir_faire"):
        lines = lines.filter(
            exercise_id__in=Expertise.objects.filter(code=criteria["savoir_faire"]).values("exercise_id")
        )
    if criteria.get("role"):
        lines, place = lines.filter(role_code=criteria["role"]), True
    if criteria.get("lieu"):
        column, value = criteria["lieu"]
        lookup_name = "commune_key__startswith" if column == "commune_key" else column
        lines, place = lines.filter(**{lookup_name: value}), True
    if criteria.get("structure"):
        lines, place = lines.filter(structure_key__contains=criteria["structure"]), True
    if criteria.get("structure_id"):  # the professionals of one structure page
        lines, place = lines.filter(structure_id=criteria["structure_id"]), True
    if criteria.get("identifiant"):
        kind, number = criteria["identifiant"]
        if kind == "rpps":
            person = resolve_rpps(number)
            lines = lines.filter(person_id=person.pk if person else None)
        else:
            structures = Structure.objects.filter(**{kind: number})
            results.structures = list(structures.order_by("technical_id")[:10])
            ids = [s.pk for s in results.structures]
            site_ids = Structure.objects.filter(legal_entity_id__in=ids).values("id")
            lines, place = lines.filter(Q(structure_id__in=ids) | Q(structure_id__in=site_ids)), True

    descending = criteria.get("tri") == "-nom"
    if place:
        exercises = lines.values("exercise_id")
        results.total = exercises.distinct().count()
    else:
        lines = lines.filter(is_main=True)
        results.total = lines.count()
    results.pages = -(-results.total // PAGE_SIZE)
    page = results.page = max(min(page, results.pages), 1)  # past the end: the last page
    if page > MAX_PAGES:
        results.capped = True
        return results
    start = (page - 1) * PAGE_SIZE
    if place:
        # One line per exercise: the first matching one (a professional practising twice in the town
        # appears once, at one of those places).
        order = ("-key", "-exercise_id") if descending else ("key", "exercise_id")
        chosen = exercises.annotate(key=Min("name_key"), line=Min("id")).order_by(*order)[start : start + PAGE_SIZE]
        by_id = Entry.objects.select_related("structure").in_bulk([c["line"] for c in chosen])
        results.entries = [by_id[c["line"]] for c in chosen]
    else:
        order = ("-name_key", "-exercise_id") if descending else ("name_key", "exercise_id")
        results.entries = list(lines.select_related("structure").order_by(*order)[start : start + PAGE_SIZE])
    _describe(results.entries)
    return results


def _describe(entries) -> None:
    """Labels and specialties of the lines shown (one query for the specialties of the page)."""
    codes: dict[int, list[str]] = {}
    for exercise_id, code in (
        Expertise.objects.filter(exercise_id__in=[e.exercise_id for e in entries], type_code="S")
        .order_by("exercise_id", "code")
        .values_list("exercise_id", "code")
    ):
        codes.setdefault(exercise_id, []).append(code)
    for entry in entries:
        entry.specialties = [lookup.label(catalog.SPECIALTY, c) or c for c in codes.get(entry.exercise_id, [])]
        entry.civility_label = lookup.label(catalog.EXERCISE_CIVILITY, entry.civility_code)
        entry.profession_label = lookup.label(catalog.PROFESSION, entry.profession_code) or entry.profession_code
