"""Loading a PS_LibreAcces extraction into the registry: what changes, then (if asked) the changes.

The file is compared with the registry object kind by object kind, on natural keys:
persons (RPPS number), exercises (number + profession), structures (technical id), situations
(number + profession + structure + rôle/fonction + mode + genre), savoir-faire, diplomas and
authorisations. Additions and changes are written; "removals" close the situations the file no
longer has (end date: the day before the file's, the last day a file listed them) and delete
savoir-faire, diplomas and authorisations it no longer lists. Persons, exercises and structures are
never deleted (numbers are for life).

The comparison runs in the database, so that memory does not grow with the file (decisions.md,
issue 22): the file is copied into temporary tables (``staging``), each kind's additions, changes
and removals are found by one statement (``compare``), additions are written by set operations
(``additions``), changes and removals by batches of objects, each with the history record a write
through the models makes.

A number unknown to the registry is created as it is: the file is the national directory's own
list of numbers, and it holds no birth data to resolve an identity with. Such persons have no
état civil (`Person.civil_status_known`). ADELI-only lines are reported and skipped: this registry
allocates RPPS numbers only.
"""

import contextlib
import datetime
import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from rpps.registry import history, projection, signals
from rpps.registry.bulkwrite.mode import postgres_bulk_mode
from rpps.registry.bulkwrite.writer import BulkWriter
from rpps.registry.history import CHANGE_COLUMNS, Actor, acting_as, change_row, object_type
from rpps.registry.models import (
    Activity,
    Authorization,
    ChangeRecord,
    Diploma,
    Exercise,
    Expertise,
    Person,
    Structure,
)

from . import staging
from .additions import Additions
from .compare import COMPARED, S, materialize, stream
from .reader import Extraction, Problem
from .staging import EXERCISE_FIELDS, STRUCTURE_FIELDS

UPDATE_BATCH = 2000
WRITTEN = [Person, Exercise, Structure, Activity, Expertise, Diploma, Authorization, ChangeRecord]


class LoadRefused(Exception):
    pass


@dataclass
class Plan:
    date: datetime.date
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    registry_records: int = 0
    removals: int = 0
    # seconds per step, in order: what an operator reads to see where a load's time goes
    timings: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def timed(self, step: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - started


def plan_load(extraction: Extraction, date: datetime.date | None = None) -> Plan:
    """Stages the file, compares it with the registry (compare.materialize) and counts, per kind, what
    the load would add, change and remove."""
    date = date or datetime.date.today()
    plan = Plan(date=date, problems=extraction.problems)
    with plan.timed("lecture et copie du fichier"):
        staging.stage(extraction)
    with plan.timed("comparaison"):
        counts = materialize(date)
    plan.registry_records = counts.pop("registre")["enregistrements"]
    plan.counts = counts
    plan.removals = sum(c["retraits"] for c in counts.values())
    return plan


def apply_plan(plan: Plan, *, max_removal_share: float = 0.05, force: bool = False) -> None:
    """Writes the plan in one transaction, attributed to the loader, with the search index of the
    persons it touched (a first load into an empty registry: the index rebuilt by a job after it)."""
    share = plan.removals / plan.registry_records if plan.registry_records else 0.0
    if share > max_removal_share and not force:
        raise LoadRefused(
            f"Le fichier retirerait {plan.removals} enregistrement(s) sur {plan.registry_records} "
            f"({share:.1%}, plus que {max_removal_share:.0%}) : fichier incomplet ? Relancez avec --forcer si c'est voulu."
        )
    with transaction.atomic(), acting_as(Actor.loader("load_extraction"), f"Extraction du {plan.date:%d/%m/%Y}"):
        now = timezone.now()
        actor, reason = history.current()  # apply_plan's author, as for its writes through the models
        first_load = not Person.objects.exists()
        additions = Additions(plan, now, actor, reason)
        with plan.timed("ajouts"), _first_load_mode(first_load):
            additions.write()
        writes = _Writes(plan, now, actor, reason, additions.before[Structure])
        with plan.timed("modifications"):
            writes.changes()
        with plan.timed("retraits"):
            writes.removals()
        BulkWriter().reset_sequences(WRITTEN)
        with plan.timed("index de recherche"):
            if first_load:
                signals.bulk_written.send(sender=apply_plan, persons=None, later=True)
            else:
                persons = writes.persons.union(additions.touched_persons())
                signals.bulk_written.send(sender=apply_plan, persons=sorted(persons))
        started = time.perf_counter()
    plan.timings["validation de la transaction"] = time.perf_counter() - started
    staging.drop(COMPARED)


def _first_load_mode(first_load: bool):
    """Into an empty registry (a national file's first load), on PostgreSQL: secondary indexes and
    foreign keys built once after the additions (bulkwrite.mode), as pg_restore does. The unique
    indexes the comparisons join on stay."""
    if connection.vendor == "postgresql" and first_load:
        return postgres_bulk_mode(connection, WRITTEN)
    return contextlib.nullcontext()


class _Writes:
    """Changes and removals: by batches of objects read by one streamed statement each, each change
    with the history record and the "last updated" moves a write through the models makes."""

    def __init__(self, plan: Plan, now, actor, reason, existing_structures: int):
        self.plan, self.now, self.actor, self.reason = plan, now, actor, reason
        self.existing_structures = existing_structures  # ids up to this one were there before the load
        self.persons: set[int] = set()  # persons whose search index lines may change
        self.activity_persons: dict[int, int] = {}  # situation -> person, for the batch being closed

    def problem(self, message: str) -> None:
        self.plan.problems.append(Problem("", 0, message))

    def changes(self) -> None:
        """Read from the comparison's tables (compare.materialize): the object's id and its new values."""
        for model, table, fields in (
            (Person, "cmp_person_changed", ("civility_code",)),
            (Exercise, "cmp_exercise_changed", EXERCISE_FIELDS),
            (Structure, "cmp_structure_changed", STRUCTURE_FIELDS),
        ):
            columns = ("f.id", "f.civility") if model is Person else ("f.id", *(f"f.{n}" for n in fields))
            self.update(model, (f"FROM {table} f", ()), columns, fields)
        self.relink_legal_entities()

    def relink_legal_entities(self) -> None:
        """A structure whose file names another legal entity (one the registry has) is linked to it."""
        self.update(
            Structure,
            (
                f"FROM load_legal f JOIN {S} r ON r.technical_id = f.technical_id "
                f"JOIN {S} l ON l.finess = f.legal_finess "
                f"WHERE l.id <> r.id AND (r.legal_entity_id IS NULL OR r.legal_entity_id <> l.id) "
                f"AND r.id <= %s",
                (self.existing_structures,),
            ),
            ("r.id", "l.id"),
            ("legal_entity_id",),
        )

    def update(self, model, fragment: tuple[str, tuple], columns, fields) -> None:
        """The objects the statement names take the values it gives, by batches, each change recorded."""
        sql, params = fragment
        batch = []
        for row in stream(f"SELECT {', '.join(columns)} {sql} ORDER BY {columns[0]}", params):
            batch.append(row)
            if len(batch) == UPDATE_BATCH:
                self._update_batch(model, batch, fields)
                batch = []
        self._update_batch(model, batch, fields)

    def _update_batch(self, model, rows, fields) -> None:
        objects = model._base_manager.in_bulk([row[0] for row in rows])
        changed_objects, records = [], []
        for pk, *values in rows:
            instance = objects[pk]
            before = history.snapshot(instance)
            for name, value in zip(fields, values, strict=True):
                attname = model._meta.get_field(name).attname
                setattr(instance, attname, value or (None if name in ("finess", "legal_entity_id") else ""))
            after = history.snapshot(instance)
            changed = [k for k in after if before[k] != after[k]]
            if not changed:
                continue
            try:
                instance.clean_fields(exclude=[f.name for f in model._meta.fields if f.attname not in changed])
                errors = {}
                instance.validate_codes(errors, stored=before)  # the nomenclatures' rule, as on every write
                if errors:
                    raise ValidationError(errors)
            except ValidationError as exc:
                label = getattr(instance, "rpps", None) or getattr(instance, "technical_id", None) or pk
                self.problem(f"{model._meta.verbose_name} {label} : modification refusée ({_messages(exc)}).")
                continue
            public = projection.public_change(model, before, after)
            if public:
                instance.updated_at = self.now
            changed_objects.append(instance)
            records.append(self._change(model, instance, "update", {k: before[k] for k in changed}, {k: after[k] for k in changed}, public))  # fmt: skip
        self._save(model, changed_objects, records, [*fields, "updated_at"])

    def _change(self, model, instance, action, before, after, public=True, person_id=None) -> tuple:
        """``person_id`` when the caller knows it (else read from the instance: a query for a child)."""
        if person_id is None:
            person_id = instance.history_person_id() if model is not Activity else self.activity_persons[instance.pk]
        if person_id is not None:
            self.persons.add(person_id)
        # numbered by the table's sequence, as the additions' records are
        return change_row(
            None, self.now, self.actor, self.reason, action, object_type(model), instance.pk, person_id, before, after,
            public,
        )[1:]  # fmt: skip

    def _save(self, model, instances, records, fields) -> None:
        if not instances:
            return
        # one UPDATE statement sent many times (a pipeline on PostgreSQL): Django's bulk_update builds a
        # CASE per field and row, which costs more to compile than to run
        attnames = [model._meta.get_field(n).attname for n in fields]
        table, quote = model._meta.db_table, connection.ops.quote_name
        assignments = ", ".join(f"{quote(a)} = %s" for a in attnames)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(table)} SET {assignments} WHERE id = %s",
                [[getattr(i, a) for a in attnames] + [i.pk] for i in instances],
            )
        BulkWriter().write(ChangeRecord, CHANGE_COLUMNS[1:], records)
        if model is Structure:  # the persons practising there are shown with its name and address
            at = Activity.objects.filter(structure_id__in=[i.pk for i in instances])
            self.persons.update(at.values_list("exercise__person_id", flat=True))
        public = [history.snapshot(i) | {"id": i.pk} for i, r in zip(instances, records, strict=True) if r[-1]]
        history.touch_wholes_of(model, public, self.now)

    def removals(self) -> None:
        """Situations the file no longer has are closed on its date; savoir-faire, diplomas and
        authorisations it no longer lists are deleted (through the models: each deletion recorded)."""
        batch = []
        for row in stream("SELECT r.k_id, r.k_person FROM cmp_activity_removed r ORDER BY r.k_id"):
            batch.append(row)
            if len(batch) == UPDATE_BATCH:
                self._close(batch)
                batch = []
        self._close(batch)
        for model in (Expertise, Diploma, Authorization):
            table = f"cmp_{model._meta.model_name}_removed"
            removed = dict(stream(f"SELECT r.k_id, r.k_person FROM {table} r ORDER BY r.k_id"))
            self.persons.update(removed.values())
            ids = sorted(removed)
            for start in range(0, len(ids), UPDATE_BATCH):
                self._delete(model, ids[start : start + UPDATE_BATCH], removed)

    def _delete(self, model, ids: list[int], persons: dict[int, int]) -> None:
        """Deletes a batch of savoir-faire, diplomas or authorisations by one statement, each with the
        deletion record and the "last updated" move of its exercise a deletion through the models makes."""
        objects = list(model._base_manager.filter(pk__in=ids).order_by("pk"))
        records = [
            self._change(
                model, o, ChangeRecord.Action.DELETE, history.deleted_snapshot(o), None, person_id=persons[o.pk]
            )
            for o in objects
        ]
        with connection.cursor() as cursor:  # without a signal per object: the records are written below
            quote = connection.ops.quote_name
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids
            )
        BulkWriter().write(ChangeRecord, CHANGE_COLUMNS[1:], records)
        history.touch_wholes_of(model, [history.snapshot(o) | {"id": o.pk} for o in objects], self.now)

    def _close(self, rows) -> None:
        self.activity_persons = dict(rows)
        objects = Activity._base_manager.in_bulk(list(self.activity_persons))
        closed, records = [], []
        for instance in objects.values():
            before = history.snapshot(instance)
            # the last day a file listed it: on the file's own day it is no longer open (open_on)
            instance.end_date = max(self.plan.date - datetime.timedelta(days=1), instance.start_date)
            after = history.snapshot(instance)
            if after == before:
                continue
            public = projection.public_change(Activity, before, after)
            if public:
                instance.updated_at = self.now
            closed.append(instance)
            records.append(self._change(Activity, instance, "update", {"end_date": before["end_date"]}, {"end_date": after["end_date"]}, public))  # fmt: skip
        self._save(Activity, closed, records, ["end_date", "updated_at"])


def _messages(error: ValidationError) -> str:
    return " ; ".join(str(m) for messages in error.message_dict.values() for m in messages)
