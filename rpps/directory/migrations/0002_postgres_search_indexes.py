"""PostgreSQL indexes for name searches: prefix (LIKE 'X%' under a non-C collation needs the
pattern operator class) and contains (trigram GIN). Other databases search with plain LIKE."""

from django.db import migrations

INDEXES = [
    "CREATE INDEX directory_name_prefix ON directory_entry (name_key varchar_pattern_ops)",
    "CREATE INDEX directory_reverse_prefix ON directory_entry (reverse_key varchar_pattern_ops)",
    "CREATE INDEX directory_commune_prefix ON directory_entry (commune_key varchar_pattern_ops)",
    "CREATE INDEX directory_name_trigram ON directory_entry USING gin (name_key gin_trgm_ops)",
    "CREATE INDEX directory_structure_trigram ON directory_entry USING gin (structure_key gin_trgm_ops)",
]
NAMES = ["directory_name_prefix", "directory_reverse_prefix", "directory_commune_prefix", "directory_name_trigram",
         "directory_structure_trigram"]  # fmt: skip


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


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
