"""The portal's schema as of 0007, in one migration (see docs/decisions.md « Migrations squashed »),
with the audit journal made append-only by triggers."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import rpps.portal.models
from rpps.registry.append_only import append_only


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("portal", "0001_initial"),
        ("portal", "0002_audit_append_only"),
        ("portal", "0003_registration"),
        ("portal", "0004_alter_bulkimport_state"),
        ("portal", "0005_habilitation_reopen_withdrawal_site_removal"),
        ("portal", "0006_audit_email_confirmed_situation_withdrawn"),
        ("portal", "0007_contract_evidence"),
    ]

    dependencies = [
        ("identity", "0001_squashed_0004_reviewcase_name"),
        ("registry", "0001_squashed_0010_name_fold_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="date")),
                ("actor", models.CharField(db_index=True, max_length=200, verbose_name="auteur")),
                (
                    "actor_national_id",
                    models.CharField(blank=True, max_length=40, verbose_name="identifiant national de l'auteur"),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("connexion", "Connexion"),
                            ("connexion_refusee", "Connexion refusée"),
                            ("deconnexion", "Déconnexion"),
                            ("connexion_operateur", "Connexion d'un opérateur"),
                            ("connexion_operateur_refusee", "Connexion d'un opérateur refusée"),
                            ("contrat_demande", "Demande de contrat"),
                            ("contrat_approuve", "Contrat approuvé"),
                            ("contrat_rejete", "Contrat rejeté"),
                            ("contrat_resilie", "Contrat résilié"),
                            ("site_ajoute", "Site ajouté au contrat"),
                            ("site_retire", "Site retiré du contrat"),
                            ("habilitation_ouverte", "Habilitation ouverte"),
                            ("habilitation_fermee", "Habilitation fermée"),
                            ("habilitation_rouverte", "Habilitation rouverte"),
                            ("acces_refuse", "Accès refusé"),
                            ("professionnel_enregistre", "Enregistrement d'un professionnel"),
                            ("preinscription", "Pré-inscription d'un professionnel"),
                            ("demande_rejetee", "Demande d'enregistrement rejetée"),
                            ("demande_retiree", "Demande d'enregistrement retirée"),
                            ("situation_modifiee", "Situation modifiée"),
                            ("situation_fermee", "Situation fermée"),
                            ("situation_retiree", "Situation retirée (saisie erronée)"),
                            ("dossier_modifie", "Dossier modifié par le professionnel"),
                            ("email_confirme", "Nouvelle adresse e-mail confirmée"),
                            ("fichier_verifie", "Fichier vérifié"),
                            ("fichier_importe", "Fichier importé"),
                        ],
                        db_index=True,
                        max_length=30,
                        verbose_name="action",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[("ok", "Effectuée"), ("refus", "Refusée")],
                        default="ok",
                        max_length=5,
                        verbose_name="résultat",
                    ),
                ),
                (
                    "structure_technical_id",
                    models.CharField(blank=True, db_index=True, max_length=16, verbose_name="structure"),
                ),
                ("structure_name", models.CharField(blank=True, max_length=200, verbose_name="nom de la structure")),
                ("contract_id_ref", models.BigIntegerField(blank=True, null=True, verbose_name="contrat")),
                ("target", models.CharField(blank=True, max_length=300, verbose_name="objet")),
                ("message", models.TextField(blank=True, verbose_name="détail")),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="adresse IP")),
            ],
            options={
                "verbose_name": "événement du journal d'audit",
                "verbose_name_plural": "journal d'audit",
                "ordering": ["-at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="BulkImport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uploaded_by", models.CharField(max_length=200, verbose_name="déposé par")),
                (
                    "national_id",
                    models.CharField(db_index=True, max_length=40, verbose_name="identifiant national du déposant"),
                ),
                ("filename", models.CharField(max_length=255, verbose_name="nom du fichier")),
                ("sha256", models.CharField(max_length=64, verbose_name="empreinte")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("verification", "Vérification en cours"),
                            ("pret", "Rapport prêt"),
                            ("refuse", "Fichier refusé"),
                            ("import", "Import en cours"),
                            ("importe", "Importé"),
                            ("interrompu", "Vérification interrompue"),
                            ("expire", "Non confirmé à temps (lignes effacées)"),
                        ],
                        default="verification",
                        max_length=12,
                        verbose_name="état",
                    ),
                ),
                ("message", models.TextField(blank=True, verbose_name="message")),
                ("total_rows", models.PositiveIntegerField(default=0, verbose_name="lignes")),
                ("done_rows", models.PositiveIntegerField(default=0, verbose_name="lignes traitées")),
                ("report", models.JSONField(default=list, verbose_name="rapport")),
                ("rows", models.JSONField(default=list, verbose_name="lignes valides")),
                ("counts", models.JSONField(default=dict, verbose_name="bilan")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="déposé le")),
                ("applied_at", models.DateTimeField(blank=True, null=True, verbose_name="importé le")),
            ],
            options={
                "verbose_name": "import de fichier",
                "verbose_name_plural": "imports de fichiers",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("subject", models.CharField(max_length=255, unique=True, verbose_name="sujet OpenID Connect")),
                (
                    "national_id",
                    models.CharField(blank=True, db_index=True, max_length=40, verbose_name="identifiant national"),
                ),
                ("family_name", models.CharField(blank=True, max_length=150, verbose_name="nom")),
                ("given_name", models.CharField(blank=True, max_length=150, verbose_name="prénom")),
                (
                    "last_acr",
                    models.CharField(blank=True, max_length=20, verbose_name="dernier niveau d'authentification"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="registry.person",
                        verbose_name="professionnel",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="portal_account",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "compte du portail",
                "verbose_name_plural": "comptes du portail",
            },
        ),
        migrations.CreateModel(
            name="Contract",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("demandee", "Demandée"),
                            ("active", "Active"),
                            ("rejetee", "Rejetée"),
                            ("resiliee", "Résiliée"),
                        ],
                        default="demandee",
                        max_length=10,
                        verbose_name="état",
                    ),
                ),
                (
                    "representative_national_id",
                    models.CharField(max_length=40, verbose_name="identifiant national du représentant"),
                ),
                ("representative_family_name", models.CharField(max_length=150, verbose_name="nom du représentant")),
                ("representative_given_name", models.CharField(max_length=150, verbose_name="prénom du représentant")),
                (
                    "representative_function",
                    models.CharField(
                        choices=[
                            ("representant_legal", "Représentant légal"),
                            ("titulaire_officine", "Titulaire d'officine"),
                        ],
                        max_length=20,
                        verbose_name="fonction du représentant",
                    ),
                ),
                (
                    "representative_email",
                    models.EmailField(max_length=254, verbose_name="adresse e-mail du représentant"),
                ),
                (
                    "representative_phone",
                    models.CharField(blank=True, max_length=20, verbose_name="téléphone du représentant"),
                ),
                ("contact_name", models.CharField(blank=True, max_length=200, verbose_name="contact administratif")),
                (
                    "contact_email",
                    models.EmailField(blank=True, max_length=254, verbose_name="adresse e-mail du contact"),
                ),
                ("contact_phone", models.CharField(blank=True, max_length=20, verbose_name="téléphone du contact")),
                ("requested_at", models.DateTimeField(auto_now_add=True, verbose_name="demandé le")),
                ("decided_by", models.CharField(blank=True, max_length=150, verbose_name="décidé par")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="décidé le")),
                ("rejection_reason", models.TextField(blank=True, verbose_name="motif du rejet")),
                ("terminated_at", models.DateTimeField(blank=True, null=True, verbose_name="résilié le")),
                (
                    "evidence_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("kbis", "Extrait Kbis de moins de trois mois"),
                            ("statuts", "Statuts de l'organisme, nommant son représentant légal"),
                            ("nomination", "Arrêté ou décision de nomination (établissement public)"),
                            ("delegation", "Délégation de pouvoir signée du représentant légal"),
                        ],
                        max_length=20,
                        verbose_name="justificatif de pouvoir",
                    ),
                ),
                (
                    "evidence",
                    models.FileField(
                        blank=True,
                        storage=rpps.portal.models._documents,
                        upload_to="contrats/",
                        verbose_name="document justificatif",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contract_requests",
                        to="portal.account",
                        verbose_name="demandé par",
                    ),
                ),
                (
                    "structure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts",
                        to="registry.structure",
                        verbose_name="structure contractante",
                    ),
                ),
            ],
            options={
                "verbose_name": "contrat",
                "verbose_name_plural": "contrats",
                "ordering": ["-requested_at"],
            },
        ),
        migrations.CreateModel(
            name="ContractSite",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("added_by", models.CharField(max_length=150, verbose_name="ajouté par")),
                ("added_at", models.DateTimeField(auto_now_add=True, verbose_name="ajouté le")),
                (
                    "contract",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="added_sites", to="portal.contract"
                    ),
                ),
                (
                    "structure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.structure",
                        verbose_name="site",
                    ),
                ),
            ],
            options={
                "verbose_name": "site ajouté au contrat",
                "verbose_name_plural": "sites ajoutés au contrat",
            },
        ),
        migrations.CreateModel(
            name="Habilitation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("representant", "Représentant légal"),
                            ("titulaire", "Titulaire d'officine"),
                            ("mandataire", "Mandataire"),
                            ("gestionnaire", "Gestionnaire RPPS+"),
                        ],
                        max_length=15,
                        verbose_name="habilitation",
                    ),
                ),
                ("national_id", models.CharField(db_index=True, max_length=40, verbose_name="identifiant national")),
                ("family_name", models.CharField(max_length=150, verbose_name="nom")),
                ("given_name", models.CharField(max_length=150, verbose_name="prénom")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="adresse e-mail")),
                ("phone", models.CharField(blank=True, max_length=20, verbose_name="téléphone")),
                (
                    "training_date",
                    models.DateField(blank=True, null=True, verbose_name="date de la formation de gestionnaire RPPS+"),
                ),
                (
                    "terms_accepted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="conditions d'utilisation acceptées le"),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[("ouverte", "Ouverte"), ("fermee", "Fermée")],
                        default="ouverte",
                        max_length=10,
                        verbose_name="état",
                    ),
                ),
                ("opened_by", models.CharField(max_length=150, verbose_name="ouverte par")),
                ("opened_at", models.DateTimeField(auto_now_add=True, verbose_name="ouverte le")),
                ("closed_by", models.CharField(blank=True, max_length=150, verbose_name="fermée par")),
                (
                    "closed_by_national_id",
                    models.CharField(blank=True, max_length=40, verbose_name="identifiant national de qui l'a fermée"),
                ),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="fermée le")),
                (
                    "contract",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="habilitations", to="portal.contract"
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
                        verbose_name="professionnel",
                    ),
                ),
                (
                    "structure",
                    models.ForeignKey(
                        help_text="La structure contractante (tous ses sites) ou un seul site.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.structure",
                        verbose_name="structure",
                    ),
                ),
            ],
            options={
                "verbose_name": "habilitation",
                "verbose_name_plural": "habilitations",
                "ordering": ["family_name", "given_name", "pk"],
            },
        ),
        migrations.CreateModel(
            name="RegistrationRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("gestionnaire", "Saisie d'un gestionnaire"),
                            ("autoinscription", "Pré-inscription par le professionnel"),
                            ("fichier", "Import d'un fichier"),
                        ],
                        max_length=15,
                        verbose_name="origine",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("a_instruire", "À instruire par la structure"),
                            ("en_revue", "En attente de la vérification d'identité"),
                            ("enregistree", "Enregistrée"),
                            ("rejetee", "Rejetée"),
                            ("expiree", "Expirée"),
                            ("retiree", "Retirée par le professionnel"),
                        ],
                        max_length=12,
                        verbose_name="état",
                    ),
                ),
                ("data", models.JSONField(verbose_name="données saisies")),
                ("identity_key", models.CharField(db_index=True, max_length=300, verbose_name="clé d'identité")),
                ("submitted_by", models.CharField(max_length=200, verbose_name="saisi par")),
                (
                    "submitted_national_id",
                    models.CharField(blank=True, max_length=40, verbose_name="identifiant national de l'auteur"),
                ),
                (
                    "outcome",
                    models.CharField(blank=True, max_length=10, verbose_name="résultat de la résolution d'identité"),
                ),
                ("rejection_reason", models.TextField(blank=True, verbose_name="motif du rejet")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créée le")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="décidée le")),
                ("decided_by", models.CharField(blank=True, max_length=200, verbose_name="décidée par")),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="expire le")),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registration_requests",
                        to="portal.account",
                    ),
                ),
                (
                    "activity",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.activity",
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
                    ),
                ),
                (
                    "review_case",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="identity.reviewcase",
                    ),
                ),
                (
                    "structure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.structure",
                        verbose_name="structure",
                    ),
                ),
            ],
            options={
                "verbose_name": "demande d'enregistrement",
                "verbose_name_plural": "demandes d'enregistrement",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ["demandee", "active"])),
                fields=("structure",),
                name="one_live_contract_per_structure",
                violation_error_message="Cette structure a déjà un contrat demandé ou actif.",
            ),
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "rejetee"), _negated=True),
                    models.Q(("rejection_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="rejected_contract_has_reason",
                violation_error_message="Un rejet doit être motivé.",
            ),
        ),
        migrations.AddConstraint(
            model_name="contractsite",
            constraint=models.UniqueConstraint(fields=("contract", "structure"), name="one_site_once_per_contract"),
        ),
        migrations.AddConstraint(
            model_name="habilitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "ouverte")),
                fields=("structure", "national_id", "kind"),
                name="one_open_habilitation_per_kind",
                violation_error_message="Cette personne a déjà cette habilitation ouverte sur cette structure.",
            ),
        ),
        migrations.AddConstraint(
            model_name="habilitation",
            constraint=models.CheckConstraint(
                condition=models.Q(("state", "ouverte"), ("closed_at__isnull", False), _connector="OR"),
                name="closed_habilitation_has_date",
                violation_error_message="Une habilitation fermée a une date de fermeture.",
            ),
        ),
        migrations.AddConstraint(
            model_name="habilitation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("email", ""), _negated=True), models.Q(("phone", ""), _negated=True), _connector="OR"
                ),
                name="habilitation_has_contact",
                violation_error_message="Une adresse e-mail ou un téléphone est requis.",
            ),
        ),
        append_only("portal_auditevent", "auditevent"),
    ]
