"""The communes of the Code officiel géographique (COG), with their history: what a birth place code names.

Shipped as data (``data/cog_communes.csv.gz``, rebuilt by ``manage.py build_cog`` from the npm package
``@etalab/decoupage-administratif``, itself built from INSEE's COG): every current commune, the communes
merged since into a "commune nouvelle" (déléguées, associées) and their former codes, Paris, Lyon and
Marseille's arrondissements, and the Corsican codes from before 1976 (20xxx). Each code leads to the
current commune it belongs to today: two codes of one place compare equal under it.

Countries (99xxx) are not in this table: their codes are checked by format only, and compared by
INSEE's zones (the third digit: 1 Europe, 2 Asia, 3 Africa, 4 the Americas, 5 Oceania).
"""

import csv
import functools
import gzip
import unicodedata
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "cog_communes.csv.gz"
PATH = Path(__file__).parent / "data" / FILE_NAME
COLUMNS = ("code", "nom", "type", "departement", "arrondissement", "commune_actuelle")
CURRENT, DELEGATED, ASSOCIATED, MUNICIPAL_DISTRICT, FORMER = "A", "D", "S", "M", "C"
TYPE_LABELS = {
    CURRENT: "commune",
    DELEGATED: "commune déléguée",
    ASSOCIATED: "commune associée",
    MUNICIPAL_DISTRICT: "arrondissement municipal",
    FORMER: "ancien code",
}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str
    department: str
    district: str  # the administrative arrondissement (a few neighbouring cantons)
    current: str  # the code of the commune it belongs to today

    @property
    def label(self) -> str:
        if self.kind == CURRENT:
            return f"{self.name} ({self.department})"
        today = current_commune(self.code)
        name = self.name or today.name
        return f"{name} ({self.department}, {TYPE_LABELS[self.kind]} de {today.name})"


@functools.cache
def _table() -> tuple[dict[str, Commune], tuple[Commune, ...]]:
    """code -> its row (the current commune's when a délégée shares its code), and every named row."""
    by_code: dict[str, Commune] = {}
    rows = []
    with gzip.open(PATH, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for row in reader:
            commune = Commune(*row)
            rows.append(commune)
            if commune.code not in by_code or commune.kind == CURRENT:
                by_code[commune.code] = commune
    return by_code, tuple(r for r in rows if r.name)


@functools.cache
def _by_current() -> dict[str, tuple[str, ...]]:
    """today's commune code -> every code that names it (itself first)."""
    codes: dict[str, list[str]] = {}
    for code, commune in _table()[0].items():
        codes.setdefault(commune.current, []).append(code)
    return {current: (current, *sorted(set(c) - {current})) for current, c in codes.items()}


@functools.cache
def _by_district() -> dict[str, tuple[str, ...]]:
    communes: dict[str, list[str]] = {}
    for commune in _table()[0].values():
        if commune.kind == CURRENT and commune.district:
            communes.setdefault(commune.district, []).append(commune.code)
    return {district: tuple(codes) for district, codes in communes.items()}


def codes_of(current: str) -> tuple[str, ...]:
    """Every code of one of today's communes: its own, its arrondissements', its former communes'."""
    return _by_current().get(current, (current,))


def communes_of_district(district: str) -> tuple[str, ...]:
    """Today's communes of one administrative arrondissement."""
    return _by_district().get(district, ())


def find(code: str) -> Commune | None:
    return _table()[0].get((code or "").strip().upper())


def exists(code: str) -> bool:
    return find(code) is not None


def current_commune(code: str) -> Commune | None:
    """The commune a code belongs to today (itself when current)."""
    found = find(code)
    return None if found is None else _table()[0].get(found.current, found)


def current_code(code: str) -> str:
    """The code a birth place is compared under: today's commune, or the code itself when unknown."""
    found = find(code)
    return found.current if found else (code or "").strip().upper()


def place_label(code: str, city_abroad: str = "") -> str:
    """A birth place in words for the pages that show one: the commune and its department (and what it
    belongs to today), or a birth abroad with its city, the code beside (what the registry holds)."""
    code = (code or "").strip().upper()
    if not code:
        return city_abroad or ""
    commune = find(code)
    if commune is not None:
        return f"{commune.label} — code {code}"
    if code.startswith("99"):
        # no country table shipped (see the module's docstring): the code, with the city typed
        return f"né(e) à l'étranger ({', '.join(filter(None, [city_abroad, 'code pays ' + code]))})"
    return f"code {code} (inconnu du COG)"


def neighbours(a: str, b: str) -> bool:
    """Two different communes of one administrative arrondissement: a birth declared in the next commune
    (the maternity's, or the family's) rather than the other."""
    first, second = current_commune(a), current_commune(b)
    return bool(first and second and first.district and first.district == second.district)


def same_zone(a: str, b: str) -> bool:
    """Two country codes of one INSEE zone: a country renamed, split or merged keeps its zone."""
    return a[:3] == b[:3]


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.replace("saint", "st").split())


@functools.cache
def _folded_names() -> tuple[tuple[str, Commune], ...]:
    return tuple((_folded(c.name), c) for c in _table()[1])


def search(text: str, *, limit: int = 20) -> list[Commune]:
    """Communes whose name starts with (then contains) the text, accents, case and hyphens ignored;
    a department number narrows ("lyon 69"), a code is found as such."""
    words = _folded(text).split()
    department = next((w.upper() for w in words if len(w) in (2, 3) and (w.isdigit() or w in ("2a", "2b"))), None)
    if department and len(words) > 1:
        words.remove(department.lower())
    wanted = " ".join(words)
    if not wanted:
        return []
    if len(wanted) == 5 and (found := find(wanted)):
        return [found]
    starts, contains = [], []
    for name, commune in _folded_names():
        if department and commune.department != department:
            continue
        if name.startswith(wanted):
            starts.append(commune)
        elif wanted in name:
            contains.append(commune)
    return (sorted(starts, key=lambda c: (c.kind != CURRENT, len(c.name), c.name)) + contains)[:limit]
