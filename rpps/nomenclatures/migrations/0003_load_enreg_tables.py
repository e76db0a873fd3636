"""Loads the tables added since 0002 (the RPPS+ portal's ENREG value sets)."""

from django.db import migrations

from rpps.nomenclatures.loader import load_in_migration


class Migration(migrations.Migration):
    dependencies = [("nomenclatures", "0002_load_tables")]
    operations = [migrations.RunPython(load_in_migration, migrations.RunPython.noop)]
