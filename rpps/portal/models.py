"""The RPPS+ portal: structures' contracts, who may act for them (habilitations), portal accounts, audit.

A contract is signed by a legal entity (or a single site) and covers every site attached to it in
the registry plus the sites added to it. Habilitations are bound to a national identifier (the one
Pro Santé Connect sends at sign-in), not to an account: a gestionnaire can be designated before
they ever sign in, and closing a habilitation takes effect on their very next request because every
request re-reads habilitations.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from rpps.registry.models import Person, Structure

# Social and medico-social sectors (TRE_R02): their gestionnaires must have followed the ANS
# training (reference/portal.md §1.2).
ESMS_SECTORS = frozenset({"SA16", "SA17", "SA18", "SA20", "SA21", "SA41"})
# Pharmacies: the owner (titulaire d'officine) is the one who signs and is habilitated.
PHARMACY_SECTORS = frozenset({"SA33", "SA38", "SA39"})


class Account(models.Model):
    """A person who signed in to the portal with Pro Santé Connect."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account")
    subject = models.CharField("sujet OpenID Connect", max_length=255, unique=True)
    national_id = models.CharField("identifiant national", max_length=40, blank=True, db_index=True)
    family_name = models.CharField("nom", max_length=150, blank=True)
    given_name = models.CharField("prénom", max_length=150, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="professionnel"
    )
    last_acr = models.CharField("dernier niveau d'authentification", max_length=20, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "compte du portail"
        verbose_name_plural = "comptes du portail"

    def __str__(self):
        name = f"{self.given_name} {self.family_name}".strip()
        return f"{name} ({self.national_id})" if self.national_id else name or self.subject


def _documents():
    """Documents given by users (never public): a folder, or the shared bucket's private prefix."""
    return storages["documents"]


class Contract(models.Model):
    class State(models.TextChoices):
        REQUESTED = "demandee", "Demandée"
        ACTIVE = "active", "Active"
        REJECTED = "rejetee", "Rejetée"
        TERMINATED = "resiliee", "Résiliée"

    class Function(models.TextChoices):
        LEGAL_REPRESENTATIVE = "representant_legal", "Représentant légal"
        PHARMACY_OWNER = "titulaire_officine", "Titulaire d'officine"

    class Evidence(models.TextChoices):
        KBIS = "kbis", "Extrait Kbis de moins de trois mois"
        STATUTES = "statuts", "Statuts de l'organisme, nommant son représentant légal"
        NOMINATION = "nomination", "Arrêté ou décision de nomination (établissement public)"
        DELEGATION = "delegation", "Délégation de pouvoir signée du représentant légal"

    LIVE_STATES = (State.REQUESTED, State.ACTIVE)

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="contracts", verbose_name="structure contractante"
    )
    state = models.CharField("état", max_length=10, choices=State.choices, default=State.REQUESTED)
    representative_national_id = models.CharField("identifiant national du représentant", max_length=40)
    representative_family_name = models.CharField("nom du représentant", max_length=150)
    representative_given_name = models.CharField("prénom du représentant", max_length=150)
    representative_function = models.CharField("fonction du représentant", max_length=20, choices=Function.choices)
    representative_email = models.EmailField("adresse e-mail du représentant")
    representative_phone = models.CharField("téléphone du représentant", max_length=20, blank=True)
    contact_name = models.CharField("contact administratif", max_length=200, blank=True)
    contact_email = models.EmailField("adresse e-mail du contact", blank=True)
    contact_phone = models.CharField("téléphone du contact", max_length=20, blank=True)
    requested_by = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="contract_requests", verbose_name="demandé par"
    )
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    decided_by = models.CharField("décidé par", max_length=150, blank=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    rejection_reason = models.TextField("motif du rejet", blank=True)
    terminated_at = models.DateTimeField("résilié le", null=True, blank=True)
    # What the requester gave as proof of the representative's authority, read by the operator who decides.
    evidence_kind = models.CharField("justificatif de pouvoir", max_length=20, choices=Evidence.choices, blank=True)
    evidence = models.FileField("document justificatif", storage=_documents, upload_to="contrats/", blank=True)

    class Meta:
        verbose_name = "contrat"
        verbose_name_plural = "contrats"
        ordering = ["-requested_at"]
        constraints = [
            # The database keeps the rule even if two requests race: one live contract per structure.
            models.UniqueConstraint(
                fields=["structure"],
                condition=models.Q(state__in=["demandee", "active"]),
                name="one_live_contract_per_structure",
                violation_error_message="Cette structure a déjà un contrat demandé ou actif.",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejetee") | ~models.Q(rejection_reason=""),
                name="rejected_contract_has_reason",
                violation_error_message="Un rejet doit être motivé.",
            ),
        ]

    def __str__(self):
        return f"Contrat n° {self.pk} — {self.structure.name} ({self.get_state_display().lower()})"

    def covered_ids(self) -> set[int]:
        # Three indexed lookups rather than one OR, which PostgreSQL answers with a scan of all structures.
        return (
            {self.structure_id}
            | set(Structure.objects.filter(legal_entity_id=self.structure_id).values_list("pk", flat=True))
            | set(self.added_sites.values_list("structure_id", flat=True))
        )

    def covered_structures(self):
        """The contracting structure, its sites in the registry, and the sites added to the contract."""
        return Structure.objects.filter(pk__in=self.covered_ids())

    def covers(self, structure: Structure) -> bool:
        return (
            structure.pk == self.structure_id
            or structure.legal_entity_id == self.structure_id
            or self.added_sites.filter(structure=structure).exists()
        )

    @property
    def is_esms(self) -> bool:
        return self.covered_structures().filter(sector_code__in=ESMS_SECTORS).exists()


class ContractSite(models.Model):
    """A site added to an active contract beyond those the registry attaches to the legal entity."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="added_sites")
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+", verbose_name="site")
    added_by = models.CharField("ajouté par", max_length=150)
    added_at = models.DateTimeField("ajouté le", auto_now_add=True)

    class Meta:
        verbose_name = "site ajouté au contrat"
        verbose_name_plural = "sites ajoutés au contrat"
        constraints = [models.UniqueConstraint(fields=["contract", "structure"], name="one_site_once_per_contract")]

    def __str__(self):
        return str(self.structure)


class Habilitation(models.Model):
    class Kind(models.TextChoices):
        REPRESENTATIVE = "representant", "Représentant légal"
        PHARMACY_OWNER = "titulaire", "Titulaire d'officine"
        MANDATARY = "mandataire", "Mandataire"
        MANAGER = "gestionnaire", "Gestionnaire RPPS+"

    class State(models.TextChoices):
        OPEN = "ouverte", "Ouverte"
        CLOSED = "fermee", "Fermée"

    # Kinds that act for the structure: designate gestionnaires, close habilitations, add sites.
    REPRESENTING = (Kind.REPRESENTATIVE, Kind.PHARMACY_OWNER, Kind.MANDATARY)
    # Kinds that may designate a mandataire (the representative themself, not a mandataire).
    HEADS = (Kind.REPRESENTATIVE, Kind.PHARMACY_OWNER)

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="habilitations")
    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="structure",
        help_text="La structure contractante (tous ses sites) ou un seul site.",
    )
    kind = models.CharField("habilitation", max_length=15, choices=Kind.choices)
    national_id = models.CharField("identifiant national", max_length=40, db_index=True)
    family_name = models.CharField("nom", max_length=150)
    given_name = models.CharField("prénom", max_length=150)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="professionnel"
    )
    email = models.EmailField("adresse e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    training_date = models.DateField("date de la formation de gestionnaire RPPS+", null=True, blank=True)
    terms_accepted_at = models.DateTimeField("conditions d'utilisation acceptées le", null=True, blank=True)
    state = models.CharField("état", max_length=10, choices=State.choices, default=State.OPEN)
    opened_by = models.CharField("ouverte par", max_length=150)
    opened_at = models.DateTimeField("ouverte le", auto_now_add=True)
    closed_by = models.CharField("fermée par", max_length=150, blank=True)
    # Who closed it may reopen it (a habilitation closed by mistake): their national identifier.
    closed_by_national_id = models.CharField("identifiant national de qui l'a fermée", max_length=40, blank=True)
    closed_at = models.DateTimeField("fermée le", null=True, blank=True)

    class Meta:
        verbose_name = "habilitation"
        verbose_name_plural = "habilitations"
        ordering = ["family_name", "given_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "national_id", "kind"],
                condition=models.Q(state="ouverte"),
                name="one_open_habilitation_per_kind",
                violation_error_message="Cette personne a déjà cette habilitation ouverte sur cette structure.",
            ),
            models.CheckConstraint(
                condition=models.Q(state="ouverte") | models.Q(closed_at__isnull=False),
                name="closed_habilitation_has_date",
                violation_error_message="Une habilitation fermée a une date de fermeture.",
            ),
            models.CheckConstraint(
                condition=~models.Q(email="") | ~models.Q(phone=""),
                name="habilitation_has_contact",
                violation_error_message="Une adresse e-mail ou un téléphone est requis.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.given_name} {self.family_name} — {self.structure.name}"

    @property
    def whole_contract(self) -> bool:
        return self.structure_id == self.contract.structure_id

    def scope_ids(self) -> set[int]:
        return self.contract.covered_ids() if self.whole_contract else {self.structure_id}

    def covers(self, structure: Structure) -> bool:
        return self.contract.covers(structure) if self.whole_contract else structure.pk == self.structure_id


class AuditEvent(models.Model):
    """One portal or console action, allowed or refused. Append-only (database triggers)."""

    class Action(models.TextChoices):
        SIGN_IN = "connexion", "Connexion"
        SIGN_IN_REFUSED = "connexion_refusee", "Connexion refusée"
        SIGN_OUT = "deconnexion", "Déconnexion"
        OPERATOR_SIGN_IN = "connexion_operateur", "Connexion d'un opérateur"
        OPERATOR_SIGN_IN_REFUSED = "connexion_operateur_refusee", "Connexion d'un opérateur refusée"
        CONTRACT_REQUESTED = "contrat_demande", "Demande de contrat"
        CONTRACT_APPROVED = "contrat_approuve", "Contrat approuvé"
        CONTRACT_REJECTED = "contrat_rejete", "Contrat rejeté"
        CONTRACT_TERMINATED = "contrat_resilie", "Contrat résilié"
        SITE_ADDED = "site_ajoute", "Site ajouté au contrat"
        SITE_REMOVED = "site_retire", "Site retiré du contrat"
        HABILITATION_OPENED = "habilitation_ouverte", "Habilitation ouverte"
        HABILITATION_CLOSED = "habilitation_fermee", "Habilitation fermée"
        HABILITATION_REOPENED = "habilitation_rouverte", "Habilitation rouverte"
        ACCESS_REFUSED = "acces_refuse", "Accès refusé"
        PROFESSIONAL_REGISTERED = "professionnel_enregistre", "Enregistrement d'un professionnel"
        REGISTRATION_REQUESTED = "preinscription", "Pré-inscription d'un professionnel"
        REGISTRATION_REJECTED = "demande_rejetee", "Demande d'enregistrement rejetée"
        REGISTRATION_WITHDRAWN = "demande_retiree", "Demande d'enregistrement retirée"
        SITUATION_CHANGED = "situation_modifiee", "Situation modifiée"
        SITUATION_CLOSED = "situation_fermee", "Situation fermée"
        SITUATION_WITHDRAWN = "situation_retiree", "Situation retirée (saisie erronée)"
        RECORD_UPDATED = "dossier_modifie", "Dossier modifié par le professionnel"
        EMAIL_CONFIRMED = "email_confirme", "Nouvelle adresse e-mail confirmée"
        FILE_CHECKED = "fichier_verifie", "Fichier vérifié"
        FILE_IMPORTED = "fichier_importe", "Fichier importé"

    class Outcome(models.TextChoices):
        DONE = "ok", "Effectuée"
        REFUSED = "refus", "Refusée"

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    actor = models.CharField("auteur", max_length=200, db_index=True)
    actor_national_id = models.CharField("identifiant national de l'auteur", max_length=40, blank=True)
    action = models.CharField("action", max_length=30, choices=Action.choices, db_index=True)
    outcome = models.CharField("résultat", max_length=5, choices=Outcome.choices, default=Outcome.DONE)
    structure_technical_id = models.CharField("structure", max_length=16, blank=True, db_index=True)
    structure_name = models.CharField("nom de la structure", max_length=200, blank=True)
    contract_id_ref = models.BigIntegerField("contrat", null=True, blank=True)
    target = models.CharField("objet", max_length=300, blank=True)
    message = models.TextField("détail", blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    class Meta:
        verbose_name = "événement du journal d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} — {self.actor} — {self.get_action_display()}"


class RegistrationRequest(models.Model):
    """One professional to register at a structure: typed by a gestionnaire, by the professional, or a file row.

    `data` holds the fields as typed (état civil included: private, never published nor logged). The
    request keeps the outcome of identity resolution and, once registered, the person and situation.
    """

    class Source(models.TextChoices):
        MANAGER = "gestionnaire", "Saisie d'un gestionnaire"
        SELF = "autoinscription", "Pré-inscription par le professionnel"
        FILE = "fichier", "Import d'un fichier"

    class State(models.TextChoices):
        TO_INSTRUCT = "a_instruire", "À instruire par la structure"
        IN_REVIEW = "en_revue", "En attente de la vérification d'identité"
        REGISTERED = "enregistree", "Enregistrée"
        REJECTED = "rejetee", "Rejetée"
        EXPIRED = "expiree", "Expirée"
        WITHDRAWN = "retiree", "Retirée par le professionnel"

    PENDING = (State.TO_INSTRUCT, State.IN_REVIEW)

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+", verbose_name="structure")
    source = models.CharField("origine", max_length=15, choices=Source.choices)
    state = models.CharField("état", max_length=12, choices=State.choices)
    data = models.JSONField("données saisies")
    identity_key = models.CharField("clé d'identité", max_length=300, db_index=True)
    submitted_by = models.CharField("saisi par", max_length=200)
    submitted_national_id = models.CharField("identifiant national de l'auteur", max_length=40, blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="registration_requests"
    )
    review_case = models.ForeignKey(
        "identity.ReviewCase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    activity = models.ForeignKey("registry.Activity", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField("résultat de la résolution d'identité", max_length=10, blank=True)
    rejection_reason = models.TextField("motif du rejet", blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decided_by = models.CharField("décidée par", max_length=200, blank=True)
    expires_at = models.DateTimeField("expire le", null=True, blank=True)

    class Meta:
        verbose_name = "demande d'enregistrement"
        verbose_name_plural = "demandes d'enregistrement"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Demande n° {self.pk} — {self.get_state_display()}"

    @property
    def display_name(self) -> str:
        return f"{self.data.get('exercise_first_name', '')} {self.data.get('exercise_last_name', '')}".strip()

    @property
    def shown_state(self) -> str:
        """The state as users must see it: past its expiry, a request is expired even before the daily
        job records it (pages never write)."""
        if self.state == self.State.TO_INSTRUCT and self.expires_at and self.expires_at < timezone.now():
            return self.State.EXPIRED
        return self.state

    @property
    def shown_state_display(self) -> str:
        return self.State(self.shown_state).label


class BulkImport(models.Model):
    """A file of professionals: validated and resolved first (report), written only when confirmed."""

    class State(models.TextChoices):
        CHECKING = "verification", "Vérification en cours"
        READY = "pret", "Rapport prêt"
        REFUSED = "refuse", "Fichier refusé"
        APPLYING = "import", "Import en cours"
        APPLIED = "importe", "Importé"
        INTERRUPTED = "interrompu", "Vérification interrompue"
        EXPIRED = "expire", "Non confirmé à temps (lignes effacées)"

    uploaded_by = models.CharField("déposé par", max_length=200)
    national_id = models.CharField("identifiant national du déposant", max_length=40, db_index=True)
    filename = models.CharField("nom du fichier", max_length=255)
    sha256 = models.CharField("empreinte", max_length=64)
    state = models.CharField("état", max_length=12, choices=State.choices, default=State.CHECKING)
    message = models.TextField("message", blank=True)
    total_rows = models.PositiveIntegerField("lignes", default=0)
    done_rows = models.PositiveIntegerField("lignes traitées", default=0)
    # Per row: line, status, errors [(column, message)], rpps; and the cleaned values (private),
    # dropped once the import is applied.
    report = models.JSONField("rapport", default=list)
    rows = models.JSONField("lignes valides", default=list)
    counts = models.JSONField("bilan", default=dict)
    created_at = models.DateTimeField("déposé le", auto_now_add=True)
    applied_at = models.DateTimeField("importé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de fichier"
        verbose_name_plural = "imports de fichiers"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"
