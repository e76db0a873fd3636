"""Keeping the identity index and blocking keys in step with the registry.

ORM writes to Person update the index through signals. Bulk loaders that bypass the ORM (the
population generator) must run ``manage.py index_identities`` afterwards.
"""

import datetime

from django.db import connection
from django.db.models.signals import post_save

from rpps.registry.models import Person

from .normalize import normalize_given_names, normalize_name, phonetic


def date_key(birth_date: datetime.date, sex: str) -> str:
    return f"D{birth_date:%Y%m%d}{sex}"


def name_keys(name_phonetic: str, given_phonetic: str, birth_date: datetime.date) -> list[str]:
    """Name + first given name, with the year (day/month errors) or with day and month (year errors)."""
    if not name_phonetic:
        return []
    return [
        f"N{name_phonetic}|{given_phonetic}|{birth_date:%Y}",
        f"M{name_phonetic}|{given_phonetic}|{birth_date:%m%d}",
    ]


def index_values(person_id, birth_name, usage_name, given_names, sex, birth_date, birth_place) -> tuple:
    """(IdentityIndex row values, blocking keys) for one person."""
    name_n, usage_n, given_n = (
        normalize_name(birth_name),
        normalize_name(usage_name),
        normalize_given_names(given_names),
    )
    name_p, usage_p = phonetic(name_n), phonetic(usage_n)
    given_p = phonetic(given_n.split(" ")[0]) if given_n else ""
    row = (person_id, name_n, usage_n, given_n, name_p, usage_p, given_p, sex, birth_date, birth_place or "")
    keys = [date_key(birth_date, sex), *name_keys(name_p, given_p, birth_date)]
    if usage_p and usage_p != name_p:
        keys += name_keys(usage_p, given_p, birth_date)
    return row, keys


INDEX_COLUMNS = (
    "person_id",
    "birth_name",
    "usage_name",
    "given_names",
    "name_phonetic",
    "usage_phonetic",
    "given_phonetic",
    "sex",
    "birth_date",
    "birth_place",
)


def reindex_person(person: Person) -> None:
    from .models import IdentityIndex, IdentityKey

    IdentityKey.objects.filter(person_id=person.pk).delete()
    if person.merged_into_id is not None:
        # A retired alias is never a candidate again.
        IdentityIndex.objects.filter(person_id=person.pk).delete()
        return
    row, keys = index_values(
        person.pk,
        person.birth_name,
        person.usage_name,
        person.given_names,
        person.sex_code,
        person.birth_date,
        person.birth_place_code,
    )
    IdentityIndex.objects.update_or_create(
        person_id=person.pk, defaults=dict(zip(INDEX_COLUMNS[1:], row[1:], strict=True))
    )
    IdentityKey.objects.bulk_create([IdentityKey(key=k, person_id=person.pk) for k in dict.fromkeys(keys)])


def _on_person_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex_person(instance)


def connect() -> None:
    post_save.connect(_on_person_saved, sender=Person, dispatch_uid="identity-index-person")


def rebuild(*, full: bool, chunk: int = 20000, progress=None) -> int:
    """Index every current person missing from the index (or all of them with ``full``). Returns the count."""
    from rpps.registry.population.writer import BulkWriter

    from .models import IdentityIndex, IdentityKey

    writer = BulkWriter(connection)
    if full:
        IdentityKey.objects.all().delete()
        IdentityIndex.objects.all().delete()
    persons = Person.objects.current().exclude(identity_index__isnull=False) if not full else Person.objects.current()
    columns = ("id", "birth_name", "usage_name", "given_names", "sex_code", "birth_date", "birth_place_code")
    done = 0
    rows, keys = [], []
    for values in persons.order_by("id").values_list(*columns).iterator(chunk_size=chunk):
        row, person_keys = index_values(*values)
        rows.append(row)
        keys.extend((k, values[0]) for k in dict.fromkeys(person_keys))
        if len(rows) >= chunk:
            _flush(writer, IdentityIndex, IdentityKey, rows, keys)
            done += len(rows)
            rows, keys = [], []
            if progress:
                progress(done)
    _flush(writer, IdentityIndex, IdentityKey, rows, keys)
    return done + len(rows)


def _flush(writer, index_model, key_model, rows, keys) -> None:
    writer.write(index_model, INDEX_COLUMNS, rows)
    writer.write(key_model, ("key", "person_id"), keys)
