"""The registry as it was at an earlier moment, read without writing a thing.

Inside ``as_of(moment)``, every query run on this thread's database connections reads the registry
as it was at ``moment``. Each statement is prefixed with common table expressions named after the
tables whose rows changed since (in SQL a CTE takes precedence over a table of the same name): the
table's rows minus the changed ones, plus those rows as they were. The rows as they were are
computed in memory from the change records (rpps.registry.history), which are written in the same
transaction as every change: the changes recorded since ``moment`` are undone, newest first, on
copies of the rows. So the same queries and resource builders answer as of that moment, nothing is
written and no row is locked: it runs on a read-only replica and never holds a writer back.

Derived tables (the public search index) follow through ``signals.rewound``: their receivers read
the past registry and hand their own past rows to ``Past.replace``.
"""

import datetime
import json
import re
from contextlib import ExitStack, contextmanager

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction

from . import history


class TooManyChanges(Exception):
    """More changes to undo than a reader may undo in one request."""


class Past:
    """Rows of tables as they were: per table, the rows to leave out (``column`` in ``ids``) and the
    rows to show instead."""

    def __init__(self, moment):
        self.moment = moment
        self.tables: dict[str, tuple] = {}  # db_table -> (model, column, ids, rows)
        self._prefix: dict[str, dict] = {}  # connection alias -> {table: (its CTE, its parameters)}

    def replace(self, model, column: str, ids, rows: list[dict]) -> None:
        """Rows of ``model`` whose ``column`` is in ``ids`` read as ``rows`` (attname -> value)."""
        self.tables[model._meta.db_table] = (model, column, sorted(set(ids)), rows)
        self._prefix = {
            alias: {t: cte for t, cte in built.items() if t != model._meta.db_table}
            for alias, built in self._prefix.items()
        }

    def _ctes(self, connection, sql: str) -> tuple[str, list]:
        """The CTEs of the tables ``sql`` names (each built once per connection while the tables stay
        the same: every query of a page repeats them)."""
        built = self._prefix.setdefault(connection.alias, {})
        used = []
        for table in self.tables:
            if connection.ops.quote_name(table) in sql:
                if table not in built:
                    built[table] = self._build(connection, table)
                used.append(built[table])
        return ", ".join(cte for cte, _ in used), [p for _, params in used for p in params]

    def _build(self, connection, table: str) -> tuple[str, list]:
        model, column, ids, rows = self.tables[table]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        columns = ", ".join(quote(f.column) for f in fields)
        real = f"{_schema(connection)}.{quote(table)}"
        values = json.dumps([_db_values(fields, row, connection) for row in rows], cls=_Encoder)
        if connection.vendor == "postgresql":
            past = f"SELECT {columns}, 1 FROM jsonb_populate_recordset(NULL::{real}, %s::jsonb)"
            kept = f"NOT ({quote(column)} = ANY(%s))"
            params = [values, ids]
        else:
            extracted = ", ".join(f"json_extract(value, '$.{f.column}')" for f in fields)
            past = f"SELECT {extracted}, 1 FROM json_each(%s)"
            kept = f"{quote(column)} NOT IN (SELECT value FROM json_each(%s))"
            params = [values, json.dumps(ids)]
        # The rows left out are filtered above the UNION, not inside its first branch: PostgreSQL
        # flattens a UNION ALL of branches without WHERE into an append of the table's own scans,
        # which keep their index order (a keyset page stops after its rows instead of sorting every
        # match). NOT MATERIALIZED: each query's conditions reach the table's scan.
        cte = (
            f"{quote(table)} AS NOT MATERIALIZED (SELECT {columns} FROM (SELECT {columns}, 0 AS rpps_past "
            f"FROM {real} UNION ALL {past}) AS rpps_rows WHERE rpps_past = 1 OR {kept})"
        )
        return cte, params

    def wrap(self, execute, sql, params, many, context):
        """An execute wrapper (django.db.connection.execute_wrapper): queries read the past."""
        match = _QUERY.match(sql)
        if many or not self.tables or not match:
            return execute(sql, params, many, context)
        ctes, cte_params = self._ctes(context["connection"], sql)
        if not ctes:  # no table of the past in this query
            return execute(sql, params, many, context)
        head, keyword, rest = match.group(1), match.group(2), sql[match.end(2) :]
        if params is None:  # the statement was not meant to be formatted: its % are literal
            rest, params = rest.replace("%", "%%"), ()
        if keyword.upper().startswith("WITH"):
            recursive = re.match(r"\s*RECURSIVE\b", rest, re.IGNORECASE)
            if recursive:
                keyword, rest = keyword + rest[: recursive.end()], rest[recursive.end() :]
            statement = f"{head}{keyword} {ctes}, {rest}"
        else:
            statement = f"{head}WITH {ctes} {keyword}{rest}"
        return execute(statement, [*cte_params, *params], many, context)


# A query (what may read the past): SELECT or WITH, possibly after EXPLAIN (options) or parentheses.
_QUERY = re.compile(r"^(\s*(?:EXPLAIN\s*(?:\([^)]*\))?\s*)?\(*\s*)(SELECT|WITH)\b", re.IGNORECASE)


def _schema(connection) -> str:
    if connection.vendor != "postgresql":
        return "main"
    schema = getattr(connection, "_rpps_schema", None)
    if schema is None:
        # the driver's own cursor: a Django cursor would run this through the wrapper asking for it
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = connection._rpps_schema = connection.ops.quote_name(cursor.fetchone()[0])
    return schema


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        # every digit: keyset positions and versions compare instants to the microsecond
        if isinstance(o, (datetime.datetime, datetime.date, datetime.time)):
            return o.isoformat()
        return super().default(o)


def _db_values(fields, row: dict, connection) -> dict:
    if connection.vendor == "postgresql":  # jsonb_populate_recordset reads the JSON of Python's values
        return {f.column: row.get(f.attname) for f in fields}
    return {f.column: f.get_db_prep_value(row.get(f.attname), connection, prepared=False) for f in fields}


def _python(model, snapshot: dict) -> dict:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return {name: fields[name].to_python(value) for name, value in snapshot.items() if name in fields}


def _changes(moment, records, limit):
    from .models import ChangeRecord

    chosen = (records if records is not None else ChangeRecord.objects.all()).filter(at__gt=moment)
    changes = list(
        chosen.order_by("-at", "-id").values_list("action", "object_type", "object_id", "person_id", "before")[
            : (limit + 1) if limit is not None else None
        ]
    )
    if limit is not None and len(changes) > limit:
        raise TooManyChanges(len(changes))
    return changes


def _undone(changes) -> dict[tuple, dict | None]:
    """(model, pk) -> the object's row as of the moment (None: it did not exist), for every object a
    change is undone on: today's row, with the changes undone newest first."""
    wanted: dict = {}
    for _action, kind, pk, _person, _before in changes:
        wanted.setdefault(apps.get_model(kind), set()).add(pk)
    rows: dict[tuple, dict | None] = {}
    for model, pks in wanted.items():
        attnames = [f.attname for f in model._meta.concrete_fields]
        found = {row[model._meta.pk.attname]: row for row in model._base_manager.filter(pk__in=pks).values(*attnames)}
        rows.update({(model, pk): found.get(pk) for pk in pks})
    for action, kind, pk, _person, before in changes:
        model = apps.get_model(kind)
        if action == "create":
            rows[(model, pk)] = None
        elif action == "update":
            rows[(model, pk)] = {**(rows[(model, pk)] or {}), **_python(model, before)}
        else:
            rows[(model, pk)] = _python(model, before)
    return rows


def _last_updates(past: Past, rows: dict, changes) -> None:
    """updated_at as of the moment: the last change, up to then, to each object undone, to each whole
    one of them is a part of and to their followers, counting their parts' changes
    (history.touch_wholes). Runs while the past is read, so parts and wholes are those of then; a
    few queries per model (history.last_changes), whatever the number of objects."""
    from .models import ChangeRecord

    affected = set(rows)
    for _action, kind, pk, _person, before in changes:
        model = apps.get_model(kind)
        if model.PART_OF:
            # the wholes it belonged to: in its row as of then, else (a creation undone) its creation record
            values = rows.get((model, pk)) or dict(before or {})
            if not values:
                values = (
                    ChangeRecord.objects.filter(object_type=kind, object_id=pk, action="create")
                    .values_list("after", flat=True)
                    .first()
                    or {}
                )
            affected.update(history.wholes(model, values))
    grouped: dict = {}
    for model, pk in affected:
        grouped.setdefault(model, set()).add(pk)
    for model, pks in grouped.items():
        for follower, attname in history.followers(model):
            found = follower._base_manager.filter(**{f"{attname}__in": pks}).values_list("pk", flat=True)
            affected.update((follower, f) for f in found)
    missing: dict = {}
    for model, pk in affected - set(rows):
        missing.setdefault(model, set()).add(pk)
    for model, pks in missing.items():  # unchanged rows whose updated_at moves back: as they are
        attnames = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.filter(pk__in=pks).values(*attnames):
            rows[(model, row[model._meta.pk.attname])] = row
    by_model: dict = {}
    for model, pk in affected:
        if rows.get((model, pk)) is not None:
            by_model.setdefault(model, set()).add(pk)
    for model, pks in by_model.items():
        last = history.last_changes(model, pks, past.moment)
        for pk in pks:
            row = rows[(model, pk)]
            # none yet: the object was written in bulk, without a record; it was as created
            row["updated_at"] = last.get(pk) or row.get("created_at") or row.get("updated_at")
    _show(past, rows)


def _show(past: Past, rows: dict) -> None:
    tables: dict = {}
    for (model, pk), row in rows.items():
        ids, shown = tables.setdefault(model, (set(), []))
        ids.add(pk)
        if row is not None:
            shown.append(row)
    for model, (ids, shown) in tables.items():
        past.replace(model, model._meta.pk.attname, ids, shown)


@contextmanager
def as_of(moment, *, records=None, limit: int | None = None):
    """Inside the block, queries read the registry as it was at ``moment``.

    Every change recorded after ``moment`` (or only those of ``records``, a ChangeRecord queryset)
    is undone on copies of the rows. Raises TooManyChanges when more than ``limit`` changes would
    have to be undone. On PostgreSQL the block is one read-only transaction with a stable snapshot
    (REPEATABLE READ), so the changes undone are exactly those the rows show.
    """
    from .models import ChangeRecord
    from .signals import rewound

    alias = router.db_for_read(ChangeRecord)
    connection = connections[alias]
    with ExitStack() as stack:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            stack.enter_context(transaction.atomic(using=alias))
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        changes = _changes(moment, records, limit)
        if not changes:
            yield
            return
        past = Past(moment)
        for each in connections.all():
            stack.enter_context(each.execute_wrapper(past.wrap))
        rows = _undone(changes)
        _show(past, rows)
        _last_updates(past, rows, changes)
        structures = {pk for model, pk in rows if model._meta.label_lower == "registry.structure"}
        rewound.send(sender=as_of, past=past, persons={p for *_, p, _b in changes if p}, structures=structures)
        yield
