"""Case- and accent-insensitive comparison in the database: the ``fold`` transform.

``Structure.objects.filter(commune_label__fold__startswith=Fold(Value("angers")))`` compares both
sides folded (upper case, accents off) by the database function ``rpps_fold``: on PostgreSQL
``upper(unaccent(...))`` (migration 0007, with expression indexes on the structure fields searched
by prefix), on SQLite the Python function below, registered on every connection.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func, TextField, Transform


class Fold(Func):
    function = "rpps_fold"
    output_field = TextField()


@CharField.register_lookup
class FoldTransform(Transform):
    lookup_name = "fold"
    function = "rpps_fold"
    output_field = TextField()


def fold(value: str | None) -> str | None:
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("rpps_fold", 1, fold, deterministic=True)


def connect() -> None:
    connection_created.connect(_register, dispatch_uid="registry-fold")
