"""Identity resolution's schema as of 0004, in one migration (see docs/decisions.md « Migrations
squashed »)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("identity", "0001_initial"),
        ("identity", "0002_name_frequency"),
        ("identity", "0003_identity_first_given_name"),
        ("identity", "0004_reviewcase_name"),
    ]

    dependencies = [
        ("registry", "0001_squashed_0010_name_fold_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IdentityIndex",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="identity_index",
                        serialize=False,
                        to="registry.person",
                    ),
                ),
                ("birth_name", models.CharField(max_length=100)),
                ("usage_name", models.CharField(blank=True, max_length=100)),
                ("given_names", models.CharField(max_length=200)),
                ("name_phonetic", models.CharField(max_length=100)),
                ("usage_phonetic", models.CharField(blank=True, max_length=100)),
                ("given_phonetic", models.CharField(max_length=100)),
                ("sex", models.CharField(max_length=1)),
                ("birth_date", models.DateField()),
                ("birth_place", models.CharField(blank=True, max_length=5)),
                ("first_given_name", models.CharField(blank=True, default="", max_length=100)),
            ],
            options={
                "verbose_name": "index d'identité",
                "verbose_name_plural": "index d'identité",
            },
        ),
        migrations.CreateModel(
            name="NameFrequency",
            fields=[
                ("key", models.CharField(max_length=120, primary_key=True, serialize=False)),
                ("count", models.PositiveIntegerField()),
            ],
            options={
                "verbose_name": "fréquence de nom",
                "verbose_name_plural": "fréquences de noms",
            },
        ),
        migrations.CreateModel(
            name="IdentityKey",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "key", "person", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("key", models.CharField(max_length=120)),
                (
                    "person",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.person",
                    ),
                ),
            ],
            options={
                "verbose_name": "clé de recherche d'identité",
                "verbose_name_plural": "clés de recherche d'identité",
            },
        ),
        migrations.CreateModel(
            name="ReviewCase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("request", "demande d'enregistrement"), ("pair", "deux personnes du répertoire")],
                        max_length=8,
                        verbose_name="nature",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "à examiner"),
                            ("same", "même personne"),
                            ("distinct", "personnes distinctes"),
                        ],
                        db_index=True,
                        default="open",
                        max_length=8,
                        verbose_name="statut",
                    ),
                ),
                ("request", models.JSONField(blank=True, null=True, verbose_name="demande")),
                ("candidates", models.JSONField(verbose_name="candidats")),
                ("name", models.CharField(blank=True, default="", max_length=300, verbose_name="nom et prénoms")),
                ("requested_by", models.CharField(max_length=150, verbose_name="demandé par")),
                ("reason", models.CharField(max_length=300, verbose_name="motif")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="décidé le")),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="décidé par",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.person",
                        verbose_name="personne",
                    ),
                ),
            ],
            options={
                "verbose_name": "doublon possible à examiner",
                "verbose_name_plural": "file d'examen des doublons possibles",
                "ordering": ["status", "created_at"],
            },
        ),
        migrations.CreateModel(
            name="DistinctPair",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("decided_at", models.DateTimeField(auto_now_add=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "high",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="registry.person"
                    ),
                ),
                (
                    "low",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="registry.person"
                    ),
                ),
            ],
            options={
                "verbose_name": "paire déclarée distincte",
                "verbose_name_plural": "paires déclarées distinctes",
                "constraints": [
                    models.UniqueConstraint(fields=("low", "high"), name="distinct_pair_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("low__lt", models.F("high"))), name="distinct_pair_ordered"
                    ),
                ],
            },
        ),
    ]
