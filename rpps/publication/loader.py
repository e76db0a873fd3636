"""Loading a PS_LibreAcces extraction into the registry: what changes, then (if asked) the changes.

The file is compared with the registry object kind by object kind, on natural keys:
persons (RPPS number), exercises (number + profession), structures (technical id), situations
(number + profession + structure + rôle/fonction + mode + genre), savoir-faire, diplomas and
authorisations. Additions and changes are written; "removals" close the situations the file no
longer has (end date = the file's date) and delete savoir-faire, diplomas and authorisations it no
longer lists. Persons, exercises and structures are never deleted (numbers are for life).

A number unknown to the registry is created as it is: the file is the national directory's own
list of numbers, and it holds no birth data to resolve an identity with. Such persons have no
état civil (`Person.civil_status_known`). ADELI-only lines are reported and skipped: this registry
allocates RPPS numbers only.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Activity, Authorization, Diploma, Exercise, Expertise, Person, Structure

from . import formats
from .reader import Extraction, Problem

KINDS = ("personnes", "exercices", "structures", "situations", "savoir-faire", "diplômes", "autorisations")
STRUCTURE_COLUMNS = {
    "Numéro SIRET site": "siret", "Numéro SIREN site": "siren", "Numéro FINESS site": "finess",
    "Raison sociale site": "name", "Enseigne commerciale site": "trade_name",
    "Complément destinataire (coord. structure)": "recipient_complement",
    "Complément point géographique (coord. structure)": "place_complement",
    "Numéro Voie (coord. structure)": "street_number", "Indice répétition voie (coord. structure)": "repetition_index",
    "Code type de voie (coord. structure)": "street_type_code", "Libellé type de voie (coord. structure)": "street_type_label",
    "Libellé Voie (coord. structure)": "street_name", "Mention distribution (coord. structure)": "distribution_mention",
    "Bureau cedex (coord. structure)": "cedex_office", "Code postal (coord. structure)": "postal_code",
    "Code commune (coord. structure)": "commune_code", "Libellé commune (coord. structure)": "commune_label",
    "Code pays (coord. structure)": "country_code", "Libellé pays (coord. structure)": "country_label",
    "Téléphone (coord. structure)": "phone", "Téléphone 2 (coord. structure)": "phone2",
    "Télécopie (coord. structure)": "fax", "Adresse e-mail (coord. structure)": "email",
    "Code Département (structure)": "department_code", "Libellé Département (structure)": "department_label",
    "Code secteur d'activité": "sector_code",
}  # fmt: skip


class LoadRefused(Exception):
    pass


@dataclass
class Plan:
    date: datetime.date
    persons: dict[str, str] = field(default_factory=dict)  # rpps -> civility
    exercises: dict[tuple, dict] = field(default_factory=dict)
    structures: dict[str, dict] = field(default_factory=dict)
    legal_entities: dict[str, str] = field(default_factory=dict)  # technical id -> legal entity FINESS
    activities: dict[tuple, dict] = field(default_factory=dict)
    expertises: set = field(default_factory=set)
    diplomas: dict[tuple, str] = field(default_factory=dict)
    authorizations: dict[tuple, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    registry_records: int = 0
    removals: int = 0


def _pp(values: dict, problems: list[Problem], file: str, number: int) -> str | None:
    if values.get("Type d'identifiant PP") != identifiers.IDNPS_RPPS_PREFIX:
        problems.append(Problem(file, number, "identifiant ADELI : ligne non chargée (numéros RPPS seulement)."))
        return None
    try:
        return identifiers.validate_rpps(values.get("Identifiant PP", ""))
    except identifiers.InvalidIdentifier as exc:
        problems.append(Problem(file, number, str(exc)))
        return None


def read_file_state(extraction: Extraction, date: datetime.date) -> Plan:
    plan = Plan(date=date, problems=extraction.problems)
    role_codes = {e.code for e in lookup.entries(catalog.ROLE, active_only=False)}
    problems = extraction.problems
    pa = formats.PERSONNE_ACTIVITE.stem
    for number, v in extraction.rows(pa):
        rpps = _pp(v, problems, pa, number)
        if rpps is None:
            continue
        profession = v["Code profession"]
        plan.persons[rpps] = v["Code civilité"]
        plan.exercises.setdefault((rpps, profession), {
            "exercise_civility_code": v["Code civilité d'exercice"], "last_name": v["Nom d'exercice"],
            "first_name": v["Prénom d'exercice"], "category_code": v["Code catégorie professionnelle"],
            "registration_authority": v["Autorité d'enregistrement"],
        })  # fmt: skip
        technical_id = v["Identifiant technique de la structure"]
        if not technical_id:
            continue
        plan.structures[technical_id] = {attr: v.get(column, "") for column, attr in STRUCTURE_COLUMNS.items()}
        if v["Numéro FINESS établissement juridique"]:
            plan.legal_entities[technical_id] = v["Numéro FINESS établissement juridique"]
        role = v.get("Code rôle", "")
        key = (rpps, profession, technical_id, role, v["Code mode exercice"], v.get("Code genre activité", ""))
        plan.activities[key] = {
            "mode_code": v["Code mode exercice"], "genre_code": v.get("Code genre activité", ""),
            "role_code": role if role in role_codes else "", "function_code": "" if role in role_codes else role,
            "pharmacist_section_code": v["Code section tableau pharmaciens"],
            "registration_authority": v["Autorité d'enregistrement"],
        }  # fmt: skip
    sf = formats.SAVOIR_FAIRE.stem
    for number, v in extraction.rows(sf):
        rpps = _pp(v, problems, sf, number)
        if rpps is not None:
            plan.expertises.add((rpps, v["Code profession"], v["Code type savoir-faire"], v["Code savoir-faire"]))
    da = formats.DIPL_AUT_EXERC.stem
    for number, v in extraction.rows(da):
        rpps = _pp(v, problems, da, number)
        if rpps is None:
            continue
        if v["Code type diplôme obtenu"]:
            plan.diplomas[(rpps, v["Code type diplôme obtenu"], v["Code diplôme obtenu"])] = v["Libellé diplôme obtenu"]
        if v["Code type autorisation"]:
            key = (rpps, v["Code type autorisation"], v["Code discipline autorisation"])
            plan.authorizations[key] = v["Libellé discipline autorisation"]
    return plan


def _registry_state(day: datetime.date):
    persons = dict(Person.objects.current().values_list("rpps", "civility_code"))
    exercises = {
        (r, p): {"exercise_civility_code": c, "last_name": ln, "first_name": fn, "category_code": cat,
                 "registration_authority": a}
        for r, p, c, ln, fn, cat, a in Exercise.objects.filter(person__merged_into__isnull=True).values_list(
            "person__rpps", "profession_code", "exercise_civility_code", "last_name", "first_name", "category_code",
            "registration_authority")
    }  # fmt: skip
    structures = {
        row[0]: dict(zip(STRUCTURE_COLUMNS.values(), row[1:], strict=True))
        for row in Structure.objects.values_list("technical_id", *STRUCTURE_COLUMNS.values())
    }
    activities = {}
    for pk, r, p, t, role, function, mode, genre in (
        Activity.objects.open_on(day)
        .filter(exercise__person__merged_into__isnull=True)
        .values_list("pk", "exercise__person__rpps", "exercise__profession_code", "structure__technical_id",
                     "role_code", "function_code", "mode_code", "genre_code")
    ):  # fmt: skip
        activities[(r, p, t, role or function, mode, genre)] = pk
    expertises = {
        (r, p, t, c): pk
        for pk, r, p, t, c in Expertise.objects.values_list(
            "pk", "exercise__person__rpps", "exercise__profession_code", "type_code", "code"
        )
    }
    diplomas = {
        (r, t, c): pk
        for pk, r, t, c in Diploma.objects.values_list("pk", "exercise__person__rpps", "type_code", "code")
    }
    authorizations = {
        (r, t, c): pk
        for pk, r, t, c in Authorization.objects.values_list(
            "pk", "exercise__person__rpps", "type_code", "discipline_code"
        )
    }
    return persons, exercises, structures, activities, expertises, diplomas, authorizations


def plan_load(extraction: Extraction, date: datetime.date | None = None) -> Plan:
    date = date or datetime.date.today()
    plan = read_file_state(extraction, date)
    persons, exercises, structures, activities, expertises, diplomas, authorizations = _registry_state(date)
    plan.current = (persons, exercises, structures, activities, expertises, diplomas, authorizations)

    def count(kind, file_side, registry_side, compare=None, removable=True):
        added = [k for k in file_side if k not in registry_side]
        changed = [k for k in file_side if k in registry_side and compare and compare(k)]
        removed = [k for k in registry_side if k not in file_side] if removable else []
        plan.counts[kind] = {"ajouts": len(added), "modifications": len(changed), "retraits": len(removed)}
        if removable:
            plan.removals += len(removed)
            plan.registry_records += len(registry_side)

    count("personnes", plan.persons, persons, lambda k: persons[k] != plan.persons[k], removable=False)
    count("exercices", plan.exercises, exercises, lambda k: exercises[k] != plan.exercises[k], removable=False)
    count("structures", plan.structures, structures, lambda k: structures[k] != plan.structures[k], removable=False)
    count("situations", plan.activities, activities)
    count("savoir-faire", plan.expertises, expertises)
    count("diplômes", plan.diplomas, diplomas)
    count("autorisations", plan.authorizations, authorizations)
    return plan


def apply_plan(plan: Plan, *, max_removal_share: float = 0.05, force: bool = False) -> None:
    """Writes the plan in one transaction, attributed to the loader."""
    share = plan.removals / plan.registry_records if plan.registry_records else 0.0
    if share > max_removal_share and not force:
        raise LoadRefused(
            f"Le fichier retirerait {plan.removals} enregistrement(s) sur {plan.registry_records} "
            f"({share:.1%}, plus que {max_removal_share:.0%}) : fichier incomplet ? Relancez avec --forcer si c'est voulu."
        )
    persons, exercises, structures, activities, expertises, diplomas, authorizations = plan.current
    with transaction.atomic(), acting_as(Actor.loader("load_extraction"), f"Extraction du {plan.date:%d/%m/%Y}"):
        person_ids = dict(Person.objects.current().values_list("rpps", "pk"))
        for rpps, civility in plan.persons.items():
            if rpps not in persons:
                person = Person(rpps=rpps, civility_code=civility)
                person.full_clean()
                person.save()
                person_ids[rpps] = person.pk
            elif persons[rpps] != civility:
                person = Person.objects.get(rpps=rpps)
                person.civility_code = civility
                person.full_clean()
                person.save()
        exercise_ids = {
            (r, p): pk for pk, r, p in Exercise.objects.values_list("pk", "person__rpps", "profession_code")
        }
        for key, values in plan.exercises.items():
            if key not in exercises:
                exercise = Exercise(person_id=person_ids[key[0]], profession_code=key[1], **values)
                exercise.full_clean()
                exercise.save()
                exercise_ids[key] = exercise.pk
            elif exercises[key] != values:
                exercise = Exercise.objects.get(pk=exercise_ids[key])
                for name, value in values.items():
                    setattr(exercise, name, value)
                exercise.full_clean()
                exercise.save()
        structure_ids = dict(Structure.objects.values_list("technical_id", "pk"))
        for technical_id, values in plan.structures.items():
            kind = identifiers.parse_structure_technical_id(technical_id)
            fields = dict(values)
            if kind.kind == "RPPS_RANG":
                fields["rpps_rang"] = kind.number
            fields["finess"] = fields["finess"] or None
            if technical_id not in structures:
                structure = Structure(**fields)
                structure.full_clean()
                structure.save()
                structure_ids[technical_id] = structure.pk
            elif structures[technical_id] != values:
                structure = Structure.objects.get(pk=structure_ids[technical_id])
                for name, value in fields.items():
                    setattr(structure, name, value)
                structure.full_clean()
                structure.save()
        for technical_id, legal_finess in plan.legal_entities.items():
            legal = Structure.objects.filter(finess=legal_finess).exclude(technical_id=technical_id).first()
            if legal is None:
                # The file names a site's legal entity by its FINESS only: recorded as such, name unknown.
                legal = Structure(
                    finess=legal_finess, is_legal_entity=True, name=f"Entité juridique FINESS {legal_finess}"
                )
                legal.full_clean()
                legal.save()
            if legal is not None:
                Structure.objects.filter(technical_id=technical_id).exclude(legal_entity=legal).update(
                    legal_entity=legal
                )
        for key, values in plan.activities.items():
            if key in activities:
                continue
            activity = Activity(exercise_id=exercise_ids[key[:2]], structure_id=structure_ids[key[2]],
                                start_date=plan.date, **values)  # fmt: skip
            activity.full_clean()
            activity.save()
        for key, pk in activities.items():
            if key not in plan.activities:
                activity = Activity.objects.get(pk=pk)
                activity.end_date = plan.date
                activity.save()
        # Diplomas and authorisations name no profession: they go to the person's first exercise.
        first_exercise: dict[str, int] = {}
        for (rpps, _profession), pk in sorted(exercise_ids.items()):
            first_exercise.setdefault(rpps, pk)
        new = (
            [
                Expertise(exercise_id=exercise_ids.get((r, p)), type_code=t, code=c)
                for r, p, t, c in sorted(plan.expertises - set(expertises))
            ]
            + [
                Diploma(exercise_id=first_exercise.get(r), type_code=t, code=c, label=label)
                for (r, t, c), label in sorted(plan.diplomas.items())
                if (r, t, c) not in diplomas
            ]
            + [
                Authorization(exercise_id=first_exercise.get(r), type_code=t, discipline_code=c, discipline_label=label)
                for (r, t, c), label in sorted(plan.authorizations.items())
                if (r, t, c) not in authorizations
            ]
        )
        for obj in new:
            if obj.exercise_id is None:
                plan.problems.append(Problem("", 0, f"{obj._meta.verbose_name} sans exercice connu : non chargé."))
                continue
            try:
                obj.full_clean()
            except ValidationError as exc:
                plan.problems.append(Problem("", 0, f"{obj._meta.verbose_name} {obj} : {' '.join(exc.messages)}"))
                continue
            obj.save()
        for model, current, wanted in ((Expertise, expertises, plan.expertises), (Diploma, diplomas, plan.diplomas),
                                       (Authorization, authorizations, plan.authorizations)):  # fmt: skip
            for key, pk in current.items():
                if key not in wanted:
                    model.objects.get(pk=pk).delete()
