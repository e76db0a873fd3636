"""Labelled identity cases drawn from the registry, and the quality figures of the resolver.

Duplicates are existing persons re-registered with the corruptions real registrations show; hard
distinct cases are new people built to look like existing ones (twins, homonyms born the same
year, very common names); new people are plain synthetic identities.
"""

import datetime
import random
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Max

from rpps.registry.models import Person
from rpps.registry.population import reference as ref

from .resolver import resolve
from .scoring import MATCH, POSSIBLE
from .traits import Traits

CORRUPTIONS = (
    "exact",
    "typo_name",
    "lost_accents",
    "usage_name",
    "given_swapped",
    "given_partly_missing",
    "compound_split_or_joined",
    "day_month_swapped",
    "date_digit",
    "place_missing",
    "transliteration",
    "typo_given",
)
# Share of each kind of request in the labelled set.
MIX = {"duplicate": 0.5, "new": 0.3, "twin": 0.07, "homonym": 0.07, "common": 0.06}


@dataclass
class Case:
    kind: str  # duplicate, new, twin, homonym, common
    raw: dict
    expected: int | None = None  # person id, for duplicates
    corruptions: tuple[str, ...] = ()


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(rng: random.Random, word: str) -> str:
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 4:
        return word + word[-1]
    i = letters[1 + int(rng.random() * (len(letters) - 2))]
    kind = rng.random()
    if kind < 0.35:  # substitution by a neighbouring key-ish letter
        return word[:i] + ("E" if word[i] not in "Ee" else "A") + word[i + 1 :]
    if kind < 0.6:  # deletion
        return word[:i] + word[i + 1 :]
    if kind < 0.8:  # doubled letter
        return word[:i] + word[i] + word[i:]
    j = i + 1 if i + 1 < len(word) and word[i + 1].isalpha() else i - 1
    a, b = sorted((i, j))
    return word[:a] + word[b] + word[a] + word[b + 1 :]


_TRANSLIT = (
    ("MM", "M"),
    ("M", "MM"),
    ("OU", "U"),
    ("Y", "I"),
    ("I", "Y"),
    ("PH", "F"),
    ("F", "PH"),
    ("CH", "SH"),
    ("K", "C"),
    ("SS", "S"),
    ("LL", "L"),
    ("TT", "T"),
)


def _transliterate(rng: random.Random, word: str) -> str:
    upper = word.upper()
    options = [(a, b) for a, b in _TRANSLIT if a in upper[1:]]
    if not options:
        return word
    a, b = options[int(rng.random() * len(options))]
    position = upper.index(a, 1)
    return upper[:position] + b + upper[position + len(a) :]


def _valid_date(year, month, day):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _date_digit(rng: random.Random, d):
    digits = f"{d:%Y%m%d}"
    for _ in range(20):
        i = 2 + int(rng.random() * 6)  # never the century
        new = digits[:i] + str((int(digits[i]) + 1 + int(rng.random() * 9)) % 10) + digits[i + 1 :]
        candidate = _valid_date(int(new[:4]), int(new[4:6]), int(new[6:]))
        if candidate and candidate != d and candidate <= datetime.date.today():
            return candidate
    return d


def corrupt(rng: random.Random, person: dict, corruption: str) -> dict:
    """Apply one corruption to raw traits (as a registration form would carry them)."""
    raw = dict(person)
    given = raw["prenoms"].split(" ")
    if corruption == "typo_name":
        raw["nom"] = _typo(rng, raw["nom"])
    elif corruption == "lost_accents":
        raw["nom"], raw["prenoms"] = _strip_accents(raw["nom"]).lower(), _strip_accents(raw["prenoms"]).lower()
    elif corruption == "usage_name":
        raw["nom"] = raw["usage"] or _typo(rng, raw["nom"])
    elif corruption == "given_swapped":
        raw["prenoms"] = " ".join(given[1:] + given[:1]) if len(given) > 1 else raw["prenoms"] + " Marie"
    elif corruption == "given_partly_missing":
        raw["prenoms"] = given[0] if len(given) > 1 else given[0].split("-")[0]
    elif corruption == "compound_split_or_joined":
        if "-" in raw["nom"] or " " in raw["nom"]:
            raw["nom"] = raw["nom"].replace("-", "").replace(" ", "")
        elif "-" in given[0]:
            raw["prenoms"] = " ".join([given[0].replace("-", "")] + given[1:])
        else:
            raw["nom"] = raw["nom"][:3] + " " + raw["nom"][3:] if len(raw["nom"]) > 5 else raw["nom"]
    elif corruption == "day_month_swapped":
        d = raw["date"]
        swapped = _valid_date(d.year, d.day, d.month) if d.day <= 12 else None
        raw["date"] = swapped if swapped and swapped != d else _date_digit(rng, d)
    elif corruption == "date_digit":
        raw["date"] = _date_digit(rng, raw["date"])
    elif corruption == "place_missing":
        raw["lieu"] = ""
    elif corruption == "transliteration":
        raw["nom"] = _transliterate(rng, raw["nom"])
    elif corruption == "typo_given":
        raw["prenoms"] = " ".join([_typo(rng, given[0])] + given[1:])
    return raw


def _as_request(raw: dict) -> dict:
    return {
        "nom": raw["nom"],
        "prenoms": raw["prenoms"],
        "sexe": raw["sexe"],
        "date_naissance": raw["date"].isoformat(),
        "lieu_naissance": raw["lieu"],
    }


def _sample_persons(rng: random.Random, count: int) -> list[dict]:
    top = Person.objects.aggregate(m=Max("id"))["m"] or 0
    ids = {1 + int(rng.random() * top) for _ in range(count * 2)}
    fields = ("id", "birth_name", "usage_name", "given_names", "sex_code", "birth_date", "birth_place_code")
    rows = Person.objects.current().filter(id__in=ids).order_by("id").values_list(*fields)[:count]
    return [
        {"id": r[0], "nom": r[1], "usage": r[2], "prenoms": r[3], "sexe": r[4], "date": r[5], "lieu": r[6]}
        for r in rows
    ]


def _random_identity(rng: random.Random) -> dict:
    """A new person named like the population: a common surname for a quarter of people, else the long tail."""
    female = rng.random() < 0.6
    names = ref.GIVEN_NAMES_F if female else ref.GIVEN_NAMES_M
    if rng.random() < 0.25:
        surname = ref.FAMILY_NAMES[int(rng.random() * len(ref.FAMILY_NAMES))]
    else:
        surname = ref.synthetic_surname(int(rng.random() * ref.SYNTHETIC_SURNAMES))
    return {
        "nom": surname,
        "prenoms": names[int(rng.random() * len(names))],
        "sexe": "F" if female else "M",
        "date": datetime.date(1950, 1, 1) + datetime.timedelta(days=int(rng.random() * 365 * 55)),
        "lieu": ref.COMMUNES[int(rng.random() * len(ref.COMMUNES))][0],
    }


def labelled_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    sample = _sample_persons(rng, count)
    if not sample:
        return []
    cases: list[Case] = []
    kinds = list(MIX)
    cumulative = [sum(list(MIX.values())[: i + 1]) for i in range(len(kinds))]
    for i in range(count):
        draw = rng.random()
        kind = next(k for k, c in zip(kinds, cumulative, strict=True) if draw <= c)
        person = sample[i % len(sample)]
        if kind == "duplicate":
            chosen = [CORRUPTIONS[int(rng.random() * len(CORRUPTIONS))]]
            if rng.random() < 0.25:
                chosen.append(CORRUPTIONS[1 + int(rng.random() * (len(CORRUPTIONS) - 1))])
            raw = person
            for corruption in chosen:
                raw = corrupt(rng, raw, corruption)
            cases.append(Case(kind, _as_request(raw), person["id"], tuple(chosen)))
        elif kind == "twin":
            names = ref.GIVEN_NAMES_F if rng.random() < 0.5 else ref.GIVEN_NAMES_M
            own = {_strip_accents(n).upper() for n in person["prenoms"].replace("-", " ").split()}
            other = next(
                n
                for n in (names[int(rng.random() * len(names))] for _ in range(50))
                if _strip_accents(n).upper() not in own
            )
            twin = dict(person, prenoms=other, sexe="F" if names is ref.GIVEN_NAMES_F else "M")
            cases.append(Case(kind, _as_request(twin)))
        elif kind == "homonym":
            d = person["date"]
            other_day = d
            while other_day == d:
                other_day = datetime.date(d.year, 1, 1) + datetime.timedelta(days=int(rng.random() * 365))
            place = ref.COMMUNES[int(rng.random() * len(ref.COMMUNES))][0]
            cases.append(Case(kind, _as_request(dict(person, date=other_day, lieu=place))))
        elif kind == "common":
            identity = _random_identity(rng)
            identity.update(nom="MARTIN", prenoms="Marie" if identity["sexe"] == "F" else "Jean")
            cases.append(Case(kind, _as_request(identity)))
        else:
            cases.append(Case(kind, _as_request(_random_identity(rng))))
    return cases


@dataclass
class Report:
    requests: int = 0
    duplicates: int = 0
    match_decisions: int = 0
    correct_matches: int = 0
    possible_with_truth: int = 0
    possible: int = 0
    false_merges: int = 0
    seconds: float = 0.0
    by_kind: Counter = field(default_factory=Counter)
    by_corruption: dict = field(default_factory=lambda: defaultdict(Counter))

    @property
    def precision(self) -> float:
        return self.correct_matches / self.match_decisions if self.match_decisions else 1.0

    @property
    def recall(self) -> float:
        return (self.correct_matches + self.possible_with_truth) / self.duplicates if self.duplicates else 1.0

    @property
    def review_share(self) -> float:
        return self.possible / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def evaluate(cases: list[Case]) -> Report:
    report = Report()
    started = time.perf_counter()
    decisions = [resolve(Traits.parse(**case.raw)) for case in cases]
    report.seconds = time.perf_counter() - started
    for case, decision in zip(cases, decisions, strict=True):
        report.requests += 1
        report.by_kind[(case.kind, decision.outcome)] += 1
        if decision.outcome == POSSIBLE:
            report.possible += 1
        if case.kind == "duplicate":
            report.duplicates += 1
            for corruption in case.corruptions:
                report.by_corruption[corruption][decision.outcome] += 1
            if decision.outcome == MATCH and decision.person_id == case.expected:
                report.correct_matches += 1
            elif decision.outcome == POSSIBLE and case.expected in {
                c.candidate.person_id for c in decision.comparisons
            }:
                report.possible_with_truth += 1
        if decision.outcome == MATCH:
            report.match_decisions += 1
            if case.kind != "duplicate" or decision.person_id != case.expected:
                report.false_merges += 1
    return report
