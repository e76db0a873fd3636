"""The registry's schema as of 0010, in one migration (the ten it replaces were deleted once every
database had applied them; see docs/decisions.md « Migrations squashed »): the tables, the history
made append-only by triggers, and on PostgreSQL the case- and accent-blind function and indexes the
searches use (rpps.registry.folding)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import rpps.registry.validators
from rpps.registry.append_only import append_only

FOLD = """
CREATE OR REPLACE FUNCTION rpps_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT upper(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""
# Expression indexes for the names searched case- and accent-blind: by prefix for the console's, the
# portal's and the public site's searches that start with a word, by trigrams for the public site's
# structure search (every word anywhere in the name).
PREFIX_INDEXES = {
    "structure_name_fold": ("registry_structure", "rpps_fold(name) text_pattern_ops"),
    "structure_trade_name_fold": ("registry_structure", "rpps_fold(trade_name) text_pattern_ops"),
    "structure_city_fold": ("registry_structure", "rpps_fold(commune_label) text_pattern_ops"),
    "structure_postal_code_prefix": ("registry_structure", "postal_code text_pattern_ops"),
    "exercise_last_name_fold": ("registry_exercise", "rpps_fold(last_name) text_pattern_ops"),
    "person_birth_name_fold": ("registry_person", "rpps_fold(birth_name) text_pattern_ops"),
    "person_usage_name_fold": ("registry_person", "rpps_fold(usage_name) text_pattern_ops"),
}
TRIGRAM_INDEXES = {
    "structure_name_fold_trigram": ("registry_structure", "rpps_fold(name) gin_trgm_ops"),
    "structure_trade_name_fold_trigram": ("registry_structure", "rpps_fold(trade_name) gin_trgm_ops"),
}


def fold_forwards(apps, schema_editor):
    # SQLite gets rpps_fold from Python on each connection (rpps.registry.folding).
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(FOLD)
    for name, (table, expression) in PREFIX_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression})")
    for name, (table, expression) in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def fold_backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*PREFIX_INDEXES, *TRIGRAM_INDEXES]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS rpps_fold(text)")


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("registry", "0001_initial"),
        ("registry", "0002_history_append_only"),
        ("registry", "0003_person_merged_into"),
        ("registry", "0004_civil_status_optional_for_public_loads"),
        ("registry", "0005_activity_registration_authority"),
        ("registry", "0006_search_indexes"),
        ("registry", "0007_fold"),
        ("registry", "0008_change_record_public"),
        ("registry", "0009_name_characters"),
        ("registry", "0010_name_fold_indexes"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Exercise",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("profession_code", models.CharField(max_length=5, verbose_name="profession")),
                ("category_code", models.CharField(max_length=2, verbose_name="catégorie professionnelle")),
                (
                    "exercise_civility_code",
                    models.CharField(blank=True, max_length=4, verbose_name="civilité d'exercice"),
                ),
                (
                    "last_name",
                    models.CharField(
                        max_length=100,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_name")],
                        verbose_name="nom d'exercice",
                    ),
                ),
                (
                    "first_name",
                    models.CharField(
                        blank=True,
                        max_length=100,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_name")],
                        verbose_name="prénom d'exercice",
                    ),
                ),
                (
                    "registration_authority",
                    models.CharField(
                        blank=True,
                        help_text="Par exemple CNOM/CNOM/ARS.",
                        max_length=60,
                        verbose_name="autorité d'enregistrement",
                    ),
                ),
            ],
            options={
                "verbose_name": "exercice professionnel",
                "verbose_name_plural": "exercices professionnels",
                "ordering": ["person_id", "profession_code"],
            },
        ),
        migrations.CreateModel(
            name="RppsCounter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("range_name", models.CharField(max_length=30, unique=True, verbose_name="plage")),
                ("next_body", models.BigIntegerField(verbose_name="prochain corps de numéro")),
            ],
            options={
                "verbose_name": "compteur de numéros RPPS",
                "verbose_name_plural": "compteurs de numéros RPPS",
            },
        ),
        migrations.CreateModel(
            name="Diploma",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("type_code", models.CharField(max_length=5, verbose_name="type de diplôme")),
                ("code", models.CharField(blank=True, max_length=20, verbose_name="code du diplôme")),
                ("label", models.CharField(max_length=200, verbose_name="libellé du diplôme")),
                ("number", models.CharField(blank=True, max_length=50, verbose_name="numéro du diplôme")),
                ("obtained_on", models.DateField(blank=True, null=True, verbose_name="date d'obtention")),
                ("place", models.CharField(blank=True, max_length=100, verbose_name="lieu d'obtention")),
                (
                    "exercise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="registry.exercise",
                        verbose_name="exercice professionnel",
                    ),
                ),
            ],
            options={
                "verbose_name": "diplôme",
                "verbose_name_plural": "diplômes",
                "default_related_name": "diplomas",
            },
        ),
        migrations.CreateModel(
            name="Authorization",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("type_code", models.CharField(max_length=5, verbose_name="type d'autorisation")),
                ("discipline_code", models.CharField(blank=True, max_length=20, verbose_name="code de la discipline")),
                (
                    "discipline_label",
                    models.CharField(blank=True, max_length=200, verbose_name="libellé de la discipline"),
                ),
                ("number", models.CharField(blank=True, max_length=50, verbose_name="numéro de l'autorisation")),
                ("granted_on", models.DateField(blank=True, null=True, verbose_name="date de l'autorisation")),
                (
                    "exercise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="registry.exercise",
                        verbose_name="exercice professionnel",
                    ),
                ),
            ],
            options={
                "verbose_name": "autorisation d'exercice",
                "verbose_name_plural": "autorisations d'exercice",
                "default_related_name": "authorizations",
            },
        ),
        migrations.CreateModel(
            name="Person",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                (
                    "rpps",
                    models.CharField(
                        help_text="Attribué une fois, à vie.",
                        max_length=11,
                        unique=True,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_rpps")],
                        verbose_name="numéro RPPS",
                    ),
                ),
                ("civility_code", models.CharField(blank=True, max_length=4, verbose_name="civilité")),
                ("sex_code", models.CharField(blank=True, max_length=1, verbose_name="sexe")),
                (
                    "birth_name",
                    models.CharField(
                        blank=True,
                        max_length=100,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_name")],
                        verbose_name="nom de naissance",
                    ),
                ),
                (
                    "given_names",
                    models.CharField(
                        blank=True,
                        help_text="Liste des prénoms de naissance séparés par des espaces, dans l'ordre de l'état civil (un prénom composé garde son trait d'union : « Jean-Christophe Marie »).",
                        max_length=200,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_name")],
                        verbose_name="prénoms de naissance",
                    ),
                ),
                (
                    "usage_name",
                    models.CharField(
                        blank=True,
                        max_length=100,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_name")],
                        verbose_name="nom d'usage",
                    ),
                ),
                ("birth_date", models.DateField(blank=True, null=True, verbose_name="date de naissance")),
                (
                    "birth_place_code",
                    models.CharField(
                        blank=True,
                        help_text="Code commune COG, ou code pays 99xxx pour une naissance à l'étranger.",
                        max_length=5,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_birth_place_code")],
                        verbose_name="lieu de naissance (code INSEE)",
                    ),
                ),
                (
                    "birth_city_abroad",
                    models.CharField(blank=True, max_length=100, verbose_name="ville de naissance à l'étranger"),
                ),
                (
                    "nationality_code",
                    models.CharField(blank=True, max_length=5, verbose_name="nationalité (code pays INSEE)"),
                ),
                (
                    "email",
                    models.EmailField(blank=True, max_length=254, verbose_name="adresse e-mail de correspondance"),
                ),
                (
                    "phone",
                    models.CharField(blank=True, max_length=20, verbose_name="téléphone mobile de correspondance"),
                ),
                (
                    "merged_into",
                    models.ForeignKey(
                        blank=True,
                        help_text="Doublon retiré : son numéro RPPS reste un alias de la personne indiquée.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="aliases",
                        to="registry.person",
                        verbose_name="fusionnée dans",
                    ),
                ),
            ],
            options={
                "verbose_name": "personne",
                "verbose_name_plural": "personnes",
                "ordering": ["rpps"],
            },
        ),
        migrations.AddField(
            model_name="exercise",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="exercises",
                to="registry.person",
                verbose_name="personne",
            ),
        ),
        migrations.CreateModel(
            name="Card",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("type_code", models.CharField(max_length=3, verbose_name="type de carte")),
                ("number", models.CharField(max_length=20, unique=True, verbose_name="numéro de carte")),
                (
                    "national_id",
                    models.CharField(max_length=30, verbose_name="identifiant national contenu dans la carte"),
                ),
                ("valid_from", models.DateField(verbose_name="début de validité")),
                ("valid_until", models.DateField(verbose_name="fin de validité")),
                ("opposition_date", models.DateField(blank=True, null=True, verbose_name="date d'opposition")),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cards",
                        to="registry.person",
                        verbose_name="personne",
                    ),
                ),
            ],
            options={
                "verbose_name": "carte",
                "verbose_name_plural": "cartes",
            },
        ),
        migrations.CreateModel(
            name="Structure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                (
                    "technical_id",
                    models.CharField(
                        editable=False,
                        help_text="F + FINESS, sinon C + SIRET, sinon R + RPPS-rang ; calculé.",
                        max_length=16,
                        unique=True,
                        verbose_name="identifiant technique",
                    ),
                ),
                (
                    "finess",
                    models.CharField(
                        blank=True,
                        max_length=9,
                        null=True,
                        unique=True,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_finess")],
                        verbose_name="numéro FINESS",
                    ),
                ),
                (
                    "siret",
                    models.CharField(
                        blank=True,
                        max_length=14,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_siret")],
                        verbose_name="numéro SIRET",
                    ),
                ),
                (
                    "siren",
                    models.CharField(
                        blank=True,
                        max_length=9,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_siren")],
                        verbose_name="numéro SIREN",
                    ),
                ),
                (
                    "rpps_rang",
                    models.CharField(
                        blank=True,
                        max_length=14,
                        validators=[rpps.registry.validators.IdentifierValidator("validate_rpps_rang")],
                        verbose_name="identifiant RPPS-rang",
                    ),
                ),
                ("is_legal_entity", models.BooleanField(default=False, verbose_name="entité juridique")),
                ("name", models.CharField(max_length=200, verbose_name="raison sociale")),
                ("trade_name", models.CharField(blank=True, max_length=200, verbose_name="enseigne commerciale")),
                ("sector_code", models.CharField(blank=True, max_length=5, verbose_name="secteur d'activité")),
                (
                    "recipient_complement",
                    models.CharField(blank=True, max_length=100, verbose_name="complément destinataire"),
                ),
                (
                    "place_complement",
                    models.CharField(blank=True, max_length=100, verbose_name="complément point géographique"),
                ),
                ("street_number", models.CharField(blank=True, max_length=10, verbose_name="numéro de voie")),
                ("repetition_index", models.CharField(blank=True, max_length=5, verbose_name="indice de répétition")),
                ("street_type_code", models.CharField(blank=True, max_length=5, verbose_name="code type de voie")),
                ("street_type_label", models.CharField(blank=True, max_length=40, verbose_name="libellé type de voie")),
                ("street_name", models.CharField(blank=True, max_length=150, verbose_name="libellé de voie")),
                (
                    "distribution_mention",
                    models.CharField(blank=True, max_length=100, verbose_name="mention de distribution"),
                ),
                (
                    "cedex_office",
                    models.CharField(blank=True, max_length=100, verbose_name="bureau cedex (ligne d'acheminement)"),
                ),
                ("postal_code", models.CharField(blank=True, max_length=5, verbose_name="code postal")),
                ("commune_code", models.CharField(blank=True, max_length=5, verbose_name="code commune")),
                ("commune_label", models.CharField(blank=True, max_length=100, verbose_name="commune")),
                ("country_code", models.CharField(blank=True, max_length=5, verbose_name="code pays")),
                ("country_label", models.CharField(blank=True, max_length=60, verbose_name="pays")),
                ("department_code", models.CharField(blank=True, max_length=3, verbose_name="code département")),
                ("department_label", models.CharField(blank=True, max_length=60, verbose_name="département")),
                ("phone", models.CharField(blank=True, max_length=30, verbose_name="téléphone")),
                ("phone2", models.CharField(blank=True, max_length=30, verbose_name="téléphone 2")),
                ("fax", models.CharField(blank=True, max_length=30, verbose_name="télécopie")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="adresse e-mail de la structure")),
                (
                    "legal_entity",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="sites",
                        to="registry.structure",
                        verbose_name="entité juridique de rattachement",
                    ),
                ),
            ],
            options={
                "verbose_name": "structure",
                "verbose_name_plural": "structures",
                "ordering": ["technical_id"],
            },
        ),
        migrations.CreateModel(
            name="Mailbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("address", models.EmailField(max_length=254, verbose_name="adresse BAL MSSanté")),
                ("type_code", models.CharField(max_length=3, verbose_name="type de BAL")),
                ("service", models.CharField(blank=True, max_length=200, verbose_name="service de rattachement")),
                ("dematerialization", models.BooleanField(default=False, verbose_name="accepte la dématérialisation")),
                (
                    "red_list",
                    models.BooleanField(
                        default=False,
                        help_text="Une BAL en liste rouge n'est jamais publiée.",
                        verbose_name="liste rouge",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mailboxes",
                        to="registry.person",
                        verbose_name="personne",
                    ),
                ),
                (
                    "structure",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mailboxes",
                        to="registry.structure",
                        verbose_name="structure",
                    ),
                ),
            ],
            options={
                "verbose_name": "boîte aux lettres MSSanté",
                "verbose_name_plural": "boîtes aux lettres MSSanté",
            },
        ),
        migrations.CreateModel(
            name="Activity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("mode_code", models.CharField(max_length=2, verbose_name="mode d'exercice")),
                ("function_code", models.CharField(blank=True, max_length=10, verbose_name="fonction")),
                ("genre_code", models.CharField(blank=True, max_length=8, verbose_name="genre d'activité")),
                ("role_code", models.CharField(blank=True, max_length=10, verbose_name="rôle")),
                (
                    "pharmacist_section_code",
                    models.CharField(blank=True, max_length=2, verbose_name="section du tableau des pharmaciens"),
                ),
                ("start_date", models.DateField(verbose_name="date de début")),
                ("end_date", models.DateField(blank=True, null=True, verbose_name="date de fin")),
                ("end_reason_code", models.CharField(blank=True, max_length=5, verbose_name="motif de fin")),
                (
                    "registration_authority",
                    models.CharField(
                        blank=True,
                        db_default="",
                        max_length=60,
                        verbose_name="autorité d'enregistrement de la situation",
                    ),
                ),
                (
                    "exercise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="activities",
                        to="registry.exercise",
                        verbose_name="exercice professionnel",
                    ),
                ),
                (
                    "structure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="activities",
                        to="registry.structure",
                        verbose_name="structure",
                    ),
                ),
            ],
            options={
                "verbose_name": "situation d'exercice",
                "verbose_name_plural": "situations d'exercice",
                "ordering": ["exercise_id", "start_date"],
            },
        ),
        migrations.CreateModel(
            name="ChangeRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="date")),
                (
                    "actor_kind",
                    models.CharField(
                        choices=[
                            ("user", "utilisateur"),
                            ("feed", "flux d'une autorité"),
                            ("loader", "chargement"),
                            ("system", "système"),
                        ],
                        max_length=10,
                        verbose_name="type d'auteur",
                    ),
                ),
                ("actor_label", models.CharField(max_length=150, verbose_name="auteur")),
                ("reason", models.CharField(max_length=300, verbose_name="motif")),
                (
                    "action",
                    models.CharField(
                        choices=[("create", "création"), ("update", "modification"), ("delete", "suppression")],
                        max_length=6,
                        verbose_name="action",
                    ),
                ),
                ("object_type", models.CharField(max_length=40, verbose_name="type d'objet")),
                ("object_id", models.BigIntegerField(verbose_name="identifiant de l'objet")),
                (
                    "person_id",
                    models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="personne concernée"),
                ),
                ("before", models.JSONField(blank=True, null=True, verbose_name="avant")),
                ("after", models.JSONField(blank=True, null=True, verbose_name="après")),
                (
                    "public",
                    models.BooleanField(
                        db_default=True, default=True, verbose_name="visible dans les sorties publiques"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="utilisateur",
                    ),
                ),
            ],
            options={
                "verbose_name": "modification (historique)",
                "verbose_name_plural": "historique des modifications",
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["object_type", "object_id"], name="change_object")],
            },
        ),
        migrations.CreateModel(
            name="Expertise",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True, verbose_name="mis à jour le")),
                ("type_code", models.CharField(max_length=5, verbose_name="type de savoir-faire")),
                ("code", models.CharField(max_length=10, verbose_name="savoir-faire")),
                (
                    "exercise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="registry.exercise",
                        verbose_name="exercice professionnel",
                    ),
                ),
            ],
            options={
                "verbose_name": "savoir-faire",
                "verbose_name_plural": "savoir-faire",
                "default_related_name": "expertises",
                "indexes": [models.Index(fields=["code", "exercise"], name="expertise_code")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("exercise", "type_code", "code"),
                        name="expertise_unique",
                        violation_error_message="Ce savoir-faire est déjà enregistré pour cet exercice.",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.CheckConstraint(
                condition=models.Q(("rpps__regex", "^[0-9]{11}$")),
                name="person_rpps_11_digits",
                violation_error_message="Le numéro RPPS doit comporter exactement 11 chiffres.",
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("birth_place_code", ""), ("birth_place_code__regex", "^([0-9]{2}|2[AB])[0-9]{3}$"), _connector="OR"
                ),
                name="person_birth_place_cog",
                violation_error_message="Le lieu de naissance doit être un code commune ou pays INSEE à 5 caractères.",
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.CheckConstraint(
                condition=models.Q(("merged_into", models.F("pk")), _negated=True),
                name="person_not_merged_into_itself",
                violation_error_message="Une personne ne peut pas être fusionnée dans elle-même.",
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.CheckConstraint(
                condition=models.Q(("sex_code__in", ["F", "M", ""])),
                name="person_sex_f_m",
                violation_error_message="Le sexe doit être F ou M.",
            ),
        ),
        migrations.AddConstraint(
            model_name="exercise",
            constraint=models.UniqueConstraint(
                fields=("person", "profession_code"),
                name="exercise_one_per_profession",
                violation_error_message="Cette personne a déjà un exercice pour cette profession.",
            ),
        ),
        migrations.AddConstraint(
            model_name="card",
            constraint=models.CheckConstraint(
                condition=models.Q(("valid_until__gte", models.F("valid_from"))),
                name="card_validity_order",
                violation_error_message="La fin de validité ne peut pas précéder le début de validité.",
            ),
        ),
        migrations.AddIndex(
            model_name="structure",
            index=models.Index(fields=["siret"], name="structure_siret"),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("finess__isnull", False),
                    models.Q(("siret", ""), _negated=True),
                    models.Q(("rpps_rang", ""), _negated=True),
                    _connector="OR",
                ),
                name="structure_has_identifier",
                violation_error_message="Une structure doit avoir un numéro FINESS, SIRET ou RPPS-rang.",
            ),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.CheckConstraint(
                condition=models.Q(("technical_id__regex", "^(F([0-9]{2}|2[AB])[0-9]{7}|C[0-9]{14}|R[0-9]{14})$")),
                name="structure_technical_id_format",
                violation_error_message="L'identifiant technique doit être F+FINESS, C+SIRET ou R+RPPS-rang.",
            ),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("siret__regex", "^[0-9]{14}$"), ("siret", ""), ("siret__isnull", True), _connector="OR"
                ),
                name="structure_siret_14_digits",
                violation_error_message="Le numéro SIRET doit comporter 14 chiffres.",
            ),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("siren__regex", "^[0-9]{9}$"), ("siren", ""), ("siren__isnull", True), _connector="OR"
                ),
                name="structure_siren_9_digits",
                violation_error_message="Le numéro SIREN doit comporter 9 chiffres.",
            ),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("rpps_rang__regex", "^[0-9]{14}$"), ("rpps_rang", ""), ("rpps_rang__isnull", True), _connector="OR"
                ),
                name="structure_rpps_rang_14_digits",
                violation_error_message="Le RPPS-rang doit comporter 14 chiffres.",
            ),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.CheckConstraint(
                condition=models.Q(("legal_entity", models.F("pk")), _negated=True),
                name="structure_not_own_legal_entity",
                violation_error_message="Une structure ne peut pas être sa propre entité juridique.",
            ),
        ),
        migrations.AddConstraint(
            model_name="mailbox",
            constraint=models.CheckConstraint(
                condition=models.Q(("person__isnull", False), ("structure__isnull", False), _connector="OR"),
                name="mailbox_has_owner",
                violation_error_message="Une BAL doit appartenir à une personne ou à une structure.",
            ),
        ),
        migrations.AddConstraint(
            model_name="mailbox",
            constraint=models.UniqueConstraint(
                fields=("address", "person"),
                name="mailbox_unique_per_person",
                violation_error_message="Cette adresse est déjà enregistrée pour cette personne.",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["structure", "end_date"], name="activity_structure_end"),
        ),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end_date__isnull", True), ("end_date__gte", models.F("start_date")), _connector="OR"
                ),
                name="activity_end_after_start",
                violation_error_message="La date de fin ne peut pas précéder la date de début.",
            ),
        ),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_reason_code", ""), ("end_date__isnull", False), _connector="OR"),
                name="activity_end_reason_needs_end_date",
                violation_error_message="Un motif de fin n'a de sens qu'avec une date de fin.",
            ),
        ),
        append_only("registry_changerecord", "changerecord"),
        migrations.RunPython(fold_forwards, fold_backwards),
    ]
