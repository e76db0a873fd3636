"""Loading a PS_LibreAcces extraction into the registry: what changes, then (if asked) the changes.

The file is compared with the registry object kind by object kind, on natural keys:
persons (RPPS number), exercises (number + profession), structures (technical id), situations
(number + profession + structure + rôle/fonction + mode + genre), savoir-faire, diplomas and
authorisations. Additions and changes are written; "removals" close the situations the file no
longer has (end date = the file's date) and delete savoir-faire, diplomas and authorisations it no
longer lists. Persons, exercises and structures are never deleted (numbers are for life).

The comparison runs in the database: the file is copied into temporary tables (``staging``) and
each kind's additions, changes and removals are read by one statement, streamed batch by batch, so
that memory does not grow with the file (decisions.md, issue 22). Additions are written in bulk
(COPY on PostgreSQL) with one history record per new person and structure; changes and removals in
batches, each with its history record, as a write through the models would record it.

A number unknown to the registry is created as it is: the file is the national directory's own
list of numbers, and it holds no birth data to resolve an identity with. Such persons have no
état civil (`Person.civil_status_known`). ADELI-only lines are reported and skipped: this registry
allocates RPPS numbers only.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Max, When
from django.utils import timezone

from rpps.nomenclatures import catalog, lookup
from rpps.registry import history, identifiers, projection, signals
from rpps.registry.bulkwrite.columns import COLUMNS
from rpps.registry.bulkwrite.writer import BulkWriter
from rpps.registry.history import Actor, acting_as, change_row, object_type
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
from .reader import Extraction, Problem
from .staging import EXERCISE_FIELDS, STRUCTURE_FIELDS

BATCH = 20000
UPDATE_BATCH = 2000

P, E, S = Person._meta.db_table, Exercise._meta.db_table, Structure._meta.db_table
X, D, A = Expertise._meta.db_table, Diploma._meta.db_table, Authorization._meta.db_table


class LoadRefused(Exception):
    pass


@dataclass
class Plan:
    date: datetime.date
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    registry_records: int = 0
    removals: int = 0


def _sql(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _current_persons() -> tuple[str, tuple]:
    """The current persons (``Person.objects.current()``) as a subquery: pid, prpps."""
    return _sql(Person.objects.current().annotate(pid=F("id"), prpps=F("rpps")).values("pid", "prpps"))


def _open_activities(day: datetime.date) -> tuple[str, tuple]:
    """The situations open on ``day`` of current persons, with their natural key, as a subquery."""
    return _sql(
        Activity.objects.open_on(day)
        .of_current_persons()
        .annotate(
            k_id=F("id"),
            k_person=F("exercise__person_id"),
            k_exercise=F("exercise_id"),
            k_structure=F("structure_id"),
            k_rpps=F("exercise__person__rpps"),
            k_profession=F("exercise__profession_code"),
            k_tid=F("structure__technical_id"),
            k_role=Case(When(role_code="", then=F("function_code")), default=F("role_code")),
            k_mode=F("mode_code"),
            k_genre=F("genre_code"),
        )
        .values(
            "k_id",
            "k_person",
            "k_exercise",
            "k_structure",
            "k_rpps",
            "k_profession",
            "k_tid",
            "k_role",
            "k_mode",
            "k_genre",
        )  # fmt: skip
    )


def _differs(left: str, right: str, fields, nullable=()) -> str:
    def side(alias, name):
        return f"COALESCE({alias}.{name}, '')" if name in nullable and alias == left else f"{alias}.{name}"

    return "(" + " OR ".join(f"{side(left, n)} <> {side(right, n)}" for n in fields) + ")"


@dataclass
class _Keyed:
    """A kind compared on its whole natural key (situations and the children): added or removed, never changed."""

    name: str
    file_table: str
    registry: str  # a subquery with k_id and the key columns
    key: tuple[tuple[str, str], ...]  # (registry column, file column)
    params: tuple = ()

    def _match(self) -> str:
        return " AND ".join(f"r.{reg} = f.{col}" for reg, col in self.key)

    def added(self) -> tuple[str, tuple]:
        where = f"NOT EXISTS (SELECT 1 FROM ({self.registry}) r WHERE {self._match()})"
        return f"FROM {self.file_table} f WHERE {where}", self.params

    def removed(self) -> tuple[str, tuple]:
        where = f"NOT EXISTS (SELECT 1 FROM {self.file_table} f WHERE {self._match()})"
        return f"FROM ({self.registry}) r WHERE {where}", self.params


def _keyed_kinds(day: datetime.date) -> list[_Keyed]:
    open_sql, open_params = _open_activities(day)
    child = f"JOIN {E} e ON e.id = x.exercise_id JOIN {P} p ON p.id = e.person_id"
    return [
        _Keyed(
            "situations",
            "load_activity",
            open_sql,
            (
                ("k_rpps", "rpps"),
                ("k_profession", "profession"),
                ("k_tid", "technical_id"),
                ("k_role", "role"),
                ("k_mode", "mode_code"),
                ("k_genre", "genre_code"),
            ),
            open_params,
        ),
        _Keyed(
            "savoir-faire",
            "load_expertise",
            f"SELECT x.id AS k_id, p.rpps AS k_rpps, e.profession_code AS k_profession, x.type_code AS k_type, "
            f"x.code AS k_code FROM {X} x {child}",
            (("k_rpps", "rpps"), ("k_profession", "profession"), ("k_type", "type_code"), ("k_code", "code")),
        ),
        _Keyed(
            "diplômes",
            "load_diploma",
            f"SELECT x.id AS k_id, p.rpps AS k_rpps, x.type_code AS k_type, x.code AS k_code FROM {D} x {child}",
            (("k_rpps", "rpps"), ("k_type", "type_code"), ("k_code", "code")),
        ),
        _Keyed(
            "autorisations",
            "load_authorization",
            f"SELECT x.id AS k_id, p.rpps AS k_rpps, x.type_code AS k_type, x.discipline_code AS k_code "
            f"FROM {A} x {child}",
            (("k_rpps", "rpps"), ("k_type", "type_code"), ("k_code", "code")),
        ),
    ]


def _changed_persons() -> tuple[str, tuple]:
    cur, params = _current_persons()
    return (
        f"FROM load_person f JOIN ({cur}) c ON c.prpps = f.rpps JOIN {P} r ON r.id = c.pid "
        f"WHERE r.civility_code <> f.civility",
        params,
    )


def _changed_exercises() -> tuple[str, tuple]:
    cur, params = _current_persons()
    return (
        f"FROM load_exercise f JOIN ({cur}) c ON c.prpps = f.rpps "
        f"JOIN {E} r ON r.person_id = c.pid AND r.profession_code = f.profession "
        f"WHERE {_differs('r', 'f', EXERCISE_FIELDS)}",
        params,
    )


def _changed_structures() -> tuple[str, tuple]:
    return (
        f"FROM load_structure f JOIN {S} r ON r.technical_id = f.technical_id "
        f"WHERE {_differs('r', 'f', STRUCTURE_FIELDS, nullable=('finess',))}",
        (),
    )


def _count(fragment: tuple[str, tuple]) -> int:
    sql, params = fragment
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {sql}", params)
        return cursor.fetchone()[0]


def _stream(sql: str, params: tuple = ()):
    """The rows of a query, batch by batch: a server-side cursor on PostgreSQL (inside the load's
    transaction), so that millions of rows never sit in memory at once."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(BATCH):
                yield from rows
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        yield from rows


def plan_load(extraction: Extraction, date: datetime.date | None = None) -> Plan:
    """Stages the file and counts, per kind, what the load would add, change and remove."""
    date = date or datetime.date.today()
    staging.stage(extraction)
    plan = Plan(date=date, problems=extraction.problems)
    cur, cur_params = _current_persons()
    plan.counts["personnes"] = {
        "ajouts": _count((f"FROM load_person f WHERE NOT EXISTS (SELECT 1 FROM {P} p WHERE p.rpps = f.rpps)", ())),
        "modifications": _count(_changed_persons()),
        "retraits": 0,
    }
    plan.counts["exercices"] = {
        "ajouts": _count(
            (
                f"FROM load_exercise f WHERE NOT EXISTS (SELECT 1 FROM {E} e JOIN ({cur}) c ON c.pid = e.person_id "
                f"WHERE c.prpps = f.rpps AND e.profession_code = f.profession)",
                cur_params,
            )
        ),
        "modifications": _count(_changed_exercises()),
        "retraits": 0,
    }
    plan.counts["structures"] = {
        "ajouts": _count(
            (f"FROM load_structure f WHERE NOT EXISTS (SELECT 1 FROM {S} s WHERE s.technical_id = f.technical_id)", ())
        ),
        "modifications": _count(_changed_structures()),
        "retraits": 0,
    }
    for kind in _keyed_kinds(date):
        removed = _count(kind.removed())
        plan.counts[kind.name] = {"ajouts": _count(kind.added()), "modifications": 0, "retraits": removed}
        plan.removals += removed
        plan.registry_records += _count((f"FROM ({kind.registry}) r", kind.params))
    return plan


def apply_plan(plan: Plan, *, max_removal_share: float = 0.05, force: bool = False) -> None:
    """Writes the plan in one transaction, attributed to the loader, with the search index of the
    persons it touched (or, past a national file's size, a rebuild of that index as a job)."""
    share = plan.removals / plan.registry_records if plan.registry_records else 0.0
    if share > max_removal_share and not force:
        raise LoadRefused(
            f"Le fichier retirerait {plan.removals} enregistrement(s) sur {plan.registry_records} "
            f"({share:.1%}, plus que {max_removal_share:.0%}) : fichier incomplet ? Relancez avec --forcer si c'est voulu."
        )
    with transaction.atomic(), acting_as(Actor.loader("load_extraction"), f"Extraction du {plan.date:%d/%m/%Y}"):
        writes = _Writes(plan)
        writes.additions()
        writes.changes()
        writes.removals()
        BulkWriter().reset_sequences(
            [Person, Exercise, Structure, Activity, Expertise, Diploma, Authorization, ChangeRecord]
        )
        signals.bulk_written.send(sender=apply_plan, persons=writes.touched_persons)
    staging.drop()


class _Rows:
    """New rows written by batches as they are made, parents flushed before their children."""

    def __init__(self, writer: BulkWriter):
        self.writer = writer
        self.pending = defaultdict(list)

    def add(self, model, row):
        rows = self.pending[model]
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush(model)

    def flush(self, *models):
        for model in models or list(self.pending):
            self.writer.write(model, COLUMNS[model], self.pending[model])
            self.pending[model] = []


class _Ids:
    def __init__(self, models):
        self.next = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in models}
        self.first = dict(self.next)  # ids below these were there before the load

    def __call__(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Valid:
    """The codes of a table a new row may carry: the nomenclature's rule (``lookup.check``: known and
    still valid, a code ended since is refused), as on every other write. A membership test, so that
    the checks read as on sets."""

    def __init__(self, table: str):
        self.table = table

    def __contains__(self, code: str) -> bool:
        try:
            lookup.check(self.table, code)
        except ValidationError:
            return False
        return True


def _structure_problem(technical_id: str, values: dict) -> str:
    try:
        kind = identifiers.parse_structure_technical_id(technical_id)
        for name, check in (
            ("finess", identifiers.validate_finess),
            ("siret", identifiers.validate_siret),
            ("siren", identifiers.validate_siren),
        ):
            if values[name]:
                check(values[name])
        if kind.kind == "FINESS" and values["finess"] != kind.number:
            return f"structure {technical_id} : son FINESS ({values['finess']}) ne correspond pas à son identifiant."
    except identifiers.InvalidIdentifier as exc:
        return f"structure {technical_id} : {exc}"
    return ""


class _Writes:
    """The plan's writes, kind by kind, each read from the staging tables by one streamed statement.

    Additions: parents before children; a row whose codes or identifiers are refused is reported and
    left out, with what depends on it. Changes and removals: by batches of objects, each with the
    history record and the "last updated" moves a write through the models makes."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.ids = _Ids([Person, Exercise, Structure, Activity, Expertise, Diploma, Authorization, ChangeRecord])
        self.now = timezone.now()
        self.actor, self.reason = history.current()  # apply_plan's author, as for its writes through the models
        self.out = _Rows(BulkWriter())
        self.cur, self.cur_params = _current_persons()
        self.touched: set[int] = set()  # exercises whose Practitioner a delta load changed
        self.persons: set[int] = set()  # persons whose search index lines may change
        self.activity_persons: dict[int, int] = {}  # situation -> person, for the batch being closed

    @property
    def touched_persons(self):
        return sorted(self.persons)

    def problem(self, message: str) -> None:
        self.plan.problems.append(Problem("", 0, message))

    def record(self, kind: str, object_id: int, person_id: int | None, after: dict) -> None:
        row = change_row(
            self.ids(ChangeRecord), self.now, self.actor, self.reason, "create", kind, object_id, person_id, after=after
        )
        self.out.add(ChangeRecord, row)

    def added_to(self, model, pk: int, exercise_id: int, person_id: int, fields: dict) -> int:
        """A row added to an exercise that was there before this load is a change to it (a delta
        load): recorded, and its Practitioner's updated_at moves (registry: Recorded.PART_OF). A
        first load records one creation per person only, to stay fast."""
        self.persons.add(person_id)
        if exercise_id < self.ids.first[Exercise]:
            self.record(object_type(model), pk, person_id, {"exercise_id": exercise_id, **fields})
            if "exercise" in model.PART_OF:  # a situation is a resource of its own, not a part
                self.touched.add(exercise_id)
        return pk

    # --- additions ---------------------------------------------------------------------------------

    def additions(self) -> None:
        self.add_persons()
        self.out.flush(Person)  # exercises refer to them
        self.add_exercises()
        self.add_structures()
        self.out.flush(Exercise, Structure)  # situations refer to them
        self.link_legal_entities()
        self.add_activities()
        self.add_expertises()
        self.add_diplomas_and_authorizations()
        self.out.flush()
        touched = sorted(self.touched)
        for start in range(0, len(touched), BATCH):
            Exercise.objects.filter(pk__in=touched[start : start + BATCH]).update(updated_at=self.now)

    def add_persons(self) -> None:
        civilities = _Valid(catalog.CIVILITY)
        for rpps, civility in _stream(
            f"SELECT f.rpps, f.civility FROM load_person f "
            f"WHERE NOT EXISTS (SELECT 1 FROM {P} p WHERE p.rpps = f.rpps) ORDER BY f.rpps"
        ):
            if civility and civility not in civilities:
                self.problem(f"RPPS {rpps} : civilité « {civility} » inconnue ou plus valide ; enregistrée vide.")
                civility = ""
            pid = self.ids(Person)
            self.persons.add(pid)
            self.out.add(Person, (pid, rpps, civility, "", "", "", "", None, "", "", "", "", "", self.now, self.now))
            self.record("registry.person", pid, pid, {"rpps": rpps, "source": "extraction publique"})

    def add_exercises(self) -> None:
        professions, categories = _Valid(catalog.PROFESSION), _Valid(catalog.CATEGORY)
        civilities = _Valid(catalog.EXERCISE_CIVILITY)
        for person_id, rpps, profession, civility, last_name, first_name, category, authority in _stream(
            f"SELECT c.pid, f.rpps, f.profession, f.exercise_civility_code, f.last_name, f.first_name, "
            f"f.category_code, f.registration_authority FROM load_exercise f JOIN ({self.cur}) c ON c.prpps = f.rpps "
            f"WHERE NOT EXISTS (SELECT 1 FROM {E} e WHERE e.person_id = c.pid AND e.profession_code = f.profession) "
            f"ORDER BY f.rpps, f.profession",
            self.cur_params,
        ):
            if profession not in professions or category not in categories or (civility and civility not in civilities):
                self.problem(
                    f"RPPS {rpps} : profession, catégorie ou civilité d'exercice inconnue : exercice "
                    f"{profession} non chargé."
                )
                continue
            self.persons.add(person_id)
            row = (self.ids(Exercise), person_id, profession, category, civility, last_name, first_name, authority)
            self.out.add(Exercise, (*row, self.now, self.now))

    def add_structures(self) -> None:
        sectors = _Valid(catalog.SECTOR)
        self.legal_links: list[tuple[int, str, str]] = []  # (new structure id, its technical id, legal FINESS)
        for technical_id, *values, legal_finess in _stream(
            f"SELECT f.technical_id, {', '.join('f.' + n for n in STRUCTURE_FIELDS)}, COALESCE(l.legal_finess, '') "
            f"FROM load_structure f LEFT JOIN load_legal l ON l.technical_id = f.technical_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM {S} s WHERE s.technical_id = f.technical_id) ORDER BY f.technical_id"
        ):
            v = dict(zip(STRUCTURE_FIELDS, values, strict=True))
            message = _structure_problem(technical_id, v)
            if v["sector_code"] and v["sector_code"] not in sectors:
                message = (
                    message or f"structure {technical_id} : secteur « {v['sector_code']} » inconnu ou plus valide."
                )
            if message:
                self.problem(message + " Structure et situations non chargées.")
                continue
            sid = self.ids(Structure)
            self.out.add(Structure, _structure_row(sid, technical_id, v, None, False, self.now))
            self.record("registry.structure", sid, None, {"technical_id": technical_id})
            if legal_finess:
                self.legal_links.append((sid, technical_id, legal_finess))

    def link_legal_entities(self) -> None:
        """New structures to their legal entity, found by FINESS; one the registry lacks is created,
        named by its FINESS only (the file gives nothing else of it)."""
        finesses = sorted({finess for _, _, finess in self.legal_links})
        by_finess = {}
        for start in range(0, len(finesses), 5000):
            by_finess.update(
                Structure.objects.filter(finess__in=finesses[start : start + 5000]).values_list("finess", "pk")
            )
        links = []
        for sid, technical_id, legal_finess in self.legal_links:
            if legal_finess not in by_finess:
                try:
                    identifiers.validate_finess(legal_finess)
                except identifiers.InvalidIdentifier as exc:
                    self.problem(f"structure {technical_id} : entité juridique {legal_finess} : {exc}")
                    continue
                legal = by_finess[legal_finess] = self.ids(Structure)
                values = {"finess": legal_finess, "name": f"Entité juridique FINESS {legal_finess}"}
                self.out.add(Structure, _structure_row(legal, "F" + legal_finess, values, None, True, self.now))
                self.record("registry.structure", legal, None, {"technical_id": "F" + legal_finess})
            if by_finess[legal_finess] != sid:
                links.append((by_finess[legal_finess], sid))
        self.out.flush(Structure)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {S} SET legal_entity_id = %s WHERE id = %s", links)
        del self.legal_links

    def add_activities(self) -> None:
        codes = {
            "mode_code": _Valid(catalog.ACTIVITY_MODE),
            "genre_code": _Valid(catalog.ACTIVITY_GENRE),
            "function_code": _Valid(catalog.FUNCTION),
            "pharmacist_section_code": _Valid(catalog.PHARMACIST_SECTION),
        }
        open_sql, open_params = _open_activities(self.plan.date)
        names = ("mode_code", "function_code", "genre_code", "role_code", "pharmacist_section_code")
        for exercise_id, person_id, structure_id, rpps, technical_id, *values, authority in _stream(
            f"SELECT e.id, c.pid, s.id, f.rpps, f.technical_id, {', '.join('f.' + n for n in names)}, "
            f"f.registration_authority FROM load_activity f JOIN ({self.cur}) c ON c.prpps = f.rpps "
            f"JOIN {E} e ON e.person_id = c.pid AND e.profession_code = f.profession "
            f"JOIN {S} s ON s.technical_id = f.technical_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM ({open_sql}) r WHERE r.k_exercise = e.id AND r.k_structure = s.id "
            f"AND r.k_role = f.role AND r.k_mode = f.mode_code AND r.k_genre = f.genre_code) "
            f"ORDER BY f.rpps, f.profession, f.technical_id, f.role, f.mode_code, f.genre_code",
            self.cur_params + open_params,
        ):
            v = dict(zip(names, values, strict=True))
            # the mode is required, the other codes optional
            if any((v[name] or name == "mode_code") and v[name] not in valid for name, valid in codes.items()):
                self.problem(
                    f"RPPS {rpps} : situation à {technical_id} avec un code inconnu ou plus valide : non chargée."
                )
                continue
            activity_id = self.added_to(
                Activity, self.ids(Activity), exercise_id, person_id, {"structure_id": structure_id}
            )
            row = (activity_id, exercise_id, structure_id, *values, self.plan.date, None, "", authority)
            self.out.add(Activity, (*row, self.now, self.now))

    def add_expertises(self) -> None:
        specialties = _Valid(catalog.SPECIALTY)
        for exercise_id, person_id, rpps, type_code, code in _stream(
            f"SELECT e.id, c.pid, f.rpps, f.type_code, f.code FROM load_expertise f "
            f"JOIN ({self.cur}) c ON c.prpps = f.rpps "
            f"JOIN {E} e ON e.person_id = c.pid AND e.profession_code = f.profession "
            f"WHERE NOT EXISTS (SELECT 1 FROM {X} x WHERE x.exercise_id = e.id AND x.type_code = f.type_code "
            f"AND x.code = f.code) ORDER BY f.rpps, f.profession, f.type_code, f.code",
            self.cur_params,
        ):
            if type_code != "S" or code not in specialties:
                self.problem(
                    f"RPPS {rpps} : savoir-faire {type_code} {code} : seules les spécialités ordinales "
                    "(type S) connues et en vigueur sont chargées."
                )
                continue
            pk = self.added_to(
                Expertise, self.ids(Expertise), exercise_id, person_id, {"type_code": type_code, "code": code}
            )
            self.out.add(Expertise, (pk, exercise_id, type_code, code, self.now, self.now))

    def add_diplomas_and_authorizations(self) -> None:
        """To the person's first exercise (lowest profession code): the file ties them to the person."""
        for model, table, column, catalog_table, what in (
            (Diploma, "load_diploma", "code", catalog.DIPLOMA_TYPE, "type de diplôme « {} » inconnu ou plus valide : non chargé."),
            (Authorization, "load_authorization", "discipline_code", catalog.AUTHORIZATION_TYPE,
             "type d'autorisation « {} » inconnu ou plus valide : non chargée."),
        ):  # fmt: skip
            types = _Valid(catalog_table)
            for exercise_id, person_id, rpps, type_code, code, label in _stream(
                f"SELECT (SELECT e.id FROM {E} e WHERE e.person_id = c.pid ORDER BY e.profession_code LIMIT 1), "
                f"c.pid, f.rpps, f.type_code, f.code, f.label FROM {table} f JOIN ({self.cur}) c ON c.prpps = f.rpps "
                f"WHERE NOT EXISTS (SELECT 1 FROM {model._meta.db_table} x JOIN {E} e ON e.id = x.exercise_id "
                f"WHERE e.person_id = c.pid AND x.type_code = f.type_code AND x.{column} = f.code) "
                f"ORDER BY f.rpps, f.type_code, f.code",
                self.cur_params,
            ):
                if exercise_id is None:
                    continue  # no exercise loaded for this person: reported with it
                if type_code not in types:
                    self.problem(f"RPPS {rpps} : " + what.format(type_code))
                    continue
                pk = self.added_to(
                    model, self.ids(model), exercise_id, person_id, {"type_code": type_code, "code": code}
                )
                details = ("", None, "") if model is Diploma else ("", None)  # number, date(, place): private
                self.out.add(model, (pk, exercise_id, type_code, code, label, *details, self.now, self.now))

    # --- changes and removals ----------------------------------------------------------------------

    def changes(self) -> None:
        self.update(Person, _changed_persons(), ("r.id", "f.civility"), ("civility_code",))
        self.update(
            Exercise,
            _changed_exercises(),
            ("r.id", *(f"f.{n}" for n in EXERCISE_FIELDS)),
            EXERCISE_FIELDS,
        )
        self.update(
            Structure,
            _changed_structures(),
            ("r.id", *(f"f.{n}" for n in STRUCTURE_FIELDS)),
            STRUCTURE_FIELDS,
        )
        self.relink_legal_entities()

    def relink_legal_entities(self) -> None:
        """A structure whose file names another legal entity (one the registry has) is linked to it."""
        self.update(
            Structure,
            (
                f"FROM load_legal f JOIN {S} r ON r.technical_id = f.technical_id "
                f"JOIN {S} l ON l.finess = f.legal_finess "
                f"WHERE l.id <> r.id AND (r.legal_entity_id IS NULL OR r.legal_entity_id <> l.id) "
                f"AND r.id < %s",
                (self.ids.first[Structure],),
            ),
            ("r.id", "l.id"),
            ("legal_entity_id",),
        )

    def update(self, model, fragment: tuple[str, tuple], columns, fields) -> None:
        """The objects the statement names take the values it gives, by batches, each change recorded."""
        sql, params = fragment
        batch = []
        for row in _stream(f"SELECT {', '.join(columns)} {sql} ORDER BY {columns[0]}", params):
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

    def _change(self, model, instance, action, before, after, public=True) -> tuple:
        person_id = instance.history_person_id() if model is not Activity else self.activity_persons[instance.pk]
        if person_id is not None:
            self.persons.add(person_id)
        return change_row(
            self.ids(ChangeRecord), self.now, self.actor, self.reason, action, object_type(model), instance.pk,
            person_id, before, after, public,
        )  # fmt: skip

    def _save(self, model, instances, records, fields) -> None:
        if not instances:
            return
        attnames = [model._meta.get_field(n).name for n in fields]
        model._base_manager.bulk_update(instances, attnames, batch_size=500)
        BulkWriter().write(ChangeRecord, COLUMNS[ChangeRecord], records)
        if model is Structure:  # the persons practising there are shown with its name and address
            at = Activity.objects.filter(structure_id__in=[i.pk for i in instances])
            self.persons.update(at.values_list("exercise__person_id", flat=True))
        public = [history.snapshot(i) | {"id": i.pk} for i, r in zip(instances, records, strict=True) if r[-1]]
        history.touch_wholes_of(model, public, self.now)

    def removals(self) -> None:
        """Situations the file no longer has are closed on its date; savoir-faire, diplomas and
        authorisations it no longer lists are deleted (through the models: each deletion recorded)."""
        situations, *children = _keyed_kinds(self.plan.date)
        sql, params = situations.removed()
        batch = []
        for row in _stream(f"SELECT r.k_id, r.k_person {sql} ORDER BY r.k_id", params):
            batch.append(row)
            if len(batch) == UPDATE_BATCH:
                self._close(batch)
                batch = []
        self._close(batch)
        # the deletions below record themselves through the models: their history ids follow ours
        BulkWriter().reset_sequences([ChangeRecord])
        for kind, model in zip(children, (Expertise, Diploma, Authorization), strict=True):
            sql, params = kind.removed()
            ids = [pk for (pk,) in _stream(f"SELECT r.k_id {sql} ORDER BY r.k_id", params)]
            for start in range(0, len(ids), UPDATE_BATCH):
                for instance in model.objects.filter(pk__in=ids[start : start + UPDATE_BATCH]):
                    self.persons.add(instance.history_person_id())
                    instance.delete()

    def _close(self, rows) -> None:
        self.activity_persons = dict(rows)
        objects = Activity._base_manager.in_bulk(list(self.activity_persons))
        records = []
        for instance in objects.values():
            before = history.snapshot(instance)
            instance.end_date = max(self.plan.date, instance.start_date)
            after = history.snapshot(instance)
            public = projection.public_change(Activity, before, after)
            if public:
                instance.updated_at = self.now
            records.append(self._change(Activity, instance, "update", {"end_date": before["end_date"]}, {"end_date": after["end_date"]}, public))  # fmt: skip
        self._save(Activity, list(objects.values()), records, ["end_date", "updated_at"])


def _messages(error: ValidationError) -> str:
    return " ; ".join(str(m) for messages in error.message_dict.values() for m in messages)


def _structure_row(sid, technical_id, values, legal_entity_id, is_legal_entity, now):
    kind = identifiers.parse_structure_technical_id(technical_id)
    v = {name: values.get(name, "") for name in STRUCTURE_FIELDS}
    rpps_rang = kind.number if kind.kind == "RPPS_RANG" else ""
    return (
        sid, technical_id, v["finess"] or None, v["siret"], v["siren"], rpps_rang, legal_entity_id, is_legal_entity,
        v["name"], v["trade_name"], v["sector_code"], v["recipient_complement"], v["place_complement"],
        v["street_number"], v["repetition_index"], v["street_type_code"], v["street_type_label"], v["street_name"],
        v["distribution_mention"], v["cedex_office"], v["postal_code"], v["commune_code"], v["commune_label"],
        v["country_code"], v["country_label"], v["department_code"], v["department_label"], v["phone"], v["phone2"],
        v["fax"], v["email"], now, now,
    )  # fmt: skip
