"""Database triggers make the audit log append-only for every client, as the registry's history."""

from django.db import migrations

from rpps.registry.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [append_only("portal_auditevent", "auditevent")]
