"""Registering a checked file's rows by sets: what ``registration.register`` does for one row, for a
batch of rows in one transaction (issue 22: a confirmed import writes at file speed).

The identity decisions taken when the file was checked are re-validated in bulk
(``identity.register_people``); the rows they no longer hold for (a POSSIBLE, a person created since
with a shared blocking key, a MATCH merged since) go through ``registration.register`` one by one,
after the others, so that every request still ends with one person one number. Exercises,
situations, requests, audit events, history and the search index are written by set operations in
the same transaction; the e-mails are sent once it commits.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rpps.identity import services as identity
from rpps.identity.scoring import MATCH, NO_MATCH
from rpps.registry import history, signals
from rpps.registry.history import acting_as
from rpps.registry.models import Activity, Exercise, Person

from . import audit, notify, registration
from .audit import Who
from .models import AuditEvent, RegistrationRequest
from .services import Refused

DETAIL = {MATCH: "numéro RPPS existant", NO_MATCH: "nouveau numéro RPPS"}


def register_rows(who: Who, rows: list[dict], structures: dict) -> dict[int, tuple[str, str]]:
    """(status, detail) per file line: "enregistre"/"deja" with the RPPS number, "a_verifier", or
    "erreur" with the refusal. ``rows`` are the checked rows (line, structure, data, checked)."""
    results: dict[int, tuple[str, str]] = {}
    by_structure = defaultdict(list)
    for row in rows:
        by_structure[row["structure"]].append(row)
    for structure_id, group in by_structure.items():
        structure = structures[structure_id]
        with transaction.atomic():
            later = _register_group(who, structure, group, results)
            for row in later:  # one by one, through identity resolution, after the others exist
                results[row["line"]] = _register_one(who, structure, row)
    return results


def _register_one(who: Who, structure, row: dict) -> tuple[str, str]:
    try:
        request = registration.register(
            who, row["data"], structure, source=RegistrationRequest.Source.FILE, permission_checked=True
        )
    except Refused as exc:
        return "erreur", exc.message
    if request.state == request.State.IN_REVIEW:
        return "a_verifier", ""
    return ("deja" if request.outcome == registration.ALREADY else "enregistre"), request.person.rpps


def _register_group(who: Who, structure, rows: list[dict], results: dict) -> list[dict]:
    """The rows of one structure that the bulk path can register; returns the others."""
    try:
        registration._check_may_register(who, structure)
    except Refused as exc:
        results.update({row["line"]: ("erreur", exc.message) for row in rows})
        return []
    keys = [registration.identity_key(row["data"]) for row in rows]
    pending = registration.pending_keys(keys)
    refusals = []
    for row, key in zip(rows, keys, strict=True):
        if key in pending:
            results[row["line"]] = ("erreur", registration.PENDING_MESSAGE)
            refusals.append(
                audit.event(who, AuditEvent.Action.PROFESSIONAL_REGISTERED, refused=True, structure=structure,
                            target=_name(row), message=registration.PENDING_MESSAGE)
            )  # fmt: skip
    AuditEvent.objects.bulk_create(refusals)
    rows = [row for row, key in zip(rows, keys, strict=True) if key not in pending]
    with acting_as(registration.actor_for(who), f"Enregistrement RPPS+ à {structure.name}"[:300]):
        registrations = identity.register_people(
            [
                (
                    registration.traits_of(row["data"]),
                    registration.person_fields(row["data"]),
                    identity.Checked.from_json(row.get("checked")),
                )
                for row in rows
            ]
        )
        done = [(row, r) for row, r in zip(rows, registrations, strict=True) if r is not None and r.person]
        activities = _attach_all(structure, [(r.person, row["data"]) for row, r in done])
    held = [(row, r) for row, r in zip(rows, registrations, strict=True) if r is not None and r.case]
    _held_for_review(who, structure, held, results)
    later = [row for row, r in zip(rows, registrations, strict=True) if r is None]
    later += [row for (row, _), (activity, _) in zip(done, activities, strict=True) if activity is None]
    written = [(row, r, a, created) for (row, r), (a, created) in zip(done, activities, strict=True) if a is not None]
    _requests_and_events(who, structure, written, results)
    signals.bulk_written.send(sender=register_rows, persons=[r.person.pk for _, r, _, _ in written])
    return later


def _attach_all(structure, items: list[tuple[Person, dict]]) -> list[tuple[Activity | None, bool]]:
    """``registration._attach`` for many (person, typed row) pairs at the same structure: the exercise
    (profession 99) made where missing, the situation made unless the same one is there; (None, False)
    where a value is refused (that row goes through ``register``, which says why)."""
    persons = [person for person, _ in items]
    exercises = {
        e.person_id: e
        for e in Exercise.objects.filter(person__in=persons, profession_code=registration.ROLE_PROFESSION)
    }
    new_exercises, refused = [], set()
    for person, data in items:
        if person.pk not in exercises:
            try:
                exercise = exercises[person.pk] = registration.new_exercise(person, data)
            except ValidationError:
                refused.add(person.pk)
                continue
            new_exercises.append(exercise)
    Exercise.objects.bulk_create(new_exercises)
    history.record_bulk([(e, "create", None, history.snapshot(e), e.person_id) for e in new_exercises])
    here = defaultdict(list)  # each person's situations at the structure, read at once
    for activity in Activity.objects.filter(exercise__person__in=persons, structure=structure).select_related(
        "exercise"
    ):
        here[activity.exercise.person_id].append(activity)
    existing = {(a.exercise_id, a.role_code, a.start_date): a for situations in here.values() for a in situations}
    results, new = [], []
    for person, data in items:
        if person.pk in refused:
            results.append((None, False))
            continue
        activity = registration.new_activity(exercises[person.pk], structure, data)
        key = (activity.exercise_id, activity.role_code, activity.start_date)
        if key in existing:
            results.append((existing[key], False))
            continue
        activity.situations_here = here[person.pk]
        try:
            activity.clean_fields(exclude=["exercise", "structure"])
            activity.clean()
        except ValidationError:
            results.append((None, False))  # through register, which says why
            continue
        existing[key] = activity
        here[person.pk].append(activity)
        new.append((activity, person))
        results.append((activity, True))
    Activity.objects.bulk_create([a for a, _ in new])
    history.record_bulk([(a, "create", None, history.snapshot(a), p.pk) for a, p in new])
    _fill_contacts([(person, data) for (person, data), (_, created) in zip(items, results, strict=True) if created])
    return results


def _fill_contacts(items: list[tuple[Person, dict]]) -> None:
    """Contacts typed by the structure fill in what a record lacks (``registration._attach``): a private
    change, recorded without moving the public "last updated"."""
    changed = {}
    for person, data in items:
        before = {"email": person.email, "phone": person.phone}
        person.email = person.email or data.get("email", "")
        person.phone = person.phone or data.get("phone", "")
        after = {"email": person.email, "phone": person.phone}
        if after != before:
            changed[person.pk] = (person, {k: v for k, v in before.items() if after[k] != v}, after)
    if not changed:
        return
    Person.objects.bulk_update([p for p, _, _ in changed.values()], ["email", "phone"])
    now = timezone.now()
    history.record_bulk(
        [(p, "update", b, {k: a[k] for k in b}, p.pk) for p, b, a in changed.values()], public=False, at=now
    )


def _request(who: Who, structure, row: dict, **outcome) -> RegistrationRequest:
    """The request a file row leaves (unsaved), as ``registration.register`` records it."""
    return RegistrationRequest(
        structure=structure,
        source=RegistrationRequest.Source.FILE,
        data=registration.jsonable(row["data"]),
        identity_key=registration.identity_key(row["data"]),
        submitted_by=who.label[:200],
        submitted_national_id=who.national_id,
        **outcome,
    )


def _held_for_review(who: Who, structure, held, results: dict) -> None:
    """Rows whose identity an operator must check: their request waits, with its case (the identity
    app's ``request_decided`` finishes it)."""
    RegistrationRequest.objects.bulk_create(
        [
            _request(
                who,
                structure,
                row,
                state=RegistrationRequest.State.IN_REVIEW,
                review_case=reg.case,
                outcome=reg.outcome,
            )
            for row, reg in held
        ]  # fmt: skip
    )
    AuditEvent.objects.bulk_create(
        [
            audit.event(
                who,
                AuditEvent.Action.PROFESSIONAL_REGISTERED,
                structure=structure,
                target=_name(row),
                message="identité à vérifier",
            )
            for row, _ in held
        ]  # fmt: skip
    )
    results.update({row["line"]: ("a_verifier", "") for row, _ in held})


def _requests_and_events(who: Who, structure, written, results: dict) -> None:
    now = timezone.now()
    # the public names the e-mail gives: the person's first exercise (services.exercise_names), read at once
    exercise_names = {}
    for person_id, last, first in (
        Exercise.objects.filter(person__in=[r.person for _, r, _, _ in written if r.person.email])
        .order_by("-pk")
        .values_list("person_id", "last_name", "first_name")
    ):
        exercise_names[person_id] = (last, first)
    requests, events, mails = [], [], []
    for row, reg, activity, created in written:
        outcome = reg.outcome if created else registration.ALREADY
        requests.append(
            _request(who, structure, row, state=RegistrationRequest.State.REGISTERED, person=reg.person,
                     activity=activity, outcome=outcome, decided_at=now, decided_by=who.label[:200])
        )  # fmt: skip
        name = _name(row)
        detail = DETAIL[reg.outcome] if created else "situation déjà enregistrée"
        events.append(
            audit.event(
                who,
                AuditEvent.Action.PROFESSIONAL_REGISTERED,
                structure=structure,
                target=f"{name} (RPPS {reg.person.rpps})",
                message=detail,
            )
        )
        results[row["line"]] = ("enregistre" if created else "deja", reg.person.rpps)
        if created:
            names = exercise_names.get(reg.person.pk) or (
                row["data"]["exercise_last_name"],
                row["data"]["exercise_first_name"],
            )
            mails.append((reg.person, structure, *names))
    RegistrationRequest.objects.bulk_create(requests)
    notify.registered_many(mails)
    AuditEvent.objects.bulk_create(events)


def _name(row: dict) -> str:
    return f"{row['data'].get('exercise_first_name', '')} {row['data'].get('exercise_last_name', '')}".strip()
