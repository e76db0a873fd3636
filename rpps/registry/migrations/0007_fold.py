"""rpps_fold(text): upper case without accents, for case- and accent-insensitive string searches
(rpps.registry.folding), with expression indexes for the structure fields searched by prefix. SQLite
gets the same function from Python on each connection."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION rpps_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT upper(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""
INDEXES = {
    "structure_name_fold": "rpps_fold(name) text_pattern_ops",
    "structure_trade_name_fold": "rpps_fold(trade_name) text_pattern_ops",
    "structure_city_fold": "rpps_fold(commune_label) text_pattern_ops",
    "structure_postal_code_prefix": "postal_code text_pattern_ops",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(FUNCTION)
    for name, expression in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON registry_structure ({expression})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS rpps_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
