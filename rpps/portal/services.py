"""Contract and habilitation workflows. Views and the operator console call these, nothing else writes.

Each action runs in one transaction and writes its audit event in it; a refusal raises `Refused`
with a French message, writes nothing of the action, and leaves a "refused" audit event.
"""

import secrets
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone

from rpps.registry import identifiers
from rpps.registry.models import Person, Structure

from . import audit, notify, permissions
from .audit import Who
from .models import (
    ESMS_SECTORS,
    PHARMACY_SECTORS,
    Account,
    AuditEvent,
    Contract,
    ContractSite,
    Habilitation,
    RegistrationRequest,
)

Action = AuditEvent.Action

IDENTIFIER_TYPES = {
    "FINESS": "FINESS (juridique ou géographique)",
    "SIRET": "SIRET",
    "SIREN": "SIREN",
}


class Refused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@contextmanager
def audited(who: Who, action: str, **context):
    """Runs the action in a transaction; on refusal, rolls it back and records the attempt."""
    try:
        with transaction.atomic():
            yield
    except Refused as exc:
        audit.record(who, action, refused=True, message=exc.message, **context)
        raise


def find_structure(identifier_type: str, value: str) -> Structure:
    """The registry structure an identifier designates, or Refused with the reason."""
    try:
        if identifier_type == "FINESS":
            number = identifiers.validate_finess(value)
            found = Structure.objects.filter(finess=number).first()
        elif identifier_type == "SIRET":
            number = identifiers.validate_siret(value)
            found = Structure.objects.filter(siret=number).order_by("-is_legal_entity", "pk").first()
        elif identifier_type == "SIREN":
            number = identifiers.validate_siren(value)
            found = Structure.objects.filter(siren=number).order_by("-is_legal_entity", "pk").first()
        else:
            raise Refused("Choisissez le type d'identifiant : FINESS, SIRET ou SIREN.", "identifier_type")
    except identifiers.InvalidIdentifier as exc:
        raise Refused(str(exc), "identifier") from exc
    if found is None:
        raise Refused(
            f"Aucune structure de numéro {identifier_type} {number} n'est connue du répertoire. "
            "Vérifiez le numéro ; une structure absent du répertoire doit d'abord y être enregistrée (FINESS, INSEE).",
            "identifier",
        )
    return found


def covering_contract(structure: Structure, exclude: Contract | None = None) -> Contract | None:
    """A requested or active contract that already covers this structure, if any."""
    live = Contract.objects.filter(state__in=Contract.LIVE_STATES)
    if exclude is not None:
        live = live.exclude(pk=exclude.pk)
    candidates = [structure.pk] + ([structure.legal_entity_id] if structure.legal_entity_id else [])
    return (
        live.filter(structure_id__in=candidates).first()
        or live.filter(added_sites__structure=structure).first()
        # A legal entity whose site already signed on its own.
        or live.filter(structure__legal_entity=structure).first()
    )


def request_contract(who: Who, *, identifier_type: str, identifier: str, data: dict, evidence=None) -> Contract:
    """A structure asks for a contract. `data`: the representative's and contacts' fields; `evidence`:
    (kind, checked file) proving the representative's authority, kept for the operator who decides."""
    with audited(who, Action.CONTRACT_REQUESTED, target=f"{identifier_type} {identifier}"[:300]):
        if who.account is None:
            raise Refused("Connectez-vous avec Pro Santé Connect pour demander un contrat.")
        structure = find_structure(identifier_type, identifier)
        if not structure.is_legal_entity and structure.legal_entity_id:
            legal_entity = structure.legal_entity
            if legal_entity.sites.count() > 1:
                raise Refused(
                    f"Cette structure est un site de l'entité juridique « {legal_entity.name} », qui a plusieurs "
                    f"sites : le contrat se signe avec son FINESS juridique ou son SIREN ({_identifier(legal_entity)}) "
                    "et couvre tous ses sites.",
                    "identifier",
                )
        existing = covering_contract(structure)
        if existing is not None:
            raise Refused(
                f"Une demande de contrat ou un contrat actif existe déjà pour « {existing.structure.name} » "
                f"(contrat n° {existing.pk}, {existing.get_state_display().lower()}) : une seule demande par entité "
                "juridique. Adressez-vous à son représentant légal.",
                "identifier",
            )
        try:
            national = identifiers.parse_national_id(data["representative_national_id"])
        except identifiers.InvalidIdentifier as exc:
            raise Refused(str(exc), "representative_national_id") from exc
        function = data["representative_function"]
        if function == Contract.Function.PHARMACY_OWNER and structure.sector_code not in PHARMACY_SECTORS:
            raise Refused(
                "La fonction « titulaire d'officine » est réservée aux pharmacies d'officine.",
                "representative_function",
            )
        fields = {k: v for k, v in data.items() if k != "representative_national_id"}
        try:
            with transaction.atomic():
                contract = Contract.objects.create(
                    structure=structure,
                    representative_national_id=national.value,
                    requested_by=who.account,
                    **fields,
                )
        except IntegrityError as exc:  # a concurrent request won the race
            raise Refused("Une demande de contrat existe déjà pour cette structure.", "identifier") from exc
        if evidence is not None:
            kind, document = evidence
            contract.evidence_kind = kind
            # a name that says nothing of its content and cannot be guessed
            name = f"contrat-{contract.pk}-{secrets.token_hex(8)}{document.evidence_extension}"
            contract.evidence.save(name, document, save=False)
            contract.save(update_fields=["evidence_kind", "evidence"])
        audit.record(who, Action.CONTRACT_REQUESTED, contract=contract, target=f"contrat n° {contract.pk}")
        return contract


def _identifier(structure: Structure) -> str:
    if structure.finess:
        return f"FINESS {structure.finess}"
    if structure.siren:
        return f"SIREN {structure.siren}"
    return structure.technical_id


def _locked_in(contract: Contract, state: str, refusal: str) -> Contract:
    """The contract, locked for the transition, if it is in `state`; else Refused ({} = its state)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.state != state:
        raise Refused(refusal.format(contract.get_state_display()))
    return contract


def _decide(who: Who, contract: Contract, state: str) -> None:
    contract.state = state
    contract.decided_by = who.label
    contract.decided_at = timezone.now()
    contract.save()


def approve_contract(who: Who, contract: Contract) -> Habilitation:
    with audited(who, Action.CONTRACT_APPROVED, contract=contract):
        contract = _locked_in(
            contract, Contract.State.REQUESTED, "Seule une demande peut être approuvée ; ce contrat est {}."
        )
        _decide(who, contract, Contract.State.ACTIVE)
        kind = (
            Habilitation.Kind.PHARMACY_OWNER
            if contract.representative_function == Contract.Function.PHARMACY_OWNER
            else Habilitation.Kind.REPRESENTATIVE
        )
        habilitation = Habilitation.objects.create(
            contract=contract,
            structure=contract.structure,
            kind=kind,
            national_id=contract.representative_national_id,
            family_name=contract.representative_family_name,
            given_name=contract.representative_given_name,
            person=_person_of(contract.representative_national_id),
            email=contract.representative_email,
            phone=contract.representative_phone,
            opened_by=who.label,
        )
        audit.record(who, Action.CONTRACT_APPROVED, contract=contract, target=f"contrat n° {contract.pk}")
        notify.contract_decided(contract)
        audit.record(
            who,
            Action.HABILITATION_OPENED,
            contract=contract,
            target=_named(habilitation),
        )
        return habilitation


def reject_contract(who: Who, contract: Contract, reason: str) -> Contract:
    with audited(who, Action.CONTRACT_REJECTED, contract=contract):
        reason = (reason or "").strip()
        if not reason:
            raise Refused("Indiquez le motif du rejet : le demandeur le verra.", "reason")
        contract = _locked_in(
            contract, Contract.State.REQUESTED, "Seule une demande peut être rejetée ; ce contrat est {}."
        )
        contract.rejection_reason = reason
        _decide(who, contract, Contract.State.REJECTED)
        audit.record(
            who, Action.CONTRACT_REJECTED, contract=contract, target=f"contrat n° {contract.pk}", message=reason
        )
        notify.contract_decided(contract)
        return contract


def terminate_contract(who: Who, contract: Contract) -> Contract:
    with audited(who, Action.CONTRACT_TERMINATED, contract=contract):
        contract = _locked_in(
            contract, Contract.State.ACTIVE, "Seul un contrat actif peut être résilié ; ce contrat est {}."
        )
        contract.state = Contract.State.TERMINATED
        contract.terminated_at = timezone.now()
        contract.save()
        for habilitation in contract.habilitations.filter(state=Habilitation.State.OPEN):
            _close(who, habilitation)
        audit.record(who, Action.CONTRACT_TERMINATED, contract=contract, target=f"contrat n° {contract.pk}")
        return contract


def add_site(who: Who, contract: Contract, identifier_type: str, identifier: str) -> ContractSite:
    with audited(who, Action.SITE_ADDED, contract=contract, target=f"{identifier_type} {identifier}"[:300]):
        contract = Contract.objects.select_related("structure").get(pk=contract.pk)  # the state as of now
        if contract.state != Contract.State.ACTIVE or not permissions.acts_for(who.national_id, contract):
            raise Refused("Vous ne représentez pas cette structure : vous ne pouvez pas lui ajouter de site.")
        site = find_structure(identifier_type, identifier)
        if contract.covers(site):
            raise Refused(f"« {site.name} » est déjà couvert par ce contrat.", "identifier")
        other = covering_contract(site, exclude=contract)
        if other is not None:
            raise Refused(
                f"« {site.name} » est déjà couvert par un autre contrat (n° {other.pk}).",
                "identifier",
            )
        if site.legal_entity_id and site.legal_entity_id != contract.structure_id:
            raise Refused(
                f"« {site.name} » dépend d'une autre entité juridique ({site.legal_entity.name}) : "
                "c'est elle qui signe pour ce site.",
                "identifier",
            )
        added = ContractSite.objects.create(contract=contract, structure=site, added_by=who.label)
        audit.record(who, Action.SITE_ADDED, contract=contract, structure=site, target=str(site))
        return added


def site_in_use(added: ContractSite) -> str:
    """Why a site added to a contract cannot be taken back ("" when it can): a habilitation or a
    registration made there depends on it."""
    if Habilitation.objects.filter(
        contract=added.contract, structure=added.structure, state=Habilitation.State.OPEN
    ).exists():
        return "une habilitation ouverte porte sur ce site"
    if (
        RegistrationRequest.objects.filter(structure=added.structure)
        .exclude(
            state__in=[
                RegistrationRequest.State.REJECTED,
                RegistrationRequest.State.EXPIRED,
                RegistrationRequest.State.WITHDRAWN,
            ]
        )
        .exists()
    ):
        return "des professionnels y sont enregistrés ou en cours d'enregistrement"
    return ""


def remove_site(who: Who, added: ContractSite) -> None:
    """A site added by mistake is taken back, while nothing done on the portal depends on it."""
    contract = added.contract
    with audited(who, Action.SITE_REMOVED, contract=contract, structure=added.structure, target=str(added.structure)):
        added = ContractSite.objects.select_for_update().select_related("contract", "structure").get(pk=added.pk)
        if contract.state != Contract.State.ACTIVE or not permissions.acts_for(who.national_id, contract):
            raise Refused("Vous ne représentez pas cette structure : vous ne pouvez pas retirer ce site.")
        reason = site_in_use(added)
        if reason:
            raise Refused(f"« {added.structure.name} » ne peut pas être retiré du contrat : {reason}.")
        added.delete()
        audit.record(
            who, Action.SITE_REMOVED, contract=contract, structure=added.structure, target=str(added.structure)
        )


def _person_of(national_id: str) -> Person | None:
    if national_id.startswith(identifiers.IDNPS_RPPS_PREFIX) and len(national_id) == 12:
        return Person.objects.current().filter(rpps=national_id[1:]).first()
    return None


def exercise_names(person: Person) -> tuple[str, str]:
    """The public names of a professional (names of exercise), never the civil-status ones."""
    exercise = person.exercises.order_by("pk").first()
    if exercise is None:
        return "", ""
    return exercise.last_name, exercise.first_name


def _check_designation(who: Who, contract, structure, kind, email, phone, training_date, terms_accepted) -> None:
    """What a designation must satisfy, each refusal with its French message and the field it is about."""
    if not permissions.can_designate(who.national_id, contract, kind):
        raise Refused(
            "Vous ne pouvez pas désigner de mandataire pour cette structure : seul son représentant légal le peut."
            if kind == Habilitation.Kind.MANDATARY
            else "Vous ne représentez pas cette structure : vous ne pouvez pas y désigner de gestionnaire."
        )
    if not contract.covers(structure):
        raise Refused(f"« {structure.name} » n'est pas couvert par ce contrat.", "structure")
    if kind == Habilitation.Kind.MANDATARY and structure.pk != contract.structure_id:
        raise Refused("Un mandataire est désigné pour toute la structure contractante.", "structure")
    if not (email or phone):
        raise Refused("Indiquez l'adresse e-mail ou le téléphone de la personne désignée.", "email")
    esms = contract.is_esms if structure.pk == contract.structure_id else structure.sector_code in ESMS_SECTORS
    if kind == Habilitation.Kind.MANAGER and esms and training_date is None:
        raise Refused(
            "Pour une structure sociale ou médico-sociale, indiquez la date de la formation de gestionnaire "
            "RPPS+ suivie par la personne désignée.",
            "training_date",
        )
    if training_date is not None and training_date > timezone.localdate():
        raise Refused("La date de formation ne peut pas être dans le futur.", "training_date")
    if not terms_accepted:
        raise Refused("Acceptez les conditions générales d'utilisation pour envoyer la demande.", "terms")


def designate(
    who: Who,
    *,
    contract: Contract,
    structure: Structure,
    kind: str,
    person: Person,
    email: str = "",
    phone: str = "",
    training_date=None,
    terms_accepted: bool = False,
) -> Habilitation:
    """A representative or mandataire designates a mandataire or a gestionnaire RPPS+."""
    with audited(
        who,
        Action.HABILITATION_OPENED,
        structure=structure,
        contract=contract,
        target=f"{Habilitation.Kind(kind).label} : {identifiers.IDNPS_RPPS_PREFIX}{person.rpps}",
    ):
        contract = Contract.objects.select_related("structure").get(pk=contract.pk)  # the state as of now
        _check_designation(who, contract, structure, kind, email, phone, training_date, terms_accepted)
        person = Person.objects.current().filter(pk=person.pk).first()
        if person is None:
            raise Refused("Ce professionnel n'est plus actif dans le répertoire.")
        national_id = identifiers.IDNPS_RPPS_PREFIX + person.rpps
        family_name, given_name = exercise_names(person)
        if Habilitation.objects.filter(
            structure=structure, national_id=national_id, kind=kind, state=Habilitation.State.OPEN
        ).exists():
            raise Refused("Cette personne a déjà cette habilitation ouverte sur cette structure.")
        habilitation = Habilitation.objects.create(
            contract=contract,
            structure=structure,
            kind=kind,
            national_id=national_id,
            family_name=family_name,
            given_name=given_name,
            person=person,
            email=email,
            phone=phone,
            training_date=training_date,
            terms_accepted_at=timezone.now(),
            opened_by=who.label,
        )
        _recorded(who, Action.HABILITATION_OPENED, habilitation, "ouverte")
        return habilitation


CANNOT_CLOSE = "Vous ne pouvez pas fermer cette habilitation."
CANNOT_REOPEN = "Seule la personne qui a fermé cette habilitation peut la rouvrir, tant qu'elle gère le contrat."


def close_habilitation(who: Who, habilitation: Habilitation, *, operator: bool = False) -> Habilitation:
    with audited(who, Action.HABILITATION_CLOSED, structure=habilitation.structure, contract=habilitation.contract):
        habilitation = Habilitation.objects.select_for_update().get(pk=habilitation.pk)
        if habilitation.state != Habilitation.State.OPEN:
            raise Refused("Cette habilitation est déjà fermée.")
        if not operator and not permissions.can_close(who.national_id, habilitation):
            raise Refused(CANNOT_CLOSE)
        _close(who, habilitation)
        return habilitation


def _recorded(who: Who, action: str, habilitation: Habilitation, verb: str) -> None:
    """A habilitation opened, closed or reopened: in the audit log, and told to the person by e-mail."""
    audit.record(
        who, action, structure=habilitation.structure, contract=habilitation.contract, target=_named(habilitation)
    )
    notify.habilitation_changed(habilitation, verb)


def _named(habilitation: Habilitation) -> str:
    """How the audit log names a habilitation: kind, person, national identifier."""
    return (
        f"{habilitation.get_kind_display()} : {habilitation.given_name} {habilitation.family_name} "
        f"({habilitation.national_id})"
    )


def reopen_habilitation(who: Who, habilitation: Habilitation) -> Habilitation:
    """Who closed a habilitation (by mistake) opens it again, while they still manage it."""
    with audited(who, Action.HABILITATION_REOPENED, structure=habilitation.structure, contract=habilitation.contract):
        habilitation = Habilitation.objects.select_for_update().get(pk=habilitation.pk)
        if habilitation.state != Habilitation.State.CLOSED:
            raise Refused("Cette habilitation est déjà ouverte.")
        if habilitation.pk not in permissions.reopenable(who.national_id, [habilitation]):
            raise Refused(CANNOT_REOPEN)
        if Habilitation.objects.filter(
            structure=habilitation.structure,
            national_id=habilitation.national_id,
            kind=habilitation.kind,
            state=Habilitation.State.OPEN,
        ).exists():
            raise Refused("Cette personne a déjà cette habilitation ouverte sur cette structure.")
        habilitation.state = Habilitation.State.OPEN
        habilitation.closed_by, habilitation.closed_by_national_id, habilitation.closed_at = "", "", None
        habilitation.save()
        _recorded(who, Action.HABILITATION_REOPENED, habilitation, "rouverte")
        return habilitation


def _close(who: Who, habilitation: Habilitation):
    habilitation.state = Habilitation.State.CLOSED
    habilitation.closed_by = who.label
    habilitation.closed_by_national_id = who.national_id
    habilitation.closed_at = timezone.now()
    habilitation.save()
    _recorded(who, Action.HABILITATION_CLOSED, habilitation, "fermée")


def sign_in(who: Who, claims: dict, user_model) -> Account:
    """Creates or refreshes the portal account of a Pro Santé Connect identity."""
    subject_id = claims.get("SubjectNameID") or ""
    key = subject_id or claims["sub"]
    with transaction.atomic():
        account = Account.objects.select_related("user").filter(subject=key).first()
        if account is None:
            user = user_model.objects.create(username=f"psc:{key}"[:150])
            user.set_unusable_password()
            user.save()
            account = Account(user=user, subject=key)
        account.national_id = subject_id
        account.family_name = (claims.get("family_name") or "")[:150]
        account.given_name = (claims.get("given_name") or "")[:150]
        # A person registered through their own request keeps the link until PSC sends their number.
        account.person = _person_of(subject_id) or (account.person if not subject_id else None)
        account.last_acr = (claims.get("acr") or "")[:20]
        account.save()
        audit.record(
            Who(str(account), account.national_id, who.ip), Action.SIGN_IN, target=f"niveau {account.last_acr}"
        )
    return account
