"""The FHIR API's schema as of 0005, in one migration (see docs/decisions.md « Migrations squashed »)."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("fhir", "0001_initial"),
        ("fhir", "0002_tombstones"),
        ("fhir", "0003_export"),
        ("fhir", "0004_rate_window"),
        ("fhir", "0005_drop_rate_window"),
    ]

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="L'application ou l'organisation qui l'utilise.", max_length=100, verbose_name="nom"
                    ),
                ),
                ("prefix", models.CharField(editable=False, max_length=8, verbose_name="début de la clé")),
                ("digest", models.CharField(editable=False, max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créée le")),
                ("created_by", models.CharField(blank=True, editable=False, max_length=150, verbose_name="créée par")),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="révoquée le")),
            ],
            options={
                "verbose_name": "clé d'API",
                "verbose_name_plural": "clés d'API",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="Export",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("request_url", models.TextField()),
                ("types", models.JSONField()),
                ("since", models.DateTimeField(blank=True, null=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "en attente"),
                            ("running", "en cours"),
                            ("done", "terminé"),
                            ("failed", "échoué"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("written", models.BigIntegerField(default=0)),
                ("expected", models.BigIntegerField(default=0)),
                ("outputs", models.JSONField(default=list, help_text="[{type, file, count}]")),
                ("error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("heartbeat", models.DateTimeField(auto_now=True)),
                ("transaction_time", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="exports", to="fhir.apikey"
                    ),
                ),
            ],
            options={
                "verbose_name": "export FHIR",
                "verbose_name_plural": "exports FHIR",
            },
        ),
        migrations.CreateModel(
            name="Tombstone",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("resource_type", models.CharField(max_length=20)),
                ("resource_id", models.BigIntegerField()),
                ("identifiers", models.JSONField()),
                (
                    "identifier_values",
                    models.TextField(help_text="« v1 v2 … » : the identifier values, for identifier searches."),
                ),
                ("deleted_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "ressource supprimée",
                "constraints": [
                    models.UniqueConstraint(fields=("resource_type", "resource_id"), name="tombstone_unique")
                ],
            },
        ),
    ]
