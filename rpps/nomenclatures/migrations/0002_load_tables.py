from django.db import migrations


def load(apps, schema_editor):
    from rpps.nomenclatures.loader import load_tables

    load_tables(apps.get_model("nomenclatures", "Table"), apps.get_model("nomenclatures", "Concept"), apply=True)


class Migration(migrations.Migration):
    dependencies = [("nomenclatures", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
