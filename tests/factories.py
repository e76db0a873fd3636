"""Valid registry objects for tests, built through full_clean like any other write."""

import datetime
import itertools

from rpps.registry import identifiers
from rpps.registry.models import Activity, Authorization, Card, Diploma, Exercise, Expertise, Mailbox, Person, Structure

_seq = itertools.count(1)

# The person admin form's inline formsets, empty (posted with the person's own fields).
PERSON_ADMIN_NO_INLINES = {
    f"{inline}-{count}_FORMS": "0" for inline in ("exercises", "mailboxes", "cards") for count in ("TOTAL", "INITIAL")
}


def rpps_number() -> str:
    return identifiers.rpps_from_body(7_000_000_000 + next(_seq))


def finess_number(department: str = "49") -> str:
    body = department + f"{800000 + next(_seq):06d}"
    return body + identifiers.luhn_check_digit(body)


def siret_number() -> str:
    body = f"7{next(_seq):07d}"
    siren = body + identifiers.luhn_check_digit(body)
    nic = siren + "0001"
    return nic + identifiers.luhn_check_digit(nic)


def saved(obj):
    obj.full_clean()
    obj.save()
    return obj


def letters(i: int, width: int = 1) -> str:
    """``i`` written in capital letters, ``width`` of them (0 → A, 1 → B…; width 2: AA, AB…): names hold no
    digit, and these sort as the numbers do."""
    out = ""
    for _ in range(width):
        out = chr(65 + i % 26) + out
        i //= 26
    return out


def person(**kwargs) -> Person:
    return saved(unsaved_person(**kwargs))


def unsaved_person(**kwargs) -> Person:
    """A valid person not yet written (for tests of what a write refuses)."""
    values = {
        "rpps": rpps_number(),
        "civility_code": "MME",
        "sex_code": "F",
        "birth_name": "DUPONT",
        "given_names": "Hélène Marie",
        "birth_date": datetime.date(1980, 5, 17),
        "birth_place_code": "49007",
        "email": "helene.dupont@example.org",
        "phone": "0612345678",
    }
    values.update(kwargs)
    return Person(**values)


def exercise(person_obj=None, **kwargs) -> Exercise:
    values = {
        "profession_code": "10",
        "category_code": "C",
        "exercise_civility_code": "DR",
        "last_name": "DUPONT",
        "first_name": "Hélène",
        "registration_authority": "CNOM/CNOM/ARS",
    }
    values.update(kwargs)
    return saved(Exercise(person=person_obj or person(), **values))


# Exercises other than a doctor's (the default): no exercise civility.
NURSE = {"profession_code": "60", "exercise_civility_code": "", "registration_authority": "ONI/ONI/ARS"}
RPPS_PLUS = {"profession_code": "99", "exercise_civility_code": ""}


def professional(last_name: str, first_name: str, kind: dict = RPPS_PLUS, **person_fields) -> Person:
    """A person and one exercise under the same names (an RPPS+ professional unless ``kind`` says otherwise)."""
    someone = person(birth_name=last_name, given_names=first_name, **person_fields)
    exercise(someone, last_name=last_name, first_name=first_name, **kind)
    return someone


# A hospital site's address, as the public outputs show it: "85 Rue Saint-Jacques, 44093 Nantes".
SAINT_JACQUES = {
    "street_number": "85",
    "street_type_label": "Rue",
    "street_name": "Saint-Jacques",
    "postal_code": "44093",
    "commune_label": "Nantes",
}


def structure(**kwargs) -> Structure:
    values = {
        "finess": finess_number(),
        "name": "CENTRE HOSPITALIER D'ANGERS",
        "sector_code": "SA01",
        "postal_code": "49000",
        "commune_code": "49007",
        "commune_label": "Angers",
    }
    values.update(kwargs)
    return saved(Structure(**values))


def activity(exercise_obj=None, structure_obj=None, **kwargs) -> Activity:
    return saved(Activity(**activity_values(exercise_obj, structure_obj, **kwargs)))


def activity_values(exercise_obj=None, structure_obj=None, **kwargs) -> dict:
    """A situation's fields (its exercise and structure written if not given), for writes past the model's checks."""
    values = {"mode_code": "S", "genre_code": "GENR01", "start_date": datetime.date(2015, 1, 1)}
    values.update(kwargs)
    return {"exercise": exercise_obj or exercise(), "structure": structure_obj or structure(), **values}


def expertise(exercise_obj, code="SM54") -> Expertise:
    return saved(Expertise(exercise=exercise_obj, type_code="S", code=code))


_DIPLOMA = {
    "type_code": "DE",
    "label": "DE Docteur en médecine",
    "number": "123456789",
    "obtained_on": datetime.date(2005, 6, 30),
    "place": "Angers",
}


def diploma(exercise_obj, **kwargs) -> Diploma:
    return saved(Diploma(exercise=exercise_obj, **{**_DIPLOMA, **kwargs}))


_AUTHORIZATION = {
    "type_code": "AM01",
    "discipline_label": "Médecine",
    "number": "A1",
    "granted_on": datetime.date(2010, 1, 1),
}


def authorization(exercise_obj, **kwargs) -> Authorization:
    return saved(Authorization(exercise=exercise_obj, **{**_AUTHORIZATION, **kwargs}))


def mailbox(person_obj, **kwargs) -> Mailbox:
    values = {"address": f"h.dupont{next(_seq)}@medecin.mssante.fr", "type_code": "PER"}
    values.update(kwargs)
    return saved(Mailbox(person=person_obj, **values))


def card(person_obj, **kwargs) -> Card:
    values = {
        "type_code": "CPS",
        "number": f"{8_100_000_000 + next(_seq)}",
        "national_id": "8" + person_obj.rpps,
        "valid_from": datetime.date(2024, 1, 1),
        "valid_until": datetime.date(2027, 1, 1),
    }
    values.update(kwargs)
    return saved(Card(person=person_obj, **values))
