"""PostgreSQL bulk-load mode: build secondary indexes and check foreign keys once, after the load.

This is what pg_restore does: maintaining indexes and firing one foreign-key check per row costs
far more than building each index and validating each constraint in a single pass at the end.
Used only to fill an empty registry; the definitions are read from the catalog and restored
exactly, even when the load fails.
"""

from contextlib import contextmanager


def _tables(models) -> list[str]:
    return [m._meta.db_table for m in models]


@contextmanager
def postgres_bulk_mode(connection, models, *, drop_foreign_keys: bool = True, drop_primary_keys: bool = False):
    """Drop secondary indexes and foreign keys (and, for derived tables, primary keys) during a load."""
    tables = _tables(models)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.relname, pg_get_indexdef(ix.indexrelid)
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class c ON c.oid = ix.indrelid
            LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid
            WHERE c.relname = ANY(%s) AND NOT ix.indisunique AND NOT ix.indisprimary AND con.oid IS NULL
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        kinds = (["f"] if drop_foreign_keys else []) + (["p"] if drop_primary_keys else [])
        cursor.execute(
            """
            SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            WHERE con.contype = ANY(%s) AND c.relname = ANY(%s)
            ORDER BY con.contype DESC
            """,
            [kinds, tables],
        )
        foreign_keys = cursor.fetchall()  # primary keys first ('p' > 'f'), so they are restored first
        for table, name, _ in reversed(foreign_keys):  # foreign keys before the keys they point to
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _, name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("ANALYZE " + ", ".join(f'"{t}"' for t in tables))
