"""Expression indexes for the names searched case- and accent-blind by prefix (folding.name_search):
the console's and the portal's person searches start with the surname."""

from django.db import migrations

INDEXES = {
    "exercise_last_name_fold": ("registry_exercise", "rpps_fold(last_name) text_pattern_ops"),
    "person_birth_name_fold": ("registry_person", "rpps_fold(birth_name) text_pattern_ops"),
    "person_usage_name_fold": ("registry_person", "rpps_fold(usage_name) text_pattern_ops"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, expression) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_name_characters")]
    operations = [migrations.RunPython(forwards, backwards)]
