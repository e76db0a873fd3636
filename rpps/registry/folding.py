"""Case- and accent-insensitive comparison in the database: the ``fold`` transform.

``Structure.objects.filter(commune_label__fold__startswith=Fold(Value("angers")))`` compares both
sides folded (upper case, accents off) by the database function ``rpps_fold``: on PostgreSQL
``upper(unaccent(...))`` (migration 0007, with expression indexes on the structure fields searched
by prefix), on SQLite the Python function below, registered on every connection.
"""

import re
import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func, Q, TextField, Transform


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


def words(text: str) -> list[str]:
    """The words of a search, folded: "d'Artagnan-Benoît" → ["D", "ARTAGNAN", "BENOIT"]."""
    return re.findall(r"[A-Z0-9]+", fold(text or ""))


def name_search(text: str, *fields: str) -> Q:
    """Names as people type them, case, accents and punctuation aside: the first word starts one of
    ``fields`` (an index on the folded field finds it), every other word is inside one of them."""
    found = words(text)
    if not found:
        return Q(pk__in=[])
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__fold__startswith": found[0]})
    for word in found[1:]:
        anywhere = Q()
        for field in fields:
            anywhere |= Q(**{f"{field}__fold__contains": word})
        condition &= anywhere
    return condition
