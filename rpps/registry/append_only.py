"""A migration operation that makes a table append-only with database triggers (SQLite and PostgreSQL).

Used for the registry's history and the portal's audit log: UPDATE and DELETE are refused for
every client, not just the ORM. TRUNCATE is left to the table owner (test flushes use it); the
application's database role in production must not own the tables.
"""

from django.db import migrations


def statements(table: str, prefix: str):
    message = f"{table} is append-only"
    create = {
        "sqlite": [
            f"CREATE TRIGGER {prefix}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END;",
            f"CREATE TRIGGER {prefix}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END;",
        ],
        "postgresql": [
            f"CREATE FUNCTION {prefix}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql;",
            f"CREATE TRIGGER {prefix}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {prefix}_append_only();",
        ],
    }
    drop = {
        "sqlite": [f"DROP TRIGGER {prefix}_no_update;", f"DROP TRIGGER {prefix}_no_delete;"],
        "postgresql": [f"DROP TRIGGER {prefix}_no_update_delete ON {table};", f"DROP FUNCTION {prefix}_append_only();"],
    }
    return create, drop


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


# Every append-only table of the project: (table, trigger prefix); the test suite lifts their
# triggers on SQLite to empty the tables between transactional tests (tests/conftest.py).
TABLES = (("registry_changerecord", "changerecord"), ("portal_auditevent", "auditevent"))


def append_only(table: str, prefix: str) -> migrations.RunPython:
    create, drop = statements(table, prefix)
    return migrations.RunPython(_run(create), _run(drop))


def after_rebuild(table: str, prefix: str) -> migrations.RunPython:
    """SQLite rebuilds a table to alter it, and its triggers go with the old one: an operation that
    alters an append-only table is followed by this one (PostgreSQL keeps them: nothing to do)."""
    create, _ = statements(table, prefix)
    again = {"sqlite": [sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS") for sql in create["sqlite"]]}
    return migrations.RunPython(_run(again), migrations.RunPython.noop)
