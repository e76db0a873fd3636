"""Expression indexes for the names searched case- and accent-blind (folding): by prefix for the console's
and the portal's person searches (they start with the surname), by trigrams for the public site's
structure search (every word anywhere in the name)."""

from django.db import migrations

INDEXES = {
    "exercise_last_name_fold": ("registry_exercise", "rpps_fold(last_name) text_pattern_ops"),
    "person_birth_name_fold": ("registry_person", "rpps_fold(birth_name) text_pattern_ops"),
    "person_usage_name_fold": ("registry_person", "rpps_fold(usage_name) text_pattern_ops"),
}
TRIGRAMS = {
    "structure_name_fold_trigram": ("registry_structure", "rpps_fold(name) gin_trgm_ops"),
    "structure_trade_name_fold_trigram": ("registry_structure", "rpps_fold(trade_name) gin_trgm_ops"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, expression) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression})")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expression) in TRIGRAMS.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, *TRIGRAMS]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_name_characters")]
    operations = [migrations.RunPython(forwards, backwards)]
