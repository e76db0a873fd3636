"""Keyset paging over a search's results, in both directions.

A search's results are one sequence: the live resources in the search's order, then the tombstones
it finds (by id). A position in it is ("live", key) or ("gone", tombstone id); pages read the rows
after (next) or before (previous) a position, never by OFFSET. Orders: `_id` (the default),
`_lastUpdated`, `-_lastUpdated`, `-_id` (`_sort`), and, for a Practitioner search on one name prefix
without `_sort`, the order of that name (the search index's keys): the index then finds and orders in
one read, where the order of ids would make the database gather and sort every match first.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from rpps.directory.keys import name_key, prefix_condition
from rpps.directory.models import Entry

from .prepared import Prepared
from .resources import MODELS
from .search import SearchError, conditions, identifier_lookup

SORTS = {"_id": ("pk",), "-_id": ("pk",), "_lastUpdated": ("updated_at", "pk"), "-_lastUpdated": ("updated_at", "pk")}
NAME_ORDERS = {"family": "name_key", "given": "reverse_key"}


@dataclass(frozen=True)
class Order:
    model: type
    fields: tuple[str, ...]  # the key, ending with the field that holds the resource id
    descending: bool = False

    def encode(self, key: tuple) -> list:
        return [v.isoformat() if isinstance(v, datetime.datetime) else v for v in key]

    def decode(self, key: list) -> tuple:
        return tuple(
            datetime.datetime.fromisoformat(v) if f == "updated_at" else v
            for f, v in zip(self.fields, key, strict=True)
        )


def _beyond(fields: tuple[str, ...], key: tuple, greater: bool) -> Q:
    """Rows whose (fields) compare after ``key`` (or before it): the keyset condition."""
    op = "gt" if greater else "lt"
    result = Q(pk__in=[])
    for i, field in enumerate(fields):
        step = Q(**{f"{field}__{op}": key[i]})
        for previous, value in zip(fields[:i], key[:i], strict=True):
            step &= Q(**{previous: value})
        result |= step
    return result


_BY_NUMBER = Prepared(
    lambda numbers: MODELS["Practitioner"].objects.filter(person__rpps__in=numbers).order_by("pk").values_list("pk")
)


class Results:
    """The results of a search (already checked: ``where`` is its condition, ``gone`` its tombstones' —
    None when none can match)."""

    def __init__(self, resource_type: str, params, where: Q, gone):
        model = MODELS[resource_type]
        self.gone = gone
        # a lookup by number: a query compiled once (the same rule: search.practitioner_rpps)
        self.numbers = identifier_lookup(resource_type, params)
        sorts = [v for k, v in params if k == "_sort"]
        if sorts:
            value = sorts[-1]
            if value not in SORTS:
                raise SearchError(
                    f"Paramètre « _sort », valeur « {value} » : _id, -_id, _lastUpdated ou -_lastUpdated attendu"
                )
            self.order = Order(model, SORTS[value], value.startswith("-"))
            self.live = model.objects.filter(where)
            return
        named = [(k, v) for k, v in params if k in NAME_ORDERS]
        if resource_type == "Practitioner" and len(named) == 1 and "," not in named[0][1] and name_key(named[0][1]):
            name, value = named[0]
            field = NAME_ORDERS[name]
            others = [(k, v) for k, v in params if (k, v) != (name, value)]
            live = Entry.objects.filter(prefix_condition(field, name_key(value)), is_main=True)
            rest = conditions(resource_type, others)
            if rest:
                live = live.filter(exercise_id__in=model.objects.filter(rest).values("pk"))
            self.order = Order(Entry, (field, "exercise_id"))
            self.live = live
            return
        self.order = Order(model, ("pk",))
        self.live = model.objects.filter(where)

    def _live(self, key: tuple | None, n: int, forward: bool) -> list[tuple]:
        order = self.order
        if self.numbers is not None and key is None and forward and order == Order(order.model, ("pk",)):
            return [("live", row) for row in _BY_NUMBER(self.numbers)[:n]] if self.numbers and n > 0 else []
        ascending = forward != order.descending
        rows = self.live
        if key is not None:
            rows = rows.filter(_beyond(order.fields, key, ascending))
        rows = rows.order_by(*[f if ascending else f"-{f}" for f in order.fields]).values_list(*order.fields)
        return [("live", tuple(r)) for r in rows[:n]] if n > 0 else []

    def _gone(self, after: int | None, n: int, forward: bool) -> list[tuple]:
        if self.gone is None or n <= 0:
            return []
        rows = self.gone
        if after is not None:
            rows = rows.filter(pk__gt=after) if forward else rows.filter(pk__lt=after)
        rows = rows.order_by("pk" if forward else "-pk").values_list("pk", flat=True)
        return [("gone", pk) for pk in rows[:n]] if n > 0 else []

    def after(self, position: tuple | None, n: int) -> list[tuple]:
        """Up to n rows after ``position`` (None: from the start), in order."""
        phase, value = position if position else ("live", None)
        rows = self._live(value, n, True) if phase == "live" else []
        if len(rows) < n:
            rows += self._gone(value if phase == "gone" else None, n - len(rows), True)
        return rows

    def before(self, position: tuple, n: int) -> list[tuple]:
        """Up to n rows before ``position``, in order."""
        phase, value = position
        rows = self._gone(value, n, False) if phase == "gone" else []
        if len(rows) < n:
            rows += self._live(value if phase == "live" else None, n - len(rows), False)
        return rows[::-1]

    def resource_id(self, row: tuple) -> int:
        return row[1][-1]

    def encode(self, position: tuple | None):
        if position is None:
            return None
        phase, value = position
        return [phase, self.order.encode(value) if phase == "live" else value]

    def decode(self, position) -> tuple | None:
        if position is None:
            return None
        phase, value = position
        return (phase, self.order.decode(value)) if phase == "live" else (phase, value)
