"""Database triggers make the history append-only for every client, not just the ORM.

TRUNCATE is left to the table owner (test flushes use it); the application's database role in
production must not own the tables.
"""

from django.db import migrations

MESSAGE = "registry_changerecord is append-only"

SQLITE = [
    f"CREATE TRIGGER changerecord_no_update BEFORE UPDATE ON registry_changerecord "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER changerecord_no_delete BEFORE DELETE ON registry_changerecord "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
POSTGRES = [
    f"CREATE FUNCTION changerecord_append_only() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER changerecord_no_update_delete BEFORE UPDATE OR DELETE ON registry_changerecord "
    "FOR EACH ROW EXECUTE FUNCTION changerecord_append_only();",
]
DROP_SQLITE = ["DROP TRIGGER changerecord_no_update;", "DROP TRIGGER changerecord_no_delete;"]
DROP_POSTGRES = [
    "DROP TRIGGER changerecord_no_update_delete ON registry_changerecord;",
    "DROP FUNCTION changerecord_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": DROP_SQLITE, "postgresql": DROP_POSTGRES}),
        )
    ]
