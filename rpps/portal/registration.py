"""Registering professionals and keeping their situations up to date (reference/portal.md §1.4–1.7).

Every registration goes through identity resolution (`rpps.identity.services.register_person`):
MATCH adds a situation to the existing RPPS number, NO_MATCH creates a new number, POSSIBLE puts the
request on hold until an operator decides (the identity app's `request_decided` signal finishes it).
Registry writes are attributed to the portal user; each action writes its audit event; refusals
raise `Refused` with a French message and write nothing.
"""

import datetime
import hashlib

from django.core import signing
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from rpps.identity import services as identity
from rpps.identity.normalize import normalize_given_names, normalize_name
from rpps.identity.scoring import MATCH, NO_MATCH, POSSIBLE
from rpps.identity.traits import Traits
from rpps.nomenclatures.catalog import ROLE_PROFESSION
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Activity, Exercise, Person, Structure

from . import audit, notify, permissions
from .audit import Who
from .models import AuditEvent, Contract, RegistrationRequest
from .services import Refused, audited, covering_contract, find_structure

Action = AuditEvent.Action
REGISTRATION_AUTHORITY = "RPPS+"
SELF_REQUEST_DAYS = 30
ALREADY = "DEJA"  # the same situation is already registered: nothing to write

PERSON_FIELDS = (
    "civility_code",
    "birth_name",
    "given_names",
    "usage_name",
    "sex_code",
    "birth_date",
    "birth_place_code",
    "birth_city_abroad",
)


def jsonable(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in data.items() if k != "structure"}


def _date(value):
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def identity_key(data: dict) -> str:
    given = normalize_given_names(data.get("given_names", "")).split(" ")[0]
    return f"{normalize_name(data.get('birth_name', ''))}|{given}|{_date(data.get('birth_date'))}"


def traits_of(data: dict) -> Traits:
    return Traits.parse(
        nom=data["birth_name"],
        prenoms=data["given_names"],
        sexe=data["sex_code"],
        date_naissance=_date(data["birth_date"]),
        lieu_naissance=data.get("birth_place_code", ""),
    )


def person_fields(data: dict) -> dict:
    fields = {name: data.get(name) or "" for name in PERSON_FIELDS}
    fields["birth_date"] = _date(data["birth_date"])
    fields["given_names"] = " ".join(fields["given_names"].split())
    fields["email"], fields["phone"] = data.get("email", ""), data.get("phone", "")
    return fields


def actor_for(who: Who) -> Actor:
    if who.user is not None:
        return Actor("user", who.label[:150], who.user.pk)
    return Actor.system(who.label[:150])


def _check_may_register(who: Who, structure: Structure):
    if not permissions.manages(who.national_id, structure):
        raise Refused(
            f"Vous n'êtes pas habilité(e) sur « {structure.name} » : vous ne pouvez pas y enregistrer de professionnel.",
            "structure",
        )


PENDING_MESSAGE = (
    "Une demande est déjà en cours pour ce professionnel (vérification d'identité ou instruction) : "
    "une seule demande à la fois. Elle doit être traitée avant toute nouvelle demande."
)


def pending_keys(keys) -> set[str]:
    """The identity keys among ``keys`` with a request waiting (one query: a file's check asks for all)."""
    pending = RegistrationRequest.objects.filter(identity_key__in=list(keys), state__in=RegistrationRequest.PENDING)
    return set(pending.values_list("identity_key", flat=True))


def _check_nothing_pending(key: str, exclude: RegistrationRequest | None = None):
    pending = RegistrationRequest.objects.filter(identity_key=key, state__in=RegistrationRequest.PENDING)
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    if pending.exists():
        raise Refused(PENDING_MESSAGE)


def new_exercise(person: Person, data: dict) -> Exercise:
    """The exercise (profession 99, unsaved) a registration at a structure gives a person who has none."""
    exercise = Exercise(
        person=person,
        profession_code=ROLE_PROFESSION,
        category_code=data["category_code"],
        exercise_civility_code="",
        last_name=data["exercise_last_name"],
        first_name=data["exercise_first_name"],
        registration_authority=REGISTRATION_AUTHORITY,
    )
    # its one constraint (one exercise per profession) is what the caller looked up before
    exercise.full_clean(exclude=["person"], validate_unique=False, validate_constraints=False)
    return exercise


def new_activity(exercise: Exercise, structure: Structure, data: dict) -> Activity:
    """The situation (unsaved) a registration describes."""
    return Activity(
        exercise=exercise,
        structure=structure,
        mode_code=data["mode_code"],
        genre_code=data["genre_code"],
        role_code=data["role_code"],
        start_date=_date(data["start_date"]),
        end_date=_date(data.get("end_date")),
    )


def _attach(person: Person, data: dict, structure: Structure) -> tuple[Activity | None, bool]:
    """The exercise (profession 99 + role) and the situation at the structure; (activity, created)."""
    exercise = Exercise.objects.filter(person=person, profession_code=ROLE_PROFESSION).first()
    if exercise is None:
        exercise = new_exercise(person, data)
        exercise.save()
    activity = new_activity(exercise, structure, data)
    existing = Activity.objects.filter(
        exercise=exercise, structure=structure, role_code=activity.role_code, start_date=activity.start_date
    ).first()
    if existing is not None:
        return existing, False
    activity.full_clean()
    activity.save()
    if not person.email and data.get("email") or not person.phone and data.get("phone"):
        # Contacts typed by the structure fill in what the record lacks; existing ones are the
        # professional's own and stay.
        person.email = person.email or data.get("email", "")
        person.phone = person.phone or data.get("phone", "")
        person.save()
    return activity, True


def _complete(request: RegistrationRequest, person: Person, who_label: str) -> RegistrationRequest:
    structure = request.structure
    activity, created = _attach(person, request.data, structure)
    request.person, request.activity = person, activity
    request.state = RegistrationRequest.State.REGISTERED
    request.decided_at = timezone.now()
    request.decided_by = who_label
    if not created:
        request.outcome = ALREADY
    request.save()
    if created:
        notify.registered(person, structure, by_self=False)
    return request


def register(
    who: Who,
    data: dict,
    structure: Structure,
    *,
    source: str = RegistrationRequest.Source.MANAGER,
    request: RegistrationRequest | None = None,
    permission_checked: bool = False,
) -> RegistrationRequest:
    """A gestionnaire registers (or, for a professional's request, validates) one professional.
    ``permission_checked``: the caller checked ``_check_may_register`` in this transaction (a file's rows)."""
    target = f"{data.get('exercise_first_name', '')} {data.get('exercise_last_name', '')}".strip()
    with audited(who, Action.PROFESSIONAL_REGISTERED, structure=structure, target=target):
        if not permission_checked:
            _check_may_register(who, structure)
        key = identity_key(data)
        _check_nothing_pending(key, exclude=request)
        stored = jsonable(data)
        if request is None:
            request = RegistrationRequest(
                structure=structure,
                source=source,
                data=stored,
                identity_key=key,
                state=RegistrationRequest.State.TO_INSTRUCT,
                submitted_by=who.label[:200],
                submitted_national_id=who.national_id,
            )
        else:
            request.data, request.identity_key, request.structure = stored, key, structure
        with acting_as(actor_for(who), f"Enregistrement RPPS+ à {structure.name}"[:300]):
            outcome = identity.register_person(traits_of(data), person_fields(data))
            request.outcome = outcome.outcome
            if outcome.outcome == POSSIBLE:
                request.state = RegistrationRequest.State.IN_REVIEW
                request.review_case = outcome.case
                request.save()
            else:
                request.save()  # _complete needs its primary key: it sets the final state
                _complete(request, outcome.person, who.label)
        message = {MATCH: "numéro RPPS existant", NO_MATCH: "nouveau numéro RPPS", POSSIBLE: "identité à vérifier"}
        detail = message.get(outcome.outcome, "")
        if request.outcome == ALREADY:
            detail = "situation déjà enregistrée"
        target = f"{target} (RPPS {request.person.rpps})" if request.person else target
        audit.record(who, Action.PROFESSIONAL_REGISTERED, structure=structure, target=target, message=detail)
        return request


@receiver(identity.request_decided)
def _finish_reviewed_request(sender, case, person, **kwargs):
    """An operator decided an identity the portal had put on hold: register the situation now."""
    for request in RegistrationRequest.objects.filter(review_case=case, state=RegistrationRequest.State.IN_REVIEW):
        request.outcome = MATCH if case.status == case.Status.SAME else NO_MATCH
        _complete(request, person, f"vérification d'identité ({case.decided_by or 'opérateur'})")
        audit.record(
            Who("opérateur " + (case.decided_by.get_username() if case.decided_by else "")),
            Action.PROFESSIONAL_REGISTERED,
            structure=request.structure,
            target=f"{request.display_name} (RPPS {person.rpps})",
            message="après vérification d'identité",
        )


# --- Self pre-registration ---------------------------------------------------------------------


def request_registration(who: Who, data: dict, identifier_type: str, identifier: str) -> RegistrationRequest:
    """A professional without an RPPS number asks the structure that employs them to register them."""
    with audited(who, Action.REGISTRATION_REQUESTED, target=f"{identifier_type} {identifier}"[:300]):
        if who.account is None:
            raise Refused("Connectez-vous pour déposer votre demande.")
        if who.account.person_id:
            raise Refused("Vous avez déjà un numéro RPPS : votre structure peut vous ajouter une situation.")
        if RegistrationRequest.objects.filter(account=who.account, state__in=RegistrationRequest.PENDING).exists():
            raise Refused("Vous avez déjà une demande en cours : attendez qu'elle soit instruite.")
        structure = find_structure(identifier_type, identifier)
        contract = covering_contract(structure)
        if contract is None or contract.state != Contract.State.ACTIVE:
            raise Refused(
                f"« {structure.name} » n'a pas de contrat RPPS+ actif : elle ne peut pas encore instruire de demande. "
                "Rapprochez-vous de sa direction.",
                "identifier",
            )
        key = identity_key(data)
        _check_nothing_pending(key)
        request = RegistrationRequest.objects.create(
            structure=structure,
            source=RegistrationRequest.Source.SELF,
            state=RegistrationRequest.State.TO_INSTRUCT,
            data=jsonable(data),
            identity_key=key,
            submitted_by=who.label[:200],
            account=who.account,
            expires_at=timezone.now() + datetime.timedelta(days=SELF_REQUEST_DAYS),
        )
        audit.record(who, Action.REGISTRATION_REQUESTED, structure=structure, target=f"demande n° {request.pk}")
        return request


def withdraw_request(who: Who, request: RegistrationRequest) -> RegistrationRequest:
    """The professional takes back their own request while no one has instructed it."""
    with audited(who, Action.REGISTRATION_WITHDRAWN, structure=request.structure, target=f"demande n° {request.pk}"):
        request = RegistrationRequest.objects.select_for_update().get(pk=request.pk)
        if who.account is None or request.account_id != who.account.pk:
            raise Refused("Seul le professionnel qui a déposé cette demande peut la retirer.")
        if request.shown_state != RegistrationRequest.State.TO_INSTRUCT:
            raise Refused("Cette demande n'est plus en attente : elle ne peut plus être retirée.")
        request.state = RegistrationRequest.State.WITHDRAWN
        request.decided_at = timezone.now()
        request.decided_by = who.label[:200]
        request.save(update_fields=["state", "decided_at", "decided_by"])
        audit.record(who, Action.REGISTRATION_WITHDRAWN, structure=request.structure, target=f"demande n° {request.pk}")
    return request


def expire_requests(now=None) -> int:
    """Professionals' requests not instructed within 30 days expire (a daily job, `portal.expire_requests`)."""
    now = now or timezone.now()
    return RegistrationRequest.objects.filter(state=RegistrationRequest.State.TO_INSTRUCT, expires_at__lt=now).update(
        state=RegistrationRequest.State.EXPIRED, decided_at=now, decided_by="expiration (30 jours)"
    )


def instructable(national_id: str):
    # Past their expiry, requests are no longer offered even before the daily job marks them: a read never writes.
    return RegistrationRequest.objects.filter(
        state=RegistrationRequest.State.TO_INSTRUCT,
        expires_at__gte=timezone.now(),
        source=RegistrationRequest.Source.SELF,
        structure__in=permissions.managed_structures(national_id),
    )


def validate_request(who: Who, request: RegistrationRequest, data: dict, structure: Structure) -> RegistrationRequest:
    """The gestionnaire validates a professional's request, as typed or corrected."""
    request = RegistrationRequest.objects.get(pk=request.pk)
    if request.state != RegistrationRequest.State.TO_INSTRUCT or (
        request.expires_at and request.expires_at < timezone.now()
    ):
        raise Refused("Cette demande n'est plus à instruire (déjà traitée ou expirée).")
    registered = register(who, data, structure, source=RegistrationRequest.Source.SELF, request=request)
    if registered.person_id and request.account_id:
        account = request.account
        account.person = registered.person
        account.save(update_fields=["person"])
    return registered


def reject_request(who: Who, request: RegistrationRequest, reason: str) -> RegistrationRequest:
    with audited(who, Action.REGISTRATION_REJECTED, structure=request.structure, target=f"demande n° {request.pk}"):
        reason = (reason or "").strip()
        if not reason:
            raise Refused("Indiquez le motif du rejet : le demandeur le verra.", "reason")
        if not instructable(who.national_id).filter(pk=request.pk).exists():
            raise Refused("Cette demande n'est plus à instruire, ou pas par vous.")
        request.state = RegistrationRequest.State.REJECTED
        request.rejection_reason = reason
        request.decided_at, request.decided_by = timezone.now(), who.label[:200]
        request.save()
        audit.record(
            who,
            Action.REGISTRATION_REJECTED,
            structure=request.structure,
            target=f"demande n° {request.pk}",
            message=reason,
        )
        return request


# --- Keeping situations up to date ---------------------------------------------------------------


def managed_activities(national_id: str):
    """Situations of RPPS+ professionals at the structures this user manages."""
    return Activity.objects.of_current_persons().filter(
        structure__in=permissions.managed_structures(national_id), exercise__profession_code=ROLE_PROFESSION
    )


def change_situation(who: Who, activity: Activity, values: dict) -> Activity:
    person = activity.exercise.person
    target = f"RPPS {person.rpps}"
    with audited(who, Action.SITUATION_CHANGED, structure=activity.structure, target=target):
        if not managed_activities(who.national_id).filter(pk=activity.pk).exists():
            raise Refused("Cette situation n'est pas celle d'une structure où vous êtes habilité(e).")
        if RegistrationRequest.objects.filter(person=person, state__in=RegistrationRequest.PENDING).exists():
            raise Refused("Une demande est déjà en cours pour ce professionnel : une seule à la fois.")
        with acting_as(actor_for(who), f"Mise à jour RPPS+ par {activity.structure.name}"[:300]):
            activity = Activity.objects.select_for_update().get(pk=activity.pk)
            exercise = activity.exercise
            previous_email = person.email
            changed = []
            for field, attr, obj in (
                ("exercise_last_name", "last_name", exercise),
                ("exercise_first_name", "first_name", exercise),
                ("role_code", "role_code", activity),
                ("start_date", "start_date", activity),
                ("end_date", "end_date", activity),
                ("phone", "phone", person),
            ):
                if getattr(obj, attr) != values[field]:
                    setattr(obj, attr, values[field])
                    changed.append(field)
            asked = _email_change(who, person, values["email"], activity.structure.name)
            if asked is not None:
                changed.append("email (à confirmer par le lien envoyé à la nouvelle adresse)" if asked else "email")
            for obj in (exercise, activity, person):
                obj.full_clean()
                obj.save()
        audit.record(
            who,
            Action.SITUATION_CHANGED,
            structure=activity.structure,
            target=target,
            message=", ".join(changed) or "aucun changement",
        )
        if changed:
            notify.changed(person, activity.structure, "modifiée")
        if asked == "" and previous_email:
            notify.email_replaced(person, previous_email, activity.structure.name)
        return activity


def close_situation(who: Who, activity: Activity, end_date, end_reason_code: str) -> Activity:
    person = activity.exercise.person
    target = f"RPPS {person.rpps}"
    with audited(who, Action.SITUATION_CLOSED, structure=activity.structure, target=target):
        if not managed_activities(who.national_id).filter(pk=activity.pk).exists():
            raise Refused("Cette situation n'est pas celle d'une structure où vous êtes habilité(e).")
        if end_date < activity.start_date:
            raise Refused("La date de fin ne peut pas précéder la date de prise de fonction.", "end_date")
        with acting_as(actor_for(who), f"Fin de situation RPPS+ à {activity.structure.name}"[:300]):
            activity.end_date, activity.end_reason_code = end_date, end_reason_code
            activity.full_clean()
            activity.save()
        audit.record(who, Action.SITUATION_CLOSED, structure=activity.structure, target=target, message=end_reason_code)
        notify.changed(person, activity.structure, "fermée")
        return activity


def withdraw_situation(who: Who, activity: Activity) -> None:
    """A situation entered by mistake (wrong person, wrong site) removed, not ended: it never existed, so
    no end date or reason would be true. The deletion is recorded with what it held (history), the
    RPPS number stays the person's, and the request that created the situation keeps its trace."""
    person = activity.exercise.person
    target = f"RPPS {person.rpps}"
    with audited(who, Action.SITUATION_WITHDRAWN, structure=activity.structure, target=target):
        # managed situations are RPPS+'s own (profession 99): an Order's or the ARS's are never withdrawn here
        if not managed_activities(who.national_id).filter(pk=activity.pk).exists():
            raise Refused("Cette situation n'est pas celle d'une structure où vous êtes habilité(e).")
        reason = f"Situation retirée (saisie erronée) par {activity.structure.name}"[:300]
        with acting_as(actor_for(who), reason):
            RegistrationRequest.objects.filter(activity=activity).update(activity=None)
            Activity.objects.select_for_update().get(pk=activity.pk).delete()
        audit.record(who, Action.SITUATION_WITHDRAWN, structure=activity.structure, target=target)
        notify.changed(person, activity.structure, "retirée (saisie erronée)")


def update_own_record(who: Who, person: Person, values: dict) -> Person:
    """The professional edits their names of exercise and contacts (not their état civil)."""
    with transaction.atomic(), acting_as(actor_for(who), "Modification par le professionnel lui-même"):
        for exercise in person.exercises.all():
            exercise.last_name, exercise.first_name = values["exercise_last_name"], values["exercise_first_name"]
            exercise.full_clean()
            exercise.save()
        previous_email = person.email
        by = "vous-même, sur le portail RPPS+"
        asked = _email_change(who, person, values["email"], by)
        person.phone = values["phone"]
        person.full_clean()
        person.save()
        audit.record(who, Action.RECORD_UPDATED, target=f"RPPS {person.rpps}")
        if asked == "" and previous_email:
            notify.email_replaced(person, previous_email, by)
    return asked or ""


# An e-mail address replaced only once its owner follows a link sent to it: a mistyped address never
# receives the professional's mails, and no one redirects them elsewhere without the new address's owner.
EMAIL_CHANGE_SALT = "rpps.portal.email-change"
EMAIL_CHANGE_DAYS = 7


def _fingerprint(email: str) -> str:
    """The address a link replaces, as the link carries it: not readable (the link goes to another
    address), enough to tell whether the record's address has changed since."""
    return hashlib.sha256(f"{EMAIL_CHANGE_SALT}:{email.lower()}".encode()).hexdigest()[:20]


def _email_change(who: Who, person: Person, email: str, by: str) -> str | None:
    """None when the address does not change; "" when it is removed (done at once); otherwise the new
    address, which receives a confirmation link (the record keeps the old one until it is followed)."""
    if email == person.email:
        return None
    if not email:
        person.email = ""
        return ""
    token = signing.dumps(
        {
            "person": person.pk,
            "email": email,
            "previous": _fingerprint(person.email),
            "by": by,
            "author": {"label": who.label, "national_id": who.national_id, "user": getattr(who.user, "pk", None)},
        },
        salt=EMAIL_CHANGE_SALT,
        compress=True,
    )
    notify.email_confirmation(person, email, token, by, EMAIL_CHANGE_DAYS)
    return email


def pending_email_change(token: str) -> tuple[Person, dict]:
    """The record and the change a confirmation link stands for; Refused with what to do when the link
    is broken, expired, or no longer applies."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=datetime.timedelta(days=EMAIL_CHANGE_DAYS))
    except signing.SignatureExpired:
        raise Refused(
            f"Ce lien a expiré (il est valable {EMAIL_CHANGE_DAYS} jours) : refaites la modification de l'adresse "
            "e-mail sur le portail RPPS+."
        ) from None
    except signing.BadSignature:
        raise Refused(
            "Ce lien n'est pas valable : vérifiez qu'il a été copié en entier depuis le message reçu."
        ) from None
    person = Person.objects.current().filter(pk=data["person"]).first()
    if person is None or _fingerprint(person.email) != data["previous"]:
        raise Refused(
            "Ce lien n'est plus valable : l'adresse e-mail du dossier a changé depuis son envoi. "
            "Refaites la modification sur le portail RPPS+ si elle est toujours souhaitée."
        )
    return person, data


def confirm_email_change(token: str, ip: str | None) -> Person:
    """The new address written, attributed to who asked for it, once the link sent to it is followed."""
    with transaction.atomic():
        person, data = pending_email_change(token)
        person = Person.objects.select_for_update().get(pk=person.pk)
        author = data["author"]
        asked_by = Who.from_json({**author, "ip": ip, "account": None})
        confirmer = Who(f"titulaire de l'adresse {data['email']}", ip=ip)
        with acting_as(actor_for(asked_by), "Adresse e-mail confirmée par le lien envoyé à cette adresse"):
            previous = person.email
            person.email = data["email"]
            person.full_clean()
            person.save()
        audit.record(
            confirmer, Action.EMAIL_CONFIRMED, target=f"RPPS {person.rpps}", message=f"demandé par {author['label']}"
        )
        if previous:
            notify.email_replaced(person, previous, data["by"])
    return person
