"""Database triggers make the history append-only for every client, not just the ORM."""

from django.db import migrations

from rpps.registry.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [append_only("registry_changerecord", "changerecord")]
