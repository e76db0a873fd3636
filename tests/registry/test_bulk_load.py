"""The PostgreSQL bulk path: background writer, indexes and foreign keys rebuilt after the load."""

import pytest
from django.db import connection

from rpps.registry.bulkwrite.mode import postgres_bulk_mode
from rpps.registry.models import Activity, Person
from rpps.registry.population.generator import WRITE_ORDER
from rpps.registry.population.run import generate

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _schema():
    tables = [m._meta.db_table for m in WRITE_ORDER]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY indexdef",
            [tables],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid::regclass::text = ANY(%s) ORDER BY conname",
            [tables],
        )
        return indexes, cursor.fetchall()


def test_background_generation_restores_every_index_and_foreign_key():
    before = _schema()
    assert len(before[1]) >= 10
    counts = generate(300, 3, batch_size=70, progress=False)
    assert _schema() == before
    assert Person.objects.count() == counts["registry.Person"] == 300
    assert Activity.objects.count() == counts["registry.Activity"]
    # The sequences follow the explicit ids: the next ORM insert gets a fresh id.
    assert Person.objects.order_by("-id").first().id == 300


def test_schema_is_restored_even_when_the_load_fails():
    before = _schema()
    with pytest.raises(RuntimeError, match="boom"), postgres_bulk_mode(connection, WRITE_ORDER):
        assert _schema() != before
        raise RuntimeError("boom")
    assert _schema() == before
