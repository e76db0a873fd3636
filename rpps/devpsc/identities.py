"""The development provider's test identities, like the official test e-CPS (EDIT).

Each holds civil-status traits so that `load_portal_demo` can register the person through identity
resolution; the provider then finds the person in the registry and sends the directory's data, as
Pro Santé Connect does. The "no RPPS" identity has no national identifier, like a person signing in
for their first registration.
"""

import datetime
import uuid
from dataclasses import dataclass

from rpps.registry import identifiers
from rpps.registry.models import Person

NAMESPACE = uuid.UUID("6d1c3a52-4a0b-4f55-9a43-2b8a0f2d5e11")


@dataclass(frozen=True)
class TestIdentity:
    slug: str
    role: str  # what a newcomer can do with it, shown on the picker
    family_name: str
    given_names: str
    sex: str
    birth_date: datetime.date
    birth_place: str
    civility: str
    has_rpps: bool = True

    @property
    def given_name(self) -> str:
        return self.given_names.split(" ")[0]

    def person(self) -> Person | None:
        if not self.has_rpps:
            return None
        return (
            Person.objects.current()
            .filter(birth_name=self.family_name, given_names=self.given_names, birth_date=self.birth_date)
            .first()
        )


TEST_IDENTITIES = (
    TestIdentity(
        "representant",
        "Représentante légale de l'EHPAD de démonstration (contrat actif)",
        "LEMAIRE",
        "Claire Anne",
        "F",
        datetime.date(1971, 3, 14),
        "49007",
        "MME",
    ),
    TestIdentity(
        "gestionnaire",
        "Gestionnaire RPPS+ de l'EHPAD de démonstration",
        "NGUYEN",
        "Thomas",
        "M",
        datetime.date(1988, 11, 2),
        "44109",
        "M",
    ),
    TestIdentity(
        "professionnel",
        "Aide-soignante enregistrée dans le RPPS+ (aucune habilitation)",
        "BERNARD",
        "Julie Marie",
        "F",
        datetime.date(1995, 7, 21),
        "49099",
        "MME",
    ),
    TestIdentity(
        "sans-rpps",
        "Personne sans numéro RPPS (première inscription)",
        "MOREAU",
        "Inès",
        "F",
        datetime.date(2001, 1, 9),
        "75056",
        "MME",
        has_rpps=False,
    ),
)
BY_SLUG = {identity.slug: identity for identity in TEST_IDENTITIES}


def subject_for(national_id: str, fallback: str) -> str:
    """PSC subjects look like f:<uuid>:<SubjectNameID> (reference/portal.md §2.4)."""
    return f"f:{uuid.uuid5(NAMESPACE, national_id or fallback)}:{national_id}"


def claims_for_person(person: Person) -> dict:
    """User info claims for a registry person, built from the directory as PSC does."""
    national_id = identifiers.IDNPS_RPPS_PREFIX + person.rpps
    exercises = []
    family_name = given_name = ""
    for exercise in person.exercises.order_by("pk").prefetch_related("activities__structure__legal_entity"):
        family_name = family_name or exercise.last_name
        given_name = given_name or exercise.first_name
        activities = []
        for activity in exercise.activities.all():
            structure = activity.structure
            activities.append(
                {
                    "codeModeExercice": activity.mode_code,
                    "codeSecteurDactivite": structure.sector_code,
                    "codeRole": activity.role_code,
                    "codeGenreActivite": activity.genre_code,
                    "numeroSiretSite": structure.siret,
                    "numeroSirenSite": structure.siren,
                    "numeroFinessSite": structure.finess or "",
                    "numeroFinessetablissementJuridique": (
                        structure.legal_entity.finess or "" if structure.legal_entity_id else ""
                    ),
                    "identifiantTechniqueDeLaStructure": structure.technical_id,
                    "raisonSocialeSite": structure.name,
                    "codePostal": structure.postal_code,
                    "codeCommune": structure.commune_code,
                }
            )
        exercises.append(
            {
                "codeProfession": exercise.profession_code,
                "codeCategorieProfessionnelle": exercise.category_code,
                "codeCiviliteDexercice": exercise.exercise_civility_code,
                "nomDexercice": exercise.last_name,
                "prenomDexercice": exercise.first_name,
                "activities": activities,
            }
        )
    return {
        "sub": subject_for(national_id, ""),
        "preferred_username": national_id,
        "SubjectNameID": national_id,
        "family_name": family_name or person.usage_name or person.birth_name,
        "given_name": given_name or person.given_names.split(" ")[0],
        "codeCivilite": person.civility_code,
        "SubjectRefPro": {"codeCivilite": person.civility_code, "exercices": exercises},
    }


def claims_without_rpps(identity: TestIdentity) -> dict:
    return {
        "sub": subject_for("", identity.slug),
        "preferred_username": identity.slug,
        "family_name": identity.family_name,
        "given_name": identity.given_name,
        "codeCivilite": identity.civility,
    }
