"""Entry points of an export's part processes (rpps.fhir.export): a fresh interpreter sets Django up
before anything imports a model, then joins the export's database snapshot. Parts report what they
wrote through shared counters, and stop when the export is cancelled (a shared event)."""

import re

_counters = None
_cancel = None


def share(counters, cancel) -> None:
    """The pool's initializer (and the single-process export): the counters and the cancel event."""
    global _counters, _cancel
    _counters, _cancel = counters, cancel


def report(index: int, written: int) -> bool:
    """Part `index` wrote `written` resources; False when the export was cancelled."""
    _counters[index - 1] = written
    return not _cancel.is_set()


def work(database: str, folder: str, snapshot: str, since, tasks, index: int):
    import django

    django.setup()
    from django.db import connection, transaction

    connection.settings_dict["NAME"] = database  # the coordinator's database (a test database has its own name)
    from .export import _work

    if not re.fullmatch(r"[0-9A-F]+-[0-9A-F]+-[0-9]+", snapshot):
        raise ValueError("identifiant d'instantané invalide")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # checked above; not a bind parameter
            return _work(folder, since, tasks, index)
    finally:
        connection.close()
