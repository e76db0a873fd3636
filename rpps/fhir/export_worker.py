"""Entry point of an export worker process (rpps.fhir.export): a fresh interpreter sets Django up
before anything imports a model, then joins the export's database snapshot."""

import re


def work(database: str, out: str, snapshot: str, since, tasks, index: int):
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
            return _work(out, since, tasks, index)
    finally:
        connection.close()
