"""The identity-resolution service: one decision, with its explanation, for one set of traits.

Every way of creating a person goes through ``resolve`` (via services.register_person).
Candidate search is one indexed query on blocking keys: same birth date and sex (also with day and
month swapped), or same phonetic name and first given name with the same year or the same day and
month. Candidates are then compared trait by trait (scoring.py).
"""

import datetime
from dataclasses import dataclass, field, replace

import psycopg
from django.db import connection
from rapidfuzz.fuzz import ratio

from .identity_index import date_keys, given_name_frequency_key, name_frequency_key, person_keys
from .models import IdentityIndex, IdentityKey, NameFrequency
from .normalize import phonetic
from .scoring import AGREE, MATCH, NO_MATCH, POSSIBLE, Candidate, Comparison, compare, explain
from .traits import Traits

MAX_PROPOSED = 3
# A (surname, first given name) pair carried by this many persons or more is common.
COMMON_NAME_COUNT = 50
# A first given name carried by this many persons or more is a name of its own, not only a slip of another.
GIVEN_NAME_COUNT = 3


@dataclass
class Decision:
    outcome: str  # MATCH, POSSIBLE or NO_MATCH
    comparisons: list[Comparison] = field(default_factory=list)  # the candidates behind the outcome
    swapped: bool = False  # found with the surname and the given names the other way round

    @property
    def person_id(self) -> int | None:
        return self.comparisons[0].candidate.person_id if self.outcome == MATCH else None

    def explanation(self, rpps_by_id: dict[int, str] | None = None) -> str:
        if not self.comparisons:
            return "aucun candidat proche dans le répertoire"
        if self.outcome == NO_MATCH:
            c = self.comparisons[0]
            who = (rpps_by_id or {}).get(c.candidate.person_id, f"personne {c.candidate.person_id}")
            return f"aucun candidat retenu : le plus proche, {who}, ne suffit pas — {explain(c)}"
        parts = ["nom et prénoms inversés dans la demande"] if self.swapped else []
        for c in self.comparisons:
            who = (rpps_by_id or {}).get(c.candidate.person_id, f"personne {c.candidate.person_id}")
            parts.append(f"{who} — {explain(c)}")
        return " | ".join(parts)

    def as_candidates(self, rpps_by_id: dict[int, str]) -> list[dict]:
        return [
            {
                "person_id": c.candidate.person_id,
                "rpps": rpps_by_id.get(c.candidate.person_id, ""),
                "decision": c.decision,
                "explanation": {k: v.as_dict() for k, v in c.traits.items()},
            }
            for c in self.comparisons
        ]


def request_keys(traits: Traits) -> list[str]:
    d = traits.birth_date
    name_p = phonetic(traits.birth_name)
    # The record side holds a key for each of its given names; the request needs only its first two.
    given_p = [phonetic(g) for g in traits.given_names.split(" ")[:2]]
    keys = person_keys(name_p, "", given_p, d, traits.sex, traits.birth_place)
    if d.day <= 12 and d.day != d.month:  # day and month swapped: both at most 12, always a valid date
        keys += date_keys(d.replace(month=d.day, day=d.month), traits.sex, [name_p], given_p[0])
    return keys


_COLUMNS = [f.column for f in IdentityIndex._meta.concrete_fields]


def candidates(traits: Traits, name_key: str = "", given_key: str = "") -> tuple[list[Candidate], int, int]:
    """Candidates sharing a blocking key with the request, how many persons carry its name pair, and how
    many its first given name."""
    keys = request_keys(traits)
    index, key_table, frequency = (
        IdentityIndex._meta.db_table,
        IdentityKey._meta.db_table,
        NameFrequency._meta.db_table,
    )
    if connection.vendor == "postgresql":
        # One array parameter: the statement text never changes, so psycopg prepares it once.
        match, params = "= ANY(%s)", [keys]
    else:
        match, params = f"IN ({', '.join(['%s'] * len(keys))})", list(keys)
    sql = (
        f"SELECT {', '.join(_COLUMNS)}, (SELECT count FROM {frequency} WHERE key = %s), "
        f"(SELECT count FROM {frequency} WHERE key = %s) FROM {index} "
        f"WHERE person_id IN (SELECT person_id FROM {key_table} WHERE key {match})"
    )
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        # Django's cursors bind parameters client-side; a plain psycopg cursor binds them server-side,
        # so psycopg prepares this hot statement once and PostgreSQL stops planning it each time.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, [name_key, given_key, *params], prepare=True)
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [name_key, given_key, *params])
            rows = cursor.fetchall()
    result = []
    width = len(_COLUMNS)
    for row in rows:
        values = dict(zip(_COLUMNS, row[:width], strict=True))
        if not isinstance(values["birth_date"], datetime.date):
            values["birth_date"] = datetime.date.fromisoformat(values["birth_date"])
        result.append(Candidate(**values))
    if not rows:
        return result, 0, 0
    return result, rows[0][width] or 0, rows[0][width + 1] or 0


def _worth_comparing(c: Candidate, request_phonetic: str, surname_tokens: set[str], given_tokens: set[str]) -> bool:
    """Cheap test: a candidate whose surname and given names are both far from the request's cannot
    be a MATCH or a POSSIBLE, so the full comparison is skipped."""
    if request_phonetic in (c.name_phonetic, c.usage_phonetic) or given_tokens.intersection(c.given_names.split()):
        return True
    if surname_tokens.intersection(c.birth_name.split()) or surname_tokens.intersection(c.usage_name.split()):
        return True
    request = " ".join(sorted(surname_tokens))
    return ratio(request, c.birth_name) >= 75 or bool(c.usage_name and ratio(request, c.usage_name) >= 75)


def resolve(traits: Traits, *, exclude: set[int] = frozenset()) -> Decision:
    decision = _resolve(traits, exclude)
    if decision.outcome != NO_MATCH or traits.given_names == traits.birth_name:
        return decision
    # Surname typed as given names and the reverse: the person is not even a candidate the right way
    # round. Found the other way, it is a MATCH only when every trait then agrees; else for a human.
    other = _resolve(
        replace(traits, birth_name=traits.given_names, given_names=traits.birth_name, first_given_name=""), exclude
    )
    if other.outcome == NO_MATCH:
        return decision
    if other.outcome == MATCH and all(t.state == AGREE for t in other.comparisons[0].traits.values()):
        # every trait agrees once the two fields are put back, down to the commune: nobody else is the
        # other way round of this person
        return Decision(MATCH, other.comparisons, swapped=True)
    return Decision(POSSIBLE, other.comparisons[:MAX_PROPOSED], swapped=True)


def _resolve(traits: Traits, exclude) -> Decision:
    request_phonetic = phonetic(traits.birth_name)
    found, name_count, given_count = candidates(
        traits,
        name_frequency_key(request_phonetic, phonetic(traits.first_given)),
        given_name_frequency_key(traits.first_given_name),
    )
    common = name_count >= COMMON_NAME_COUNT
    named = given_count >= GIVEN_NAME_COUNT
    given_tokens, surname_tokens = set(traits.given_names.split()), set(traits.birth_name.split())
    comparisons = [
        compare(traits, request_phonetic, c, common=common, named=named)
        for c in found
        if c.person_id not in exclude and _worth_comparing(c, request_phonetic, surname_tokens, given_tokens)
    ]
    matches = [c for c in comparisons if c.decision == MATCH]
    if len(matches) == 1:
        return Decision(MATCH, matches)
    ranked = sorted((c for c in comparisons if c.decision != NO_MATCH), key=lambda c: (-c.score, c.candidate.person_id))
    if ranked:
        # Two records matching one request is itself a duplicate for a human to look at.
        return Decision(POSSIBLE, ranked[:MAX_PROPOSED])
    # none retained: the closest one compared stays with the decision, so that it says what was found
    # and why it was not enough (it is no candidate: person_id is None)
    nearest = sorted(comparisons, key=lambda c: (-c.score, c.candidate.person_id))[:1]
    return Decision(NO_MATCH, nearest)


def could_change(traits: Traits, found: list[Candidate]) -> bool:
    """Whether candidates that appeared after a decision was taken (persons created since) could change
    it: any of them compared as more than NO_MATCH, the request read either way round, under either
    reading of how common its names are. A yes sends the request back to ``resolve``."""
    request_phonetic = phonetic(traits.birth_name)
    readings = [(traits, request_phonetic)]
    if traits.given_names != traits.birth_name:
        swapped = replace(traits, birth_name=traits.given_names, given_names=traits.birth_name, first_given_name="")
        readings.append((swapped, phonetic(swapped.birth_name)))
    return any(
        compare(reading, reading_phonetic, c, common=common, named=named).decision != NO_MATCH
        for c in found
        for reading, reading_phonetic in readings
        for common in (False, True)
        for named in (False, True)
    )
