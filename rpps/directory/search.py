"""The public search: what a query may contain (``SearchForm``, French messages) and how it runs.

Queries read the search index (``Entry``); without a place criterion they read one line per
exercise (``is_main``), with one they read the matching lines and count exercises. Deep pages are
capped: bulk needs are served by the extraction files.
"""

import heapq
import re
from dataclasses import dataclass, field

from django import forms
from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Concat
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from dsfr.forms import DsfrBaseForm

from rpps.identity.normalize import normalize_name
from rpps.nomenclatures import catalog, lookup
from rpps.registry import folding, identifiers
from rpps.registry.aliases import resolve_rpps
from rpps.registry.models import Expertise, Structure

from .keys import name_key, prefix_condition, text_key
from .models import Entry

PAGE_SIZE = 20
MAX_PAGES = 50  # 1,000 results at most: beyond that, the extraction files
MAX_TEXT = 100
COUNT_CAP = 10_000  # totals are exact up to this; beyond, "plus de 10 000"
CONTAINS_MIN = 3
STRUCTURES_SHOWN = 20  # structures listed above the professionals; more: the user adds a place
_DEPARTMENT = re.compile(r"^(?:\d{2}|2[AB]|9[78]\d)$")
_POSTAL = re.compile(r"^\d{5}$")


class CodeSelect(forms.Select):
    """A select of code-table entries written in Python: Django's widget renders each of the hundreds
    of options through a template, which was most of the search page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = str(value[0] if isinstance(value, (list, tuple)) and value else value or "")
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((code, mark_safe(" selected") if str(code) == selected else "", label) for code, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


def _coded_choices(table: str, empty: str) -> list[tuple[str, str]]:
    """One option per label (a search for it finds every code so labelled: ``lookup.same_label``)."""
    return [("", empty)] + [(code, lookup.citizen_label(table, code)) for code, _ in lookup.by_label(table)]


class SearchForm(DsfrBaseForm):
    nom = forms.CharField(
        label="Nom",
        max_length=MAX_TEXT,
        required=False,
        help_text="Le nom d'exercice, suivi ou précédé du prénom si vous voulez : « dupont », « dupont hélène » ou "
        "« helene dupont ». Accents et majuscules sont sans importance.",
    )
    mode = forms.ChoiceField(
        label="Le nom",
        choices=[("debut", "commence par"), ("contient", "contient")],
        required=False,
        widget=forms.RadioSelect,
        initial="debut",
    )
    profession = forms.ChoiceField(label="Profession", required=False, widget=CodeSelect)
    savoir_faire = forms.ChoiceField(label="Spécialité ou savoir-faire", required=False, widget=CodeSelect)
    role = forms.ChoiceField(
        label="Rôle (professionnels enregistrés par leur structure)", required=False, widget=CodeSelect
    )
    lieu = forms.CharField(
        label="Commune, code postal ou département",
        max_length=MAX_TEXT,
        required=False,
        help_text="Par exemple « Angers », « 49000 » ou « 49 ».",
    )
    structure = forms.CharField(label="Nom de la structure", max_length=MAX_TEXT, required=False)
    identifiant = forms.CharField(
        label="Identifiant",
        max_length=30,
        required=False,
        help_text="Numéro RPPS (11 chiffres), IDNPS (12), FINESS (9) ou SIRET (14).",
    )
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
        self.cleaned_data["words"] = len(normalize_name(value).split())
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
        self.cleaned_data["lieu_words"] = folding.words(value)
        if len(key) < 2 or identifiers.ascii_digits(key):
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
        self.cleaned_data["structure_words"] = folding.words(value)
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
    total_capped: bool = False  # more than COUNT_CAP results: the total says "plus de"
    page: int = 1
    pages: int = 0
    capped: bool = False  # the page asked for is beyond MAX_PAGES
    entries: list = field(default_factory=list)
    structures: list = field(default_factory=list)  # structures matching the identifier or name typed
    more_structures: bool = False  # more than STRUCTURES_SHOWN structures matched the name

    @property
    def shown_pages(self) -> int:
        return min(self.pages, MAX_PAGES)

    @property
    def total_label(self) -> str:
        number = f"{self.total:,}".replace(",", "\u202f")  # French thousands separator
        if self.total_capped:
            return f"Plus de {number} résultats"
        return f"{number} résultat{'s' if self.total > 1 else ''}"


def parse_page(value) -> int:
    """A page number from the query string; anything odd is page 1."""
    try:
        page = int(str(value)[:6])
    except (TypeError, ValueError):
        return 1
    return max(page, 1)


def _filters(criteria: dict, results: Results) -> tuple[list[Q], Q, bool]:
    """(name alternatives, other conditions, whether a place criterion applies)."""
    names, where, place = [Q()], Q(), False
    if criteria.get("nom"):
        key = criteria["nom"]
        if criteria.get("mode") == "contient":
            names = [Q(name_key__contains=key)]
        elif criteria.get("words", 1) > 1:  # "dupont jean" or "jean dupont"
            names = [prefix_condition("name_key", key), prefix_condition("reverse_key", key)]
        else:  # one word is the start of the name of exercise
            names = [prefix_condition("name_key", key)]
    if criteria.get("profession"):
        # a label the table carries under two codes (renumbered professions) finds both
        where &= Q(profession_code__in=lookup.same_label(catalog.PROFESSION, criteria["profession"]))
    if criteria.get("savoir_faire"):
        codes = lookup.same_label(catalog.SPECIALTY, criteria["savoir_faire"])
        where &= Q(exercise_id__in=Expertise.objects.filter(code__in=codes).values("exercise_id"))
    if criteria.get("role"):
        where, place = where & Q(role_code__in=lookup.same_label(catalog.ROLE, criteria["role"])), True
    if criteria.get("lieu"):
        column, value = criteria["lieu"]
        if column == "commune_key" and not Entry.objects.filter(commune_key=value).exists():
            where &= prefix_condition(column, value)  # not a whole commune name: the communes starting with it
        else:
            where &= Q(**{column: value})
        place = True
    if criteria.get("structure"):
        where, place = where & Q(structure_key__contains=criteria["structure"]), True
        _structures_named(criteria, results)
    if criteria.get("structure_id"):  # the professionals of one structure page
        where, place = where & Q(structure_id=criteria["structure_id"]), True
    if criteria.get("identifiant"):
        kind, number = criteria["identifiant"]
        if kind == "rpps":
            person = resolve_rpps(number)
            where &= Q(person_id=person.pk if person else None)
        else:
            results.structures = list(Structure.objects.filter(**{kind: number}).order_by("technical_id")[:10])
            ids = [s.pk for s in results.structures]
            site_ids = Structure.objects.filter(legal_entity_id__in=ids).values("id")
            where, place = where & (Q(structure_id__in=ids) | Q(structure_id__in=site_ids)), True
    if not place:
        where &= Q(is_main=True)  # one line per exercise
    return names, where, place


def _structures_named(criteria: dict, results: Results) -> None:
    """The structures themselves whose name or trade name holds every word typed, in the place typed:
    found even when no professional practises there."""
    found = Structure.objects.all()
    for word in criteria.get("structure_words") or []:
        found = found.filter(Q(name__fold__contains=word) | Q(trade_name__fold__contains=word))
    if criteria.get("lieu"):
        column, value = criteria["lieu"]
        if column == "postal_code":
            found = found.filter(postal_code=value)
        elif column == "department_code":
            found = found.filter(Q(department_code=value) | Q(department_code="", postal_code__startswith=value))
        else:
            found = found.filter(folding.name_search(" ".join(criteria.get("lieu_words") or []), "commune_label"))
    listed = list(found.order_by("name", "technical_id")[: STRUCTURES_SHOWN + 1])
    results.structures = listed[:STRUCTURES_SHOWN]
    results.more_structures = len(listed) > STRUCTURES_SHOWN


def _count_one(lines, place: bool) -> tuple[int, bool]:
    if not place:
        found = lines.values("exercise_id")[: COUNT_CAP + 1].count()
        return min(found, COUNT_CAP), found > COUNT_CAP
    # Lines of one exercise are few: 2 × COUNT_CAP lines hold more than COUNT_CAP exercises unless
    # most are repeats, in which case the exact count is made.
    window = lines.values("exercise_id")[: 2 * COUNT_CAP + 1]
    counts = window.aggregate(lines=Count("exercise_id"), exercises=Count("exercise_id", distinct=True))
    if counts["exercises"] > COUNT_CAP:
        return COUNT_CAP, True
    if counts["lines"] > 2 * COUNT_CAP:
        return lines.values("exercise_id").distinct().count(), False
    return counts["exercises"], False


def _count(branches, place: bool) -> tuple[int, bool, list]:
    """The number of professionals found, exact up to COUNT_CAP (counting further costs and serves
    nobody), and the branches that found any.

    Branches (the name read as "LAST FIRST" and as "FIRST LAST") are counted one by one, each from
    its own index, and their overlap taken away once.
    """
    totals = [_count_one(b, place) for b in branches]
    found = [b for b, (n, _) in zip(branches, totals, strict=True) if n]
    if any(capped for _, capped in totals):
        return COUNT_CAP, True, found
    total = sum(n for n, _ in totals)
    if len(found) == 2:
        total -= _count_one(found[0] & found[1], place)[0]
    return min(total, COUNT_CAP), total > COUNT_CAP, found


def _page(branches, start: int, descending: bool, *, few: bool) -> list[Entry]:
    """Lines of the distinct exercises ranked [start, start + PAGE_SIZE) by name.

    Each name alternative is read in name order up to what the page needs (lines of one exercise
    are adjacent in that order), then the alternatives are merged and repeated exercises dropped.
    With many results an index read in name order finds the page at once; with ``few`` the
    database is kept from walking that index in the hope of meeting them (it would read most of
    it): it selects them first, then sorts them.
    """
    key = Concat("name_key", Value(""), output_field=CharField()) if few else F("name_key")
    order = (key.desc(), F("exercise_id").desc(), "id") if descending else (key.asc(), "exercise_id", "id")
    wanted = start + PAGE_SIZE
    limit = wanted * 2
    while True:
        fetched = [list(b.order_by(*order).values_list("name_key", "exercise_id", "id")[:limit]) for b in branches]
        merged = heapq.merge(*fetched, key=lambda r: (r[0], r[1]), reverse=descending)
        chosen, seen = [], set()
        for _, exercise_id, line in merged:
            if exercise_id not in seen:
                seen.add(exercise_id)
                chosen.append(line)
        complete = all(len(f) < limit for f in fetched)
        if len(chosen) >= wanted or complete:
            break
        limit *= 4
    lines = Entry.objects.select_related("structure").in_bulk(chosen[start:wanted])
    return [lines[i] for i in chosen[start:wanted]]


def run(criteria: dict, page: int) -> Results:
    """Run a search from a valid SearchForm's cleaned_data."""
    results = Results(page=page)
    names, where, place = _filters(criteria, results)
    branches = [Entry.objects.filter(name, where) for name in names]
    results.total, results.total_capped, branches = _count(branches, place)
    results.pages = -(-results.total // PAGE_SIZE) + (1 if results.total_capped else 0)
    page = results.page = max(min(page, results.pages), 1)  # past the end: the last page
    if page > MAX_PAGES:
        results.capped = True
        return results
    if not branches:
        return results
    descending = criteria.get("tri") == "-nom"
    results.entries = _page(branches, (page - 1) * PAGE_SIZE, descending, few=not results.total_capped)
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
        entry.profession_label = lookup.citizen_label(catalog.PROFESSION, entry.profession_code)
