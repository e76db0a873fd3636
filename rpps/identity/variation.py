"""A second labelled identity set, written from the classes of real-world variation registrations show
(not from evaluation.py's corruptions): given names written short, characters misread, unknown birth
days, a date slip together with another difference, birth places written under another code or as the
neighbouring commune, fields swapped; and, for people who are not in the registry, twins whose given
names are one letter apart or simple vs compound, fathers and sons of the same names, namesakes born
the same day elsewhere.

Each case says which variation made it; ``evaluation.evaluate`` scores it like the first set.
"""

import datetime
import random

from rapidfuzz.distance import OSA

from rpps.nomenclatures import cog
from rpps.registry.population import reference as ref

from .evaluation import Case, _as_request, _sample_persons

# Share of each variation among the requests: 60 % re-registrations, each with one variation (exact ones
# too), 25 % new people, 15 % look-alikes of a registered person (where a false merge can happen: far
# more than a real flow holds, to measure them).
VARIATIONS = {
    "initials": 0.07,
    "misread": 0.07,
    "unknown_day": 0.07,
    "date_slip_and_other": 0.07,
    "place_other_code": 0.07,
    "neighbour_commune": 0.06,
    "fields_swapped": 0.05,
    "case_and_punctuation": 0.05,
    "exact": 0.09,
    "twin_one_letter": 0.04,
    "twin_compound": 0.03,
    "father_son": 0.04,
    "namesake_elsewhere": 0.04,
    "new": 0.25,
}
DISTINCT = {"twin_one_letter", "twin_compound", "father_son", "namesake_elsewhere", "new"}

# Characters a scanner or a hurried typist reads for others (one direction is enough: both are drawn).
MISREADINGS = (("O", "0"), ("M", "RN"), ("L", "I"), ("I", "L"), ("D", "CL"), ("W", "VV"), ("E", "É"), ("S", "5"))


def _short_given(rng: random.Random, given: str) -> str:
    """How given names get shortened on a form: initials of a compound, a second name as its initial,
    a compound truncated."""
    names = given.split(" ")
    first = names[0]
    if "-" in first and rng.random() < 0.5:
        parts = first.split("-")
        return "".join(p[0] for p in parts) + (" " + " ".join(names[1:]) if names[1:] else "")  # MH Claire
    if "-" in first:
        left, right = first.split("-", 1)
        return f"{left}-{right[:2]}." + (" " + " ".join(names[1:]) if names[1:] else "")  # Anne-So.
    if len(names) > 1:
        return f"{first} {names[1][0]}."  # Mohamed Y.
    return f"{first[0]}."  # a lone given name as its initial


def _misread(rng: random.Random, text: str) -> str:
    upper = text.upper()
    choices = [(a, b) for a, b in MISREADINGS if a in upper]
    if not choices:
        return text
    a, b = choices[int(rng.random() * len(choices))]
    at = upper.index(a)
    return upper[:at] + b + upper[at + len(a) :]


def _other_code(rng: random.Random, place: str) -> str | None:
    """The same birth place under another code: an arrondissement, a former or merged commune's code,
    Corsica's code before 1976."""
    here = cog.current_commune(place)
    if here is None:
        return None
    others = [c for c in cog.codes_of(here.code) if c != place]
    return others[int(rng.random() * len(others))] if others else None


def _neighbour(rng: random.Random, place: str) -> str | None:
    here = cog.current_commune(place)
    if here is None:
        return None
    around = cog.communes_of_district(here.district)
    around = [c for c in around if c != here.code]
    return around[int(rng.random() * len(around))] if around else None


def _far_place(rng: random.Random, place: str) -> str:
    here = cog.current_commune(place)
    while True:
        code = ref.COMMUNES[int(rng.random() * len(ref.COMMUNES))][0]
        there = cog.current_commune(code)
        if here is None or there is None or there.department != here.department:
            return code


def _slip(rng: random.Random, d: datetime.date) -> datetime.date:
    if rng.random() < 0.5:
        try:
            return d.replace(year=d.year + (1 if rng.random() < 0.5 else -1))
        except ValueError:
            return d - datetime.timedelta(days=1)
    return d + datetime.timedelta(days=1 if rng.random() < 0.5 else -1)


def _near_given(rng: random.Random, first: str, sex: str) -> str | None:
    """Another given name of the same sex, one or two letters away (Léon / Léo, Sophia / Sophie)."""
    names = ref.GIVEN_NAMES_F if sex == "F" else ref.GIVEN_NAMES_M
    close = [n for n in names if n != first and OSA.distance(n.upper(), first.upper()) <= 2]
    return close[int(rng.random() * len(close))] if close else None


def _duplicate(rng: random.Random, person: dict, variation: str) -> dict | None:
    raw = dict(person)
    if variation == "initials":
        raw["prenoms"] = _short_given(rng, raw["prenoms"])
    elif variation == "misread":
        key = "nom" if rng.random() < 0.6 else "prenoms"
        raw[key] = _misread(rng, raw[key])
    elif variation == "unknown_day":
        d = raw["date"]
        raw["date"] = d.replace(month=1, day=1) if rng.random() < 0.6 else d.replace(day=1)
        if raw["date"] == d:
            return None
    elif variation == "date_slip_and_other":
        raw["date"] = _slip(rng, raw["date"])
        other = rng.random()
        if other < 0.4:
            raw["lieu"] = ""
        elif other < 0.7:
            raw["prenoms"] = raw["prenoms"].split(" ")[0]
        else:
            raw["nom"] = raw["nom"].lower()  # and case: the one other difference a form adds for free
            raw["nom"] = _misread(rng, raw["nom"])
    elif variation == "place_other_code":
        code = _other_code(rng, raw["lieu"])
        if code is None:
            return None
        raw["lieu"] = code
    elif variation == "neighbour_commune":
        code = _neighbour(rng, raw["lieu"])
        if code is None:
            return None
        raw["lieu"] = code
    elif variation == "fields_swapped":
        raw["nom"], raw["prenoms"] = raw["prenoms"], raw["nom"]
    elif variation == "case_and_punctuation":
        raw["nom"] = raw["nom"].lower().replace("-", " ").replace("'", " ")
        raw["prenoms"] = raw["prenoms"].title().replace("-", " ")
    return raw


def _distinct(rng: random.Random, person: dict, variation: str) -> dict | None:
    raw = dict(person)
    names = raw["prenoms"].split(" ")
    if variation == "twin_one_letter":
        other = _near_given(rng, names[0], raw["sexe"])
        if other is None:
            return None
        raw["prenoms"] = " ".join([other] + names[1:])
    elif variation == "twin_compound":
        pool = ref.GIVEN_NAMES_F if raw["sexe"] == "F" else ref.GIVEN_NAMES_M
        extra = pool[int(rng.random() * len(pool))]
        if "-" in names[0] or extra in names:
            return None
        raw["prenoms"] = " ".join([f"{names[0]}-{extra}"] + names[1:])
    elif variation == "father_son":
        gap = 20 + int(rng.random() * 16)
        d = raw["date"]
        year = d.year - gap if d.year - gap >= 1920 else d.year + gap
        raw["date"] = datetime.date(year, d.month, min(d.day, 28))
    elif variation == "namesake_elsewhere":
        raw["lieu"] = _far_place(rng, raw["lieu"]) if raw["lieu"] else ref.COMMUNES[0][0]
    return raw


def _new(rng: random.Random) -> dict:
    female = rng.random() < 0.6
    pool = ref.GIVEN_NAMES_F if female else ref.GIVEN_NAMES_M
    return {
        "nom": ref.FAMILY_NAMES[int(rng.random() * len(ref.FAMILY_NAMES))],
        "prenoms": pool[int(rng.random() * len(pool))],
        "sexe": "F" if female else "M",
        "date": datetime.date(1945, 1, 1) + datetime.timedelta(days=int(rng.random() * 365 * 60)),
        "lieu": ref.COMMUNES[int(rng.random() * len(ref.COMMUNES))][0],
    }


def variation_cases(count: int, seed: int) -> list[Case]:
    """``count`` labelled requests against the registry's current persons (fewer when a variation does not
    apply to the person drawn: no arrondissement to write, no near given name…)."""
    rng = random.Random(seed)
    sample = _sample_persons(rng, count)
    if not sample:
        return []
    kinds = list(VARIATIONS)
    weights = list(VARIATIONS.values())
    cases = []
    for i in range(count):
        variation = rng.choices(kinds, weights)[0]
        person = sample[i % len(sample)]
        if variation == "new":
            cases.append(Case("new", _as_request(_new(rng)), None, (variation,)))
        elif variation in DISTINCT:
            raw = _distinct(rng, person, variation)
            if raw is not None:
                cases.append(Case(variation, _as_request(raw), None, (variation,)))
        else:
            raw = person if variation == "exact" else _duplicate(rng, person, variation)
            if raw is not None:
                cases.append(Case("duplicate", _as_request(raw), person["id"], (variation,)))
    return cases
