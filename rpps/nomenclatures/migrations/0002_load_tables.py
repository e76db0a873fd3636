from django.db import migrations

from rpps.nomenclatures.loader import load_in_migration


class Migration(migrations.Migration):
    dependencies = [("nomenclatures", "0001_initial")]
    operations = [migrations.RunPython(load_in_migration, migrations.RunPython.noop)]
