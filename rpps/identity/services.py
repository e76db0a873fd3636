"""Registration through identity resolution, review decisions and merges.

``register_person`` is the one way to create a person: every registration path calls it.
"""

import datetime
import hashlib
import threading
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from rpps.registry.aliases import resolve_rpps
from rpps.registry.allocation import allocate_many, allocate_rpps
from rpps.registry.history import current, record_bulk, snapshot
from rpps.registry.models import Card, Exercise, Mailbox, Person

from .identity_index import date_key, index_new_persons, index_values
from .models import DistinctPair, IdentityIndex, IdentityKey, ReviewCase
from .resolver import Decision, could_change, request_keys, resolve
from .scoring import MATCH, NO_MATCH, POSSIBLE, Candidate
from .traits import Traits

_local_lock = threading.Lock()


def _lock_key(traits: Traits) -> int:
    digest = hashlib.blake2b(date_key(traits.birth_date, traits.sex).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _identity_locks:
    """Serialise registrations that could be the same person (same birth date and sex).

    PostgreSQL: transaction-scoped advisory locks, so two app servers registering the same new person
    at the same moment end with one RPPS number; many requests (a file's rows) take theirs in one order,
    so two files never wait for each other in a circle. Other databases: a process lock.
    """

    def __init__(self, traits_list):
        self.locks = sorted({_lock_key(t) for t in traits_list})

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # one statement for a file's batch: unnest gives the sorted keys in their order
                cursor.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k", [self.locks])
        else:
            _local_lock.acquire()
        return self

    def __exit__(self, *exc):
        if connection.vendor != "postgresql":
            _local_lock.release()


def _same_identity_lock(traits: Traits) -> _identity_locks:
    return _identity_locks([traits])


@dataclass
class Registration:
    outcome: str  # MATCH, POSSIBLE or NO_MATCH
    person: Person | None  # the existing person (MATCH) or the new one (NO_MATCH)
    case: ReviewCase | None  # POSSIBLE
    decision: Decision | None  # None for a decision taken when a file was checked (``Checked``)


def person_from_request(person_data: dict) -> Person:
    """A new Person with an allocated RPPS number; ``person_data`` holds the fields as typed."""
    person = Person(rpps=allocate_rpps(), **person_data)
    person.full_clean()
    person.save()
    return person


def rpps_of(ids) -> dict[int, str]:
    return dict(Person.objects.filter(pk__in=list(ids)).values_list("id", "rpps"))


def register_person(traits: Traits, person_data: dict) -> Registration:
    """Resolve, then reuse (MATCH), queue for review (POSSIBLE) or create (NO_MATCH), in one transaction.

    ``person_data`` are the Person fields as typed (birth_name, given_names, sex_code, birth_date,
    birth_place_code, …). The caller declares who it is with history.acting_as.
    """
    current()  # refuse an unattributed write before anything is resolved
    # The person data must be complete before anything is queued or created.
    Person(rpps="00000000000", **person_data).full_clean(exclude=["rpps"], validate_unique=False)
    with transaction.atomic(), _same_identity_lock(traits):
        decision = resolve(traits)
        if decision.outcome == MATCH:
            # The index holds current persons only, so the match is never a retired alias.
            return Registration(MATCH, Person.objects.get(pk=decision.person_id), None, decision)
        if decision.outcome == POSSIBLE:
            case = _review_case(person_data, Checked.of(decision, 0).candidates)
            case.save()
            return Registration(POSSIBLE, None, case, decision)
        return Registration(NO_MATCH, person_from_request(person_data), None, decision)


@dataclass
class Checked:
    """An identity decision taken when a file was checked: its outcome, the person matched, and the
    registry's highest person id at that moment (persons created since are what may change it)."""

    outcome: str
    person_id: int | None
    mark: int
    candidates: list | None = None  # a POSSIBLE's candidates, as its review case lists them

    @classmethod
    def of(cls, decision: Decision, mark: int) -> "Checked":
        candidates = None
        if decision.outcome == POSSIBLE:
            candidates = decision.as_candidates(rpps_of(c.candidate.person_id for c in decision.comparisons))
        return cls(decision.outcome, decision.person_id, mark, candidates)

    def as_json(self) -> dict:
        return {"outcome": self.outcome, "person_id": self.person_id, "mark": self.mark, "candidates": self.candidates}

    @classmethod
    def from_json(cls, value: dict | None) -> "Checked | None":
        return cls(**value) if value else None


def registry_mark() -> int:
    return Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def register_people(requests: list[tuple[Traits, dict, Checked | None]]) -> list[Registration | None]:
    """``register_person`` for a checked file's rows, the decisions taken at check time re-validated in
    bulk: a Registration per request, or None where the request must be resolved again, one by one
    (``register_person``): it was POSSIBLE, its MATCH is no longer current, or a person created since
    the check — or an earlier new person of the same call — shares a blocking key with it and could
    change its decision (``resolver.could_change``). New persons are created together, numbered by
    ``allocate_many``, indexed and recorded. Called in a transaction; the identity locks of every
    request are held until it ends."""
    results: list[Registration | None] = [None] * len(requests)
    with _identity_locks([traits for traits, _, _ in requests]):
        keys = [request_keys(traits) for traits, _, _ in requests]
        marks = [checked.mark for _, _, checked in requests if checked]
        since = _candidates_since(min(marks), {k for ks in keys for k in ks}) if marks else {}
        matched = [checked.person_id for _, _, checked in requests if checked and checked.outcome == MATCH]
        current = Person.objects.current().in_bulk(matched)
        new: list[tuple[int, dict]] = []
        cases: list[tuple[int, ReviewCase]] = []
        for index, ((traits, data, checked), request_keys_) in enumerate(zip(requests, keys, strict=True)):
            if checked is None:
                continue
            found = {c.person_id: c for k in request_keys_ for c in since.get(k, ())}
            if found and could_change(traits, list(found.values())):
                continue
            if checked.outcome == POSSIBLE:
                if checked.candidates:  # for a human, with the candidates of the check
                    cases.append((index, _review_case(data, checked.candidates)))
                continue
            if checked.outcome == MATCH:
                if checked.person_id in current:
                    results[index] = Registration(MATCH, current[checked.person_id], None, None)
                continue
            try:  # the database holds the constraints: one query each per row is what a file cannot afford
                Person(rpps="00000000000", **data).full_clean(
                    exclude=["rpps"], validate_unique=False, validate_constraints=False
                )
            except ValidationError:
                continue  # refused, with its message, by register_person
            new.append((index, data))
            # a later row of this call is compared with this one as with a person created since
            row, _ = index_values(-1 - index, data["birth_name"], data["usage_name"], data["given_names"],
                                  data["sex_code"], data["birth_date"], data["birth_place_code"])  # fmt: skip
            for key in request_keys_:
                since.setdefault(key, []).append(Candidate(*row))
        persons = [Person(rpps=rpps, **data) for rpps, (_, data) in zip(allocate_many(len(new)), new, strict=True)]
        Person.objects.bulk_create(persons)
        record_bulk([(p, "create", None, snapshot(p), p.pk) for p in persons])
        index_new_persons(persons)
        for (index, _), person in zip(new, persons, strict=True):
            results[index] = Registration(NO_MATCH, person, None, None)
        ReviewCase.objects.bulk_create([case for _, case in cases])
        for index, case in cases:
            results[index] = Registration(POSSIBLE, None, case, None)
    return results


def _review_case(person_data: dict, candidates: list[dict]) -> ReviewCase:
    """The case a POSSIBLE request opens for the operators (unsaved)."""
    actor, reason = current()
    case = ReviewCase(
        kind=ReviewCase.Kind.REQUEST,
        request={"person": _jsonable(person_data)},
        candidates=candidates,
        requested_by=actor.label,
        reason=reason,
    )
    case.name = case.subject_name()
    return case


def _candidates_since(mark: int, keys: set[str]) -> dict[str, list[Candidate]]:
    """The persons created after ``mark`` that carry one of ``keys``, as candidates, by key."""
    keys, by_key = sorted(keys), {}
    for start in range(0, len(keys), 5000):
        for key, person_id in IdentityKey.objects.filter(
            key__in=keys[start : start + 5000], person_id__gt=mark
        ).values_list("key", "person_id"):
            by_key.setdefault(key, []).append(person_id)
    columns = [f.attname for f in IdentityIndex._meta.concrete_fields]
    candidates = {
        values[0]: Candidate(*values)
        for values in IdentityIndex.objects.filter(
            person_id__in={p for ids in by_key.values() for p in ids}
        ).values_list(*columns)
    }
    return {key: [candidates[p] for p in ids if p in candidates] for key, ids in by_key.items()}


def _jsonable(data: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def _request_person_data(case: ReviewCase) -> dict:
    data = dict(case.request["person"])
    data["birth_date"] = datetime.date.fromisoformat(data["birth_date"])
    return data


def decide_same(case: ReviewCase, candidate_person_id: int, user) -> Person:
    """The operator says the request (or the checked person) is the candidate."""
    if case.status != ReviewCase.Status.OPEN:
        raise ValueError("Ce dossier a déjà été décidé.")
    if candidate_person_id not in {c["person_id"] for c in case.candidates}:
        raise ValueError("Ce candidat ne fait pas partie du dossier.")
    with transaction.atomic():
        candidate = Person.objects.select_for_update().get(pk=candidate_person_id)
        if case.kind == ReviewCase.Kind.PAIR:
            kept = merge_persons(case.person, candidate)
        else:
            kept = resolve_rpps(candidate.rpps)
        case.person = kept
        _close(case, ReviewCase.Status.SAME, user)
    return kept


def decide_distinct(case: ReviewCase, user) -> Person | None:
    """The operator says none of the candidates is the same person: never proposed again."""
    if case.status != ReviewCase.Status.OPEN:
        raise ValueError("Ce dossier a déjà été décidé.")
    with transaction.atomic():
        if case.kind == ReviewCase.Kind.REQUEST:
            case.person = person_from_request(_request_person_data(case))
        for candidate in case.candidates:
            DistinctPair.record(case.person_id, candidate["person_id"], user)
        _close(case, ReviewCase.Status.DISTINCT, user)
    return case.person


# Sent when an operator decides a request case, with the person the request now designates: the
# layers above (the portal) finish what they had put on hold, in the same transaction.
request_decided = Signal()


def _close(case: ReviewCase, status: str, user) -> None:
    case.status = status
    case.decided_at = timezone.now()
    case.decided_by = user
    case.save()
    if case.kind == ReviewCase.Kind.REQUEST:
        request_decided.send(sender=ReviewCase, case=case, person=case.person)


def merge_persons(a: Person, b: Person) -> Person:
    """Merge two records of one person: the older RPPS number stays, the other becomes its alias.

    Everything attached to the retired record moves to the kept one; each change goes to the history
    with the current actor. Returns the kept person.
    """
    keep, retire = sorted((a, b), key=lambda p: (p.created_at, p.pk))
    with transaction.atomic():
        keep = Person.objects.select_for_update().get(pk=keep.pk)
        retire = Person.objects.select_for_update().get(pk=retire.pk)
        if retire.merged_into_id is not None or keep.merged_into_id is not None:
            raise ValueError("Une des deux personnes a déjà été fusionnée.")
        for exercise in Exercise.objects.filter(person=retire):
            target = Exercise.objects.filter(person=keep, profession_code=exercise.profession_code).first()
            if target is None:
                exercise.person = keep
                exercise.save()
                continue
            for related in ("expertises", "diplomas", "authorizations", "activities"):
                for child in getattr(exercise, related).all():
                    if (
                        related == "expertises"
                        and target.expertises.filter(type_code=child.type_code, code=child.code).exists()
                    ):
                        child.delete()
                        continue
                    child.exercise = target
                    child.save()
            exercise.delete()
        for model in (Mailbox, Card):
            for item in model.objects.filter(person=retire):
                item.person = keep
                item.save()
        retire.merged_into = keep
        retire.save()
    return keep


def check_person(person: Person) -> list[ReviewCase]:
    """Look for duplicates of an existing person; open a PAIR case for each one found."""
    actor, reason = current()
    traits = Traits.of_person(person)
    known_distinct = set(DistinctPair.objects.filter(low=person).values_list("high_id", flat=True)) | set(
        DistinctPair.objects.filter(high=person).values_list("low_id", flat=True)
    )
    decision = resolve(traits, exclude={person.pk} | known_distinct)
    if decision.outcome == NO_MATCH:
        return []
    rpps = rpps_of(c.candidate.person_id for c in decision.comparisons)
    cases = []
    for candidate in decision.as_candidates(rpps):
        already = ReviewCase.objects.filter(
            kind=ReviewCase.Kind.PAIR,
            status=ReviewCase.Status.OPEN,
            person=person,
            candidates__0__person_id=candidate["person_id"],
        ).exists()
        if not already:
            cases.append(
                ReviewCase.objects.create(
                    kind=ReviewCase.Kind.PAIR,
                    person=person,
                    candidates=[candidate],
                    requested_by=actor.label,
                    reason=reason,
                )
            )
    return cases
