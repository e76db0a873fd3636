"""Builder queries compiled once, then run for any list of ids.

The resource builders run the same few queries for every request, only with other ids. Django
compiles a query anew each time (about a millisecond each on a small server: most of a read's
time); here each is compiled once through the ORM — so through the public projection — with a
marker id, and then run with the list of ids bound as one array (`= ANY(%s)`) on PostgreSQL. Other
databases go through the ORM each time.
"""

from django.db import connections, router

_MARKER = -7_365_024_913  # an id no table holds: finds the id list's placeholder in the compiled query


class Prepared:
    def __init__(self, make):
        """``make(ids, *args)`` returns the values_list queryset for these ids (one ``__in`` on them);
        ``args`` (a day…) are part of the compiled query: one compilation per distinct args."""
        self.make = make
        self.compiled = {}

    def __call__(self, ids, *args) -> list[tuple]:
        ids = list(ids)
        if not ids:
            return []
        compiled = self.compiled.get(args)  # one read: other server threads may be compiling too
        if compiled is None:
            if len(self.compiled) > 8:  # e.g. yesterday's day: no longer asked for
                self.compiled.clear()
            compiled = self.compiled[args] = self._compile(args)
        sql, params, position, model = compiled
        # a public read: the replica when there is one (the router, not a queryset built for nothing)
        connection = connections[router.db_for_read(model)]
        if connection.vendor != "postgresql":
            return [tuple(row) for row in self.make(ids, *args)]
        params = list(params)
        params[position] = ids
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _compile(self, args):
        queryset = self.make([_MARKER], *args)
        sql, params = queryset.query.sql_with_params()
        found = [i for i, p in enumerate(params) if p in (_MARKER, str(_MARKER))]  # a text column: as text
        position = found[0] if found else None
        if sql.count("IN (%s)") != 1 or len(found) != 1:
            raise ValueError("a prepared query takes exactly one list of ids")
        return sql.replace("IN (%s)", "= ANY(%s)"), params, position, queryset.model
