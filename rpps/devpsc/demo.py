"""Demo data for the portal: the test identities' persons, two social structures, an active contract.

Everything goes through the same services as real users (identity resolution, contract request,
operator approval, designation), so the demo shows the real workflow's results.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from rpps.identity.services import register_person
from rpps.identity.traits import Traits
from rpps.portal import services
from rpps.portal.audit import Who
from rpps.portal.models import Contract, Habilitation
from rpps.registry import identifiers
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Activity, Exercise, Structure

from .identities import BY_SLUG, claims_for_person


def _finess(body: str) -> str:
    return body + identifiers.luhn_check_digit(body)


DEMO_LEGAL_ENTITY = _finess("49000100")
DEMO_SITE = _finess("49000101")
FREE_LEGAL_ENTITY = _finess("49000200")
FREE_SITE = _finess("49000201")
ROLES = {"representant": "312", "gestionnaire": "312", "professionnel": "313"}


def _structure(finess, name, sector, legal_entity=None) -> Structure:
    found = Structure.objects.filter(finess=finess).first()
    if found:
        return found
    structure = Structure(
        finess=finess,
        name=name,
        sector_code=sector,
        is_legal_entity=legal_entity is None,
        legal_entity=legal_entity,
        street_number="12",
        street_name="rue des Tilleuls",
        postal_code="49000",
        commune_code="49007",
        commune_label="Angers",
        department_code="49",
        department_label="Maine-et-Loire",
    )
    structure.full_clean()
    structure.save()
    return structure


def _person(slug: str, site: Structure):
    identity = BY_SLUG[slug]
    person = identity.person()
    if person is not None:
        return person
    traits = Traits.parse(
        nom=identity.family_name,
        prenoms=identity.given_names,
        sexe=identity.sex,
        date_naissance=identity.birth_date,
        lieu_naissance=identity.birth_place,
    )
    person = register_person(
        traits,
        {
            "birth_name": identity.family_name,
            "given_names": identity.given_names,
            "sex_code": identity.sex,
            "birth_date": identity.birth_date,
            "birth_place_code": identity.birth_place,
            "civility_code": identity.civility,
            "email": f"{slug}@example.org",
            "phone": "0600000000",
        },
    ).person
    exercise = Exercise(
        person=person,
        profession_code="99",
        category_code="C",
        last_name=identity.family_name,
        first_name=identity.given_name,
        registration_authority="RPPS+",
    )
    exercise.full_clean()
    exercise.save()
    activity = Activity(
        exercise=exercise,
        structure=site,
        mode_code="S",
        genre_code="GENR01",
        role_code=ROLES[slug],
        start_date=datetime.date(2024, 1, 1),
    )
    activity.full_clean()
    activity.save()
    return person


@transaction.atomic
def load() -> dict:
    with acting_as(Actor.loader("démo du portail"), "jeu de démonstration du portail RPPS+"):
        legal_entity = _structure(DEMO_LEGAL_ENTITY, "ASSOCIATION LES TILLEULS", "SA41")
        site = _structure(DEMO_SITE, "EHPAD LES TILLEULS", "SA17", legal_entity)
        free = _structure(FREE_LEGAL_ENTITY, "ASSOCIATION DU LAC", "SA41")
        _structure(FREE_SITE, "FOYER DE VIE DU LAC", "SA16", free)
        persons = {slug: _person(slug, site) for slug in ROLES}
    if not Contract.objects.filter(structure=legal_entity).exists():
        representative = persons["representant"]
        claims = claims_for_person(representative) | {"acr": "eidas1"}
        account = services.sign_in(Who("démo"), claims, get_user_model())
        who = Who(str(account), account.national_id, None, account)
        contract = services.request_contract(
            who,
            identifier_type="FINESS",
            identifier=legal_entity.finess,
            data={
                "representative_national_id": account.national_id,
                "representative_family_name": account.family_name,
                "representative_given_name": account.given_name,
                "representative_function": Contract.Function.LEGAL_REPRESENTATIVE,
                "representative_email": "direction@tilleuls.example.org",
                "representative_phone": "0241000000",
            },
        )
        services.approve_contract(Who("opérateur démo"), contract)
        services.designate(
            who,
            contract=contract,
            structure=legal_entity,
            kind=Habilitation.Kind.MANAGER,
            person=persons["gestionnaire"],
            email="gestion@tilleuls.example.org",
            training_date=datetime.date(2025, 9, 15),
            terms_accepted=True,
        )
    return {"legal_entity": legal_entity, "free": free, "persons": persons}
