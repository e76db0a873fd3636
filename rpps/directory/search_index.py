"""Keeping the public search index (``Entry``) in step with the registry.

Everything is read through the public projection (``projection.public_values``), so the index can
hold nothing that is not public. The same function indexes one person after a write and the whole
registry by chunks after a bulk load; only situations open on the day of indexing are indexed
(``refresh_dates`` re-indexes, daily, the persons whose situations opened or closed since).
"""

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from rpps.registry import projection, signals
from rpps.registry.bulkwrite.mode import postgres_bulk_mode
from rpps.registry.bulkwrite.writer import BulkWriter
from rpps.registry.models import Activity, Exercise, Person, Structure
from rpps.runtime import jobs

from .keys import name_key, text_key
from .models import Entry

COLUMNS = (
    "person_id",
    "exercise_id",
    "rpps",
    "civility_code",
    "last_name",
    "first_name",
    "profession_code",
    "name_key",
    "reverse_key",
    "structure_id",
    "role_code",
    "postal_code",
    "department_code",
    "commune_key",
    "structure_key",
    "is_main",
)
CHUNK = 5000
_NO_PLACE = (None, "", "", "", "", "")


def _rows(person_ids, day: datetime.date) -> list[tuple]:
    """The index lines of these persons (current persons only), from public values."""
    exercises = projection.public_values(
        Exercise.objects.of_current_persons().filter(person_id__in=person_ids).order_by("id"),
        "id",
        "person__id",
        "person__rpps",
        "exercise_civility_code",
        "last_name",
        "first_name",
        "profession_code",
    )
    exercises = list(exercises)
    if not exercises:
        return []
    places = defaultdict(list)
    activities = projection.public_values(
        Activity.objects.open_on(day).filter(exercise_id__in=[e[0] for e in exercises]).order_by("id"),
        "exercise__id",
        "structure_id",
        "role_code",
        "structure__postal_code",
        "structure__department_code",
        "structure__commune_label",
        "structure__name",
        "structure__trade_name",
    )
    for exercise_id, structure_id, role, postal, department, commune, name, trade_name in activities:
        department = department or (postal[:3] if postal.startswith("97") else postal[:2])
        places[exercise_id].append(
            (structure_id, role, postal, department, text_key(commune), text_key(name, trade_name))
        )
    rows = []
    for exercise_id, person_id, rpps, civility, last, first, profession in exercises:
        head = (
            person_id,
            exercise_id,
            rpps,
            civility,
            last,
            first,
            profession,
            name_key(last, first),
            name_key(first, last),
        )
        for position, place in enumerate(places.get(exercise_id) or [_NO_PLACE]):
            rows.append(head + place + (position == 0,))
    return rows


def reindex_persons(person_ids, *, day: datetime.date | None = None) -> int:
    """Replace the index lines of these persons; returns the number of lines written."""
    person_ids = list(set(person_ids))
    written = 0
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        rows = _rows(chunk, day or datetime.date.today())
        with transaction.atomic():
            Entry.objects.filter(person_id__in=chunk).delete()
            BulkWriter().write(Entry, COLUMNS, rows)
        written += len(rows)
    return written


def rebuild(*, day: datetime.date | None = None, progress=None) -> int:
    """The whole index from the registry, in one transaction.

    A first build (empty index) drops the secondary indexes and builds them once at the end; a rebuild
    of a populated index deletes and writes with the indexes in place, so that searches go on
    reading the previous index until the transaction commits.
    """
    day = day or datetime.date.today()
    ids = list(Person.objects.current().order_by("id").values_list("id", flat=True))
    written = 0
    first_build = not Entry.objects.exists()
    with transaction.atomic():
        if not first_build:
            Entry.objects.all().delete()
        with _bulk_mode() if first_build else transaction.atomic():
            writer = BulkWriter()
            for start in range(0, len(ids), CHUNK):
                rows = _rows(ids[start : start + CHUNK], day)
                writer.write(Entry, COLUMNS, rows)
                written += len(rows)
                if progress:
                    progress(min(start + CHUNK, len(ids)), len(ids))
    BulkWriter().reset_sequences([Entry])
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Searches read the index alone (index-only scans) once the visibility map says the rows are
        # all visible: set it now rather than when autovacuum comes by.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(Entry._meta.db_table)}")
    return written


def _bulk_mode():
    if connection.vendor == "postgresql":
        return postgres_bulk_mode(connection, [Entry], drop_foreign_keys=False)
    return transaction.atomic()  # nothing to drop elsewhere


def refresh_dates(*, day: datetime.date | None = None, days: int = 7) -> int:
    """Re-index the persons whose situations opened or closed in the last ``days`` days (run daily)."""
    day = day or datetime.date.today()
    since = day - datetime.timedelta(days=days)
    changed = Activity.objects.filter(start_date__gt=since, start_date__lte=day) | Activity.objects.filter(
        end_date__gte=since - datetime.timedelta(days=1), end_date__lt=day
    )
    return reindex_persons(changed.values_list("exercise__person_id", flat=True).distinct(), day=day)


# --- following the registry's writes --------------------------------------------------------


def _person_saved(sender, instance, **kwargs):
    reindex_persons([instance.pk])


def _exercise_saved(sender, instance, **kwargs):
    # also the person it was indexed under, should it have moved (a merge)
    indexed = Entry.objects.filter(exercise_id=instance.pk).values_list("person_id", flat=True)
    reindex_persons({instance.person_id, *indexed})


def _activity_saved(sender, instance, **kwargs):
    person_id = Exercise.objects.filter(pk=instance.exercise_id).values_list("person_id", flat=True).first()
    if person_id is not None:
        reindex_persons([person_id])


def _structure_saved(sender, instance, **kwargs):
    reindex_persons(Entry.objects.filter(structure_id=instance.pk).values_list("person_id", flat=True).distinct())


# Past this many persons, re-indexing them one chunk at a time costs more than the rebuild, which a
# job then does once the bulk write has committed (a national file's first load, say).
REINDEX_INLINE_LIMIT = 100_000


def _bulk_written(sender, persons=None, later=False, **kwargs):
    """After a bulk write: the persons it names re-indexed in its transaction, or the whole index
    rebuilt (``later``, or past REINDEX_INLINE_LIMIT persons: by a job, once the write has committed)."""
    if persons is None and not later:
        rebuild()
    elif persons is not None and len(persons) <= REINDEX_INLINE_LIMIT:
        reindex_persons(persons)
    else:
        jobs.enqueue("directory.rebuild", requested_by="chargement en masse", after_commit=True)


def _rewound(sender, past, persons, structures, **kwargs):
    # the registry reads as of an earlier moment (rpps.registry.past.as_of): so must the index, for
    # the persons whose records moved (their lines as of then, read from the past registry)
    at_structures = Activity.objects.filter(structure_id__in=structures).values_list("exercise__person_id", flat=True)
    indexed = Entry.objects.filter(structure_id__in=structures).values_list("person_id", flat=True)
    moved = {*persons, *at_structures, *indexed}
    rows = [
        dict(zip(("id", *COLUMNS), (-position, *row), strict=True))
        for position, row in enumerate(_rows(list(moved), datetime.date.today()), start=1)
    ]
    # left out by line id, which every index of the table holds: searches keep their index-only scans
    current = Entry.objects.filter(person_id__in=moved).values_list("id", flat=True)
    past.replace(Entry, "id", list(current), rows)


def connect():
    for model, receiver in (
        (Person, _person_saved),
        (Exercise, _exercise_saved),
        (Activity, _activity_saved),
        (Structure, _structure_saved),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"directory-{model.__name__}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"directory-{model.__name__}-delete")
    signals.bulk_written.connect(_bulk_written, dispatch_uid="directory-bulk")
    signals.rewound.connect(_rewound, dispatch_uid="directory-rewound")
