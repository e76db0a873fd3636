"""Keeping the identity index and blocking keys in step with the registry.

ORM writes to Person update the index through signals. Bulk loaders that bypass the ORM (the
population generator) must run ``manage.py index_identities`` afterwards.
"""

import datetime

from django.db import connection
from django.db.models.signals import post_save

from rpps.registry.bulkwrite.mode import postgres_bulk_mode
from rpps.registry.bulkwrite.writer import BulkWriter, write_in_background
from rpps.registry.identifiers import commune_of_record
from rpps.registry.models import Person

from .normalize import first_given_name, normalize_given_names, normalize_name, phonetic_of_normalized


def date_key(birth_date: datetime.date, sex: str) -> str:
    """Same birth date and sex: the key a request with exact dates always shares with its person."""
    return f"D{birth_date:%Y%m%d}{sex}"


def date_keys(birth_date: datetime.date, sex: str, surnames_p: list[str], first_given_p: str) -> list[str]:
    """Birth date and sex, narrowed by the first sound of the surname, or of the first given name (for a
    surname that changed or was misspelt at its first letter). A bare date+sex key would bring ~60
    candidates at national scale."""
    base = date_key(birth_date, sex)
    keys = [f"{base}{surname[0]}" for surname in surnames_p if surname]
    if first_given_p:
        keys.append(f"E{base[1:]}{first_given_p[0]}")
    return keys


def name_keys(name_phonetic: str, given_phonetic: str, birth_date: datetime.date) -> list[str]:
    """Name + one given name, with the year (day/month errors) or with day and month (year errors)."""
    if not name_phonetic:
        return []
    return [
        f"N{name_phonetic}|{given_phonetic}|{birth_date:%Y}",
        f"M{name_phonetic}|{given_phonetic}|{birth_date:%m%d}",
    ]


def place_keys(name_phonetic: str, given_phonetic: str, birth_date: datetime.date, birth_place: str) -> list[str]:
    """Keys on the birth commune: first given name with year and month or with day and month (a
    misspelt surname together with a date error), and surname with first given name (a date
    mistyped twice)."""
    if not birth_place:
        return []
    birth_place = commune_of_record(birth_place)  # one key for every code of one place (75116 and 75056)
    keys = [f"C{given_phonetic}|{birth_date:%Y%m}|{birth_place}", f"B{given_phonetic}|{birth_date:%m%d}|{birth_place}"]
    if name_phonetic:
        keys.append(f"P{name_phonetic}|{given_phonetic}|{birth_place}")
    return keys


def person_keys(
    name_p: str, usage_p: str, given_tokens_p: list[str], birth_date, sex: str, birth_place: str
) -> list[str]:
    surnames = list(dict.fromkeys(p for p in (name_p, usage_p) if p))
    keys = date_keys(birth_date, sex, surnames, given_tokens_p[0] if given_tokens_p else "")
    for surname in surnames:
        for given in dict.fromkeys(given_tokens_p):  # every given name: swapped given names still meet
            keys += name_keys(surname, given, birth_date)
    if given_tokens_p:
        keys += place_keys(name_p, given_tokens_p[0], birth_date, birth_place)
    return list(dict.fromkeys(keys))


def index_values(person_id, birth_name, usage_name, given_names, sex, birth_date, birth_place) -> tuple:
    """(IdentityIndex row values, blocking keys) for one person."""
    name_n, usage_n, given_n = (
        normalize_name(birth_name),
        normalize_name(usage_name),
        normalize_given_names(given_names),
    )
    name_p, usage_p = phonetic_of_normalized(name_n), phonetic_of_normalized(usage_n)
    given_tokens_p = [phonetic_of_normalized(g) for g in given_n.split(" ")] if given_n else []
    given_p = given_tokens_p[0] if given_tokens_p else ""
    row = (
        person_id,
        name_n,
        usage_n,
        given_n,
        name_p,
        usage_p,
        given_p,
        sex,
        birth_date,
        birth_place or "",
        first_given_name(given_names),
    )
    return row, person_keys(name_p, usage_p, given_tokens_p, birth_date, sex, birth_place or "")


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
    "first_given_name",
)


def reindex_person(person: Person) -> None:
    from .models import IdentityIndex, IdentityKey

    IdentityKey.objects.filter(person_id=person.pk).delete()
    if person.merged_into_id is not None or person.birth_date is None:
        # A retired alias is never a candidate again; a person without état civil cannot be compared.
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
    IdentityKey.objects.bulk_create([IdentityKey(key=k, person_id=person.pk) for k in keys])


def index_new_persons(persons) -> None:
    """``reindex_person`` for persons just created in bulk (none of them indexed yet): two inserts."""
    from .models import IdentityIndex, IdentityKey

    rows, keys = [], []
    for person in persons:
        if person.birth_date is None:
            continue
        row, person_keys_ = index_values(
            person.pk, person.birth_name, person.usage_name, person.given_names, person.sex_code,
            person.birth_date, person.birth_place_code,
        )  # fmt: skip
        rows.append(IdentityIndex(**dict(zip(INDEX_COLUMNS, row, strict=True))))
        keys += [IdentityKey(key=k, person_id=person.pk) for k in person_keys_]
    IdentityIndex.objects.bulk_create(rows)
    IdentityKey.objects.bulk_create(keys, batch_size=5000)


def _on_person_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex_person(instance)


def connect() -> None:
    post_save.connect(_on_person_saved, sender=Person, dispatch_uid="identity-index-person")


def rebuild(*, full: bool, chunk: int = 20000, progress=None) -> int:
    """Index every current person missing from the index (or all of them with ``full``). Returns the count.

    A full rebuild on PostgreSQL empties the tables, loads them with COPY from a background writer and
    builds their keys and indexes once at the end.
    """
    from .models import IdentityIndex, IdentityKey

    models = (IdentityIndex, IdentityKey)
    if full:
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"DELETE FROM {model._meta.db_table}")
    persons = Person.objects.current().filter(birth_date__isnull=False)
    if not full:
        persons = persons.exclude(identity_index__isnull=False)
    columns = ("id", "birth_name", "usage_name", "given_names", "sex_code", "birth_date", "birth_place_code")
    chunks = _chunks(persons.order_by("id").values_list(*columns).iterator(chunk_size=chunk), chunk)
    done = 0

    def write(writer, rows_and_keys):
        writer.write(IdentityIndex, INDEX_COLUMNS, rows_and_keys[0])
        writer.write(IdentityKey, ("key", "person_id"), rows_and_keys[1])

    def written(rows_and_keys):
        nonlocal done
        done += len(rows_and_keys[0])
        if progress:
            progress(done)

    if full and connection.vendor == "postgresql" and not connection.in_atomic_block:
        with postgres_bulk_mode(connection, models, drop_primary_keys=True):
            write_in_background(chunks, write, written)
        with connection.cursor() as cursor:
            # Freshly loaded pages are not yet all-visible: vacuum them so candidate search is index-only.
            for model in models:
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    else:
        writer = BulkWriter(connection)
        for item in chunks:
            write(writer, item)
            written(item)
    count_names()
    return done


def name_frequency_key(name_phonetic: str, given_phonetic: str) -> str:
    return f"{name_phonetic}|{given_phonetic}"


def given_name_frequency_key(first_given_name: str) -> str:
    """How many persons carry a first given name, as written (a name of its own, not a slip of another)."""
    return f"#{first_given_name}"


def count_names() -> None:
    """Recount how many persons carry each (surname, first given name) pair, in one statement."""
    from .models import IdentityIndex, NameFrequency

    frequency, index = NameFrequency._meta.db_table, IdentityIndex._meta.db_table
    concat = "name_phonetic || '|' || given_phonetic"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {frequency}")
        cursor.execute(
            f"INSERT INTO {frequency} (key, count) SELECT {concat}, COUNT(*) FROM {index} "
            f"GROUP BY {concat} HAVING COUNT(*) > 1"
        )
        cursor.execute(
            f"INSERT INTO {frequency} (key, count) SELECT '#' || first_given_name, COUNT(*) FROM {index} "
            "WHERE first_given_name <> '' GROUP BY first_given_name HAVING COUNT(*) > 1"
        )


def _chunks(values, size: int):
    rows, keys = [], []
    for person in values:
        row, person_keys = index_values(*person)
        rows.append(row)
        keys.extend((k, person[0]) for k in person_keys)
        if len(rows) >= size:
            yield rows, keys
            rows, keys = [], []
    if rows:
        yield rows, keys
