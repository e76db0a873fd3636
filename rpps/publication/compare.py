"""Comparing a staged extraction (``staging``) with the registry, in SQL: the registry side of each
kind as a subquery built from the models' own rules (``Person.objects.current()``,
``Activity.objects.open_on``), the statements that find additions, changes and removals, and the
helpers that run them (counts, streamed reads through a server-side cursor)."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, When

from rpps.registry.models import Activity, Authorization, Diploma, Exercise, Expertise, Person, Structure

from .staging import EXERCISE_FIELDS, STRUCTURE_FIELDS

BATCH = 20000

P, E, S = Person._meta.db_table, Exercise._meta.db_table, Structure._meta.db_table
X, D, AU = Expertise._meta.db_table, Diploma._meta.db_table, Authorization._meta.db_table
AC = Activity._meta.db_table


def sql_of(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def current_persons() -> tuple[str, tuple]:
    """The current persons (``Person.objects.current()``) as a subquery: pid, prpps."""
    return sql_of(Person.objects.current().annotate(pid=F("id"), prpps=F("rpps")).values("pid", "prpps"))


def open_activities(day: datetime.date) -> tuple[str, tuple]:
    """The situations open on ``day`` of current persons, with their natural key, as a subquery."""
    return sql_of(
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


def differs(left: str, right: str, fields, nullable=()) -> str:
    def side(alias, name):
        return f"COALESCE({alias}.{name}, '')" if name in nullable and alias == left else f"{alias}.{name}"

    return "(" + " OR ".join(f"{side(left, n)} <> {side(right, n)}" for n in fields) + ")"


@dataclass
class Keyed:
    """A kind compared on its whole natural key (situations and the children): added or removed, never changed."""

    name: str
    slug: str
    file_table: str
    registry: str  # a subquery with k_id and the key columns
    key: tuple[tuple[str, str], ...]  # (registry column, file column)
    params: tuple = ()

    def _match(self) -> str:
        return " AND ".join(f"r.{reg} = f.{col}" for reg, col in self.key)

    def compared(self) -> tuple[str, tuple]:
        """The file's lines the registry lacks (k_id null) and the registry's the file lacks (file
        columns null), by one full join: each side read once for both outcomes."""
        file_side = self.key[0][1]
        return (
            f"SELECT f.*, r.k_id, r.k_person FROM {self.file_table} f FULL JOIN ({self.registry}) r ON {self._match()} "
            f"WHERE r.k_id IS NULL OR f.{file_side} IS NULL",
            self.params,
        )


def keyed_kinds(day: datetime.date) -> list[Keyed]:
    open_sql, open_params = open_activities(day)
    child = f"JOIN {E} e ON e.id = x.exercise_id JOIN {P} p ON p.id = e.person_id"
    return [
        Keyed(
            "situations",
            "activity",
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
        Keyed(
            "savoir-faire",
            "expertise",
            "load_expertise",
            f"SELECT x.id AS k_id, e.person_id AS k_person, p.rpps AS k_rpps, e.profession_code AS k_profession, x.type_code AS k_type, "
            f"x.code AS k_code FROM {X} x {child}",
            (("k_rpps", "rpps"), ("k_profession", "profession"), ("k_type", "type_code"), ("k_code", "code")),
        ),
        Keyed(
            "diplômes",
            "diploma",
            "load_diploma",
            f"SELECT x.id AS k_id, e.person_id AS k_person, p.rpps AS k_rpps, x.type_code AS k_type, x.code AS k_code FROM {D} x {child}",
            (("k_rpps", "rpps"), ("k_type", "type_code"), ("k_code", "code")),
        ),
        Keyed(
            "autorisations",
            "authorization",
            "load_authorization",
            f"SELECT x.id AS k_id, e.person_id AS k_person, p.rpps AS k_rpps, x.type_code AS k_type, x.discipline_code AS k_code "
            f"FROM {AU} x {child}",
            (("k_rpps", "rpps"), ("k_type", "type_code"), ("k_code", "code")),
        ),
    ]


def changed_persons() -> tuple[str, tuple]:
    cur, params = current_persons()
    return (
        f"FROM load_person f JOIN ({cur}) c ON c.prpps = f.rpps JOIN {P} r ON r.id = c.pid "
        f"WHERE r.civility_code <> f.civility",
        params,
    )


def changed_exercises() -> tuple[str, tuple]:
    cur, params = current_persons()
    return (
        f"FROM load_exercise f JOIN ({cur}) c ON c.prpps = f.rpps "
        f"JOIN {E} r ON r.person_id = c.pid AND r.profession_code = f.profession "
        f"WHERE {differs('r', 'f', EXERCISE_FIELDS)}",
        params,
    )


def changed_structures() -> tuple[str, tuple]:
    return (
        f"FROM load_structure f JOIN {S} r ON r.technical_id = f.technical_id "
        f"WHERE {differs('r', 'f', STRUCTURE_FIELDS, nullable=('finess',))}",
        (),
    )


def count(fragment: tuple[str, tuple]) -> int:
    sql, params = fragment
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {sql}", params)
        return cursor.fetchone()[0]


def analyze(*models) -> None:
    """Statistics for tables this load just filled (PostgreSQL counts its own transaction's rows): the
    next statements join them by the million, and a plan made for empty tables would loop over them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))


def stream(sql: str, params: tuple = ()):
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


def materialize(day: datetime.date) -> dict[str, dict[str, int]]:
    """The comparison, once: one temporary table per kind and outcome (``cmp_person_added``,
    ``cmp_activity_removed``…), which the counts read and the writes stream from. Returns the counts
    per kind, and the registry's records of the removable kinds under "registre"."""
    cur, cur_params = current_persons()
    statements = {
        "cmp_person_added": (f"SELECT f.* FROM load_person f WHERE NOT EXISTS (SELECT 1 FROM {P} p WHERE p.rpps = f.rpps)", ()),
        "cmp_person_changed": ("SELECT r.id, f.civility " + changed_persons()[0], cur_params),
        "cmp_exercise_added": (
            f"SELECT f.* FROM load_exercise f WHERE NOT EXISTS (SELECT 1 FROM {E} e JOIN ({cur}) c ON c.pid = "
            f"e.person_id WHERE c.prpps = f.rpps AND e.profession_code = f.profession)",
            cur_params,
        ),
        "cmp_exercise_changed": (
            f"SELECT r.id, {', '.join('f.' + n for n in EXERCISE_FIELDS)} " + changed_exercises()[0], cur_params
        ),
        "cmp_structure_added": (
            f"SELECT f.* FROM load_structure f WHERE NOT EXISTS (SELECT 1 FROM {S} s WHERE s.technical_id = f.technical_id)",
            (),
        ),
        "cmp_structure_changed": (
            f"SELECT r.id, {', '.join('f.' + n for n in STRUCTURE_FIELDS)} " + changed_structures()[0], ()
        ),
    }  # fmt: skip
    kinds = keyed_kinds(day)
    for kind in kinds:
        statements[f"cmp_{kind.slug}"] = kind.compared()
        statements[f"cmp_{kind.slug}_added"] = (f"SELECT * FROM cmp_{kind.slug} WHERE k_id IS NULL", ())
        statements[f"cmp_{kind.slug}_removed"] = (
            f"SELECT k_id, k_person FROM cmp_{kind.slug} WHERE k_id IS NOT NULL",
            (),
        )
    with connection.cursor() as cursor:
        for table, (select, params) in statements.items():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {select}", list(params))
    sizes = {table: count((f"FROM {table}", ())) for table in [*statements, *(k.file_table for k in kinds)]}
    counts = {
        name: {"ajouts": sizes[f"cmp_{slug}_added"], "modifications": sizes[f"cmp_{slug}_changed"], "retraits": 0}
        for name, slug in (("personnes", "person"), ("exercices", "exercise"), ("structures", "structure"))
    }
    registry = 0
    for kind in kinds:
        added, removed = sizes[f"cmp_{kind.slug}_added"], sizes[f"cmp_{kind.slug}_removed"]
        counts[kind.name] = {"ajouts": added, "modifications": 0, "retraits": removed}
        registry += sizes[kind.file_table] - added + removed  # what the file keeps, and what it drops
    counts["registre"] = {"enregistrements": registry}
    return counts


COMPARED = (
    "cmp_person_added", "cmp_person_changed", "cmp_exercise_added", "cmp_exercise_changed", "cmp_structure_added",
    "cmp_structure_changed", *(f"cmp_{slug}{outcome}" for slug in ("activity", "expertise", "diploma", "authorization")
                               for outcome in ("", "_added", "_removed")),
)  # fmt: skip
