"""PostgreSQL trigram indexes for "contains" searches on names and structure names (LIKE '%X%'),
and finer statistics on the name keys. Other databases search with a plain LIKE; prefixes use the
ordinary btrees of 0001."""

from django.db import migrations

INDEXES = [
    "CREATE INDEX directory_name_trigram ON directory_entry USING gin (name_key gin_trgm_ops)",
    "CREATE INDEX directory_structure_trigram ON directory_entry USING gin (structure_key gin_trgm_ops)",
    # Finer histograms: the planner estimates a name prefix (a key range) from them, and with the
    # default 100 buckets it took 40,000 "VAL…" names for a hundred and chose the wrong index.
    "ALTER TABLE directory_entry ALTER COLUMN name_key SET STATISTICS 1000",
    "ALTER TABLE directory_entry ALTER COLUMN reverse_key SET STATISTICS 1000",
]
NAMES = ["directory_name_trigram", "directory_structure_trigram"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for column in ("name_key", "reverse_key"):
        schema_editor.execute(f"ALTER TABLE directory_entry ALTER COLUMN {column} SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
