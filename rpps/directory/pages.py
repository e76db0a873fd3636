"""What the practitioner and structure pages show, built from the public projection with labels.

The HTML pages and the PDF sheet read the same dicts, so they cannot show different things.
"""

from rpps.nomenclatures import catalog, lookup
from rpps.registry import projection
from rpps.registry.models import Person, Structure


def _label(table: str, code: str) -> str:
    return lookup.label(table, code) or code


def _profession(exercise: dict) -> str:
    """What the page's heading says the person does: the profession, or for staff a structure registered
    through RPPS+ (whose profession says only that), the roles of their situations."""
    if exercise["profession_code"] == catalog.ROLE_PROFESSION:
        roles = dict.fromkeys(lookup.label(catalog.ROLE, a["role_code"]) for a in exercise["activities"])
        roles.pop("", None)
        if roles:
            return ", ".join(roles)
    return lookup.citizen_label(catalog.PROFESSION, exercise["profession_code"])


def address_lines(structure: dict) -> list[str]:
    """The postal address of a public structure dict, line by line (French postal order)."""
    street = " ".join(
        part
        for part in (
            structure["street_number"],
            structure["repetition_index"],
            structure["street_type_label"] or structure["street_type_code"],
            structure["street_name"],
        )
        if part
    )
    town = " ".join(p for p in (structure["postal_code"], structure["commune_label"]) if p)
    if structure["cedex_office"]:
        town = structure["cedex_office"]
    lines = [
        structure["recipient_complement"],
        structure["place_complement"],
        street,
        structure["distribution_mention"],
        town,
    ]
    if structure["country_code"] and structure["country_code"] not in ("99100", ""):
        lines.append(structure["country_label"])
    return [line for line in lines if line]


def structure_summary(structure: dict) -> dict:
    return structure | {
        "display_name": structure["trade_name"] or structure["name"],
        "address": address_lines(structure),
        "sector_label": _label(catalog.SECTOR, structure["sector_code"]) if structure["sector_code"] else "",
    }


def practitioner(person: Person) -> dict:
    data = projection.public_person(person)
    exercises = []
    for exercise in data["exercises"]:
        exercises.append(
            {
                "civility": _label(catalog.EXERCISE_CIVILITY, exercise["exercise_civility_code"])
                if exercise["exercise_civility_code"]
                else "",
                "first_name": exercise["first_name"],
                "last_name": exercise["last_name"],
                "profession": _profession(exercise),
                "category": _label(catalog.CATEGORY, exercise["category_code"]),
                "expertises": [
                    {
                        "type": _label(catalog.EXPERTISE_TYPE, e["type_code"]),
                        "label": _label(catalog.SPECIALTY, e["code"]) if e["type_code"] == "S" else e["code"],
                    }
                    for e in exercise["expertises"]
                ],
                "diplomas": [d["label"] for d in exercise["diplomas"]],
                "authorizations": [
                    a["discipline_label"] or _label(catalog.AUTHORIZATION_TYPE, a["type_code"])
                    for a in exercise["authorizations"]
                ],
                "situations": [
                    {
                        "structure": structure_summary(a["structure"]),
                        "mode": _label(catalog.ACTIVITY_MODE, a["mode_code"]) if a["mode_code"] else "",
                        "role": _label(catalog.ROLE, a["role_code"]) if a["role_code"] else "",
                        "function": _label(catalog.FUNCTION, a["function_code"]) if a["function_code"] else "",
                        "genre": _label(catalog.ACTIVITY_GENRE, a["genre_code"]) if a["genre_code"] else "",
                    }
                    for a in exercise["activities"]
                ],
            }
        )
    main = exercises[0] if exercises else None
    return {
        "rpps": data["rpps"],
        "idnps": data["idnps"],
        "display_name": f"{main['first_name']} {main['last_name']}".strip() if main else data["rpps"],
        "civility": main["civility"] if main else "",
        "exercises": exercises,
        "mailboxes": [m["address"] for m in data["mailboxes"]],
    }


def structure(obj: Structure) -> dict:
    data = structure_summary(projection.public_structure(obj))
    parent = obj.legal_entity
    data["parent"] = structure_summary(projection.public_structure(parent)) if parent else None
    return data
