"""The identity-resolution service: one decision, with its explanation, for one set of traits.

Every way of creating a person goes through ``resolve`` (via services.register_person).
Candidate search is one indexed query on blocking keys: same birth date and sex (also with day and
month swapped), or same phonetic name and first given name with the same year or the same day and
month. Candidates are then compared trait by trait (scoring.py).
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection

from .index import date_keys, person_keys
from .models import IdentityIndex, IdentityKey
from .normalize import phonetic
from .scoring import MATCH, NO_MATCH, POSSIBLE, Candidate, Comparison, compare, explain
from .traits import Traits

MAX_PROPOSED = 3


@dataclass
class Decision:
    outcome: str  # MATCH, POSSIBLE or NO_MATCH
    comparisons: list[Comparison] = field(default_factory=list)  # the candidates behind the outcome

    @property
    def person_id(self) -> int | None:
        return self.comparisons[0].candidate.person_id if self.outcome == MATCH else None

    def explanation(self, rpps_by_id: dict[int, str] | None = None) -> str:
        if not self.comparisons:
            return "aucun candidat proche dans le répertoire"
        parts = []
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
    given_p = [phonetic(g) for g in traits.given_names.split(" ")]
    keys = person_keys(name_p, "", given_p, d, traits.sex, traits.birth_place)
    if d.day <= 12 and d.day != d.month:  # day and month swapped: both at most 12, always a valid date
        keys += date_keys(d.replace(month=d.day, day=d.month), traits.sex, [name_p], given_p[0])
    return keys


_COLUMNS = [f.column for f in IdentityIndex._meta.concrete_fields]


def candidates(traits: Traits) -> list[Candidate]:
    keys = request_keys(traits)
    placeholders = ", ".join(["%s"] * len(keys))
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM {IdentityIndex._meta.db_table} WHERE person_id IN "
        f"(SELECT person_id FROM {IdentityKey._meta.db_table} WHERE key IN ({placeholders}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, keys)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        birth_date = row[8] if isinstance(row[8], datetime.date) else datetime.date.fromisoformat(row[8])
        result.append(Candidate(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], birth_date, row[9]))
    return result


def resolve(traits: Traits, *, exclude: set[int] = frozenset()) -> Decision:
    request_phonetic = phonetic(traits.birth_name)
    comparisons = [compare(traits, request_phonetic, c) for c in candidates(traits) if c.person_id not in exclude]
    matches = [c for c in comparisons if c.decision == MATCH]
    if len(matches) == 1:
        return Decision(MATCH, matches)
    ranked = sorted((c for c in comparisons if c.decision != NO_MATCH), key=lambda c: (-c.score, c.candidate.person_id))
    if ranked:
        # Two records matching one request is itself a duplicate for a human to look at.
        return Decision(POSSIBLE, ranked[:MAX_PROPOSED])
    return Decision(NO_MATCH)
