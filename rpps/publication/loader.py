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
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from rpps.nomenclatures import catalog, lookup
from rpps.registry import history, identifiers, signals
from rpps.registry.bulkwrite.columns import COLUMNS
from rpps.registry.bulkwrite.writer import BulkWriter
from rpps.registry.history import Actor, acting_as, change_row, object_type
from rpps.registry.models import (
    Activity,
    Authorization,
    ChangeRecord,
    Diploma,
    Exercise,
    Expertise,
    Person,
    Structure,
)

from . import formats
from .reader import Extraction, Problem

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
        plan.exercises.setdefault(
            (rpps, profession),
            {
                "exercise_civility_code": v["Code civilité d'exercice"],
                "last_name": v["Nom d'exercice"],
                "first_name": v["Prénom d'exercice"],
                "category_code": v["Code catégorie professionnelle"],
                "registration_authority": v["Autorité d'enregistrement"],
            },
        )
        technical_id = v["Identifiant technique de la structure"]
        if not technical_id:
            continue
        plan.structures[technical_id] = {attr: v.get(column, "") for column, attr in STRUCTURE_COLUMNS.items()}
        if v["Numéro FINESS établissement juridique"]:
            plan.legal_entities[technical_id] = v["Numéro FINESS établissement juridique"]
        role = v.get("Code rôle", "")
        key = (rpps, profession, technical_id, role, v["Code mode exercice"], v.get("Code genre activité", ""))
        plan.activities[key] = {
            "mode_code": v["Code mode exercice"],
            "genre_code": v.get("Code genre activité", ""),
            "role_code": role if role in role_codes else "",
            "function_code": "" if role in role_codes else role,
            "pharmacist_section_code": v["Code section tableau pharmaciens"],
            "registration_authority": v["Autorité d'enregistrement"],
        }
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
        (r, p): {
            "exercise_civility_code": c,
            "last_name": ln,
            "first_name": fn,
            "category_code": cat,
            "registration_authority": a,
        }
        for r, p, c, ln, fn, cat, a in Exercise.objects.of_current_persons().values_list(
            "person__rpps",
            "profession_code",
            "exercise_civility_code",
            "last_name",
            "first_name",
            "category_code",
            "registration_authority",
        )
    }
    structures = {
        row[0]: dict(zip(STRUCTURE_COLUMNS.values(), row[1:], strict=True))
        for row in Structure.objects.values_list("technical_id", *STRUCTURE_COLUMNS.values())
    }
    activities = {}
    for pk, r, p, t, role, function, mode, genre in (
        Activity.objects.open_on(day)
        .of_current_persons()
        .values_list(
            "pk",
            "exercise__person__rpps",
            "exercise__profession_code",
            "structure__technical_id",
            "role_code",
            "function_code",
            "mode_code",
            "genre_code",
        )
    ):
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
    """Writes the plan in one transaction, attributed to the loader.

    Additions (the bulk of a first load) are written with COPY on PostgreSQL (executemany elsewhere),
    after checking every code against the nomenclatures and every identifier's key, with one history
    record per new person and structure, as the other bulk loaders do; changes and removals (a few a
    day) go through the models one by one.
    """
    share = plan.removals / plan.registry_records if plan.registry_records else 0.0
    if share > max_removal_share and not force:
        raise LoadRefused(
            f"Le fichier retirerait {plan.removals} enregistrement(s) sur {plan.registry_records} "
            f"({share:.1%}, plus que {max_removal_share:.0%}) : fichier incomplet ? Relancez avec --forcer si c'est voulu."
        )
    with transaction.atomic(), acting_as(Actor.loader("load_extraction"), f"Extraction du {plan.date:%d/%m/%Y}"):
        _add(plan)
        _change(plan)
        _remove(plan)
    BulkWriter().reset_sequences(
        [Person, Exercise, Structure, Activity, Expertise, Diploma, Authorization, ChangeRecord]
    )
    signals.bulk_written.send(sender=apply_plan)


class _Rows:
    """New rows written by batches as they are made, parents flushed before their children."""

    BATCH = 20000

    def __init__(self, writer: BulkWriter):
        self.writer = writer
        self.pending = defaultdict(list)

    def add(self, model, row):
        rows = self.pending[model]
        rows.append(row)
        if len(rows) >= self.BATCH:
            self.flush(model)

    def flush(self, *models):
        for model in models or list(self.pending):
            self.writer.write(model, COLUMNS[model], self.pending[model])
            self.pending[model] = []


class _Ids:
    def __init__(self, models):
        self.next = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in models}

    def __call__(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Valid:
    """The codes of a table a new row may carry: the nomenclature's rule (``lookup.check``: known and
    still valid, a code ended since is refused), as on every other write. A membership test, so that
    the checks read as on sets."""

    def __init__(self, table: str):
        self.table = table

    def __contains__(self, code: str) -> bool:
        try:
            lookup.check(self.table, code)
        except ValidationError:
            return False
        return True


def _codes(table: str) -> _Valid:
    return _Valid(table)


def _structure_problem(technical_id: str, values: dict) -> str:
    try:
        kind = identifiers.parse_structure_technical_id(technical_id)
        for name, check in (
            ("finess", identifiers.validate_finess),
            ("siret", identifiers.validate_siret),
            ("siren", identifiers.validate_siren),
        ):
            if values[name]:
                check(values[name])
        if kind.kind == "FINESS" and values["finess"] != kind.number:
            return f"structure {technical_id} : son FINESS ({values['finess']}) ne correspond pas à son identifiant."
    except identifiers.InvalidIdentifier as exc:
        return f"structure {technical_id} : {exc}"
    return ""


def _add(plan: Plan) -> None:
    _Additions(plan).write()


class _Additions:
    """The rows of the file the registry does not hold yet, written in bulk, parents before children;
    a row whose codes or identifiers are refused is reported and left out, with what depends on it."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.ids = _Ids([Person, Exercise, Structure, Activity, Expertise, Diploma, Authorization, ChangeRecord])
        self.now = timezone.now()
        self.actor, self.reason = history.current()  # apply_plan's author, as for its writes through the models
        self.out = _Rows(BulkWriter())
        self.person_ids = dict(Person.objects.values_list("rpps", "pk"))
        self.exercise_ids: dict[tuple, int] = {}
        self.structure_ids: dict[str, int] = {}
        # A row added to an exercise that was there before this load is a change to it (a delta load):
        # recorded, and its Practitioner's updated_at moves (registry: Recorded.PART_OF). A first load
        # records one creation per person only, to stay fast.
        self.earlier_exercises: set[int] = set()
        self.touched: set[int] = set()

    def write(self) -> None:
        self.persons()
        self.out.flush(Person)  # exercises refer to them
        self.exercises()
        self.structures()
        self.out.flush(Exercise, Structure)  # situations refer to them
        self.activities()
        self.children()
        self.out.flush()
        touched = sorted(self.touched)
        for start in range(0, len(touched), _Rows.BATCH):
            Exercise.objects.filter(pk__in=touched[start : start + _Rows.BATCH]).update(updated_at=self.now)

    def record(self, kind: str, object_id: int, person_id: int | None, after: dict) -> None:
        row = change_row(
            self.ids(ChangeRecord), self.now, self.actor, self.reason, "create", kind, object_id, person_id, after=after
        )
        self.out.add(ChangeRecord, row)

    def problem(self, message: str) -> None:
        self.plan.problems.append(Problem("", 0, message))

    def added_to(self, model, pk: int, exercise_id: int, rpps: str, fields: dict) -> int:
        if exercise_id in self.earlier_exercises:
            self.record(object_type(model), pk, self.person_ids[rpps], {"exercise_id": exercise_id, **fields})
            if "exercise" in model.PART_OF:  # a situation is a resource of its own, not a part
                self.touched.add(exercise_id)
        return pk

    def persons(self) -> None:
        known, civilities = self.plan.current[0], _codes(catalog.CIVILITY)
        for rpps, civility in self.plan.persons.items():
            if rpps in known:
                continue
            if civility and civility not in civilities:
                self.problem(f"RPPS {rpps} : civilité « {civility} » inconnue ou plus valide ; enregistrée vide.")
                civility = ""
            pid = self.person_ids[rpps] = self.ids(Person)
            self.out.add(Person, (pid, rpps, civility, "", "", "", "", None, "", "", "", "", "", self.now, self.now))
            self.record("registry.person", pid, pid, {"rpps": rpps, "source": "extraction publique"})

    def exercises(self) -> None:
        known = self.plan.current[1]
        professions, categories = _codes(catalog.PROFESSION), _codes(catalog.CATEGORY)
        civilities = _codes(catalog.EXERCISE_CIVILITY)
        self.exercise_ids = {
            (r, p): pk for pk, r, p in Exercise.objects.values_list("pk", "person__rpps", "profession_code")
        }
        self.earlier_exercises = set(self.exercise_ids.values())
        for (rpps, profession), v in self.plan.exercises.items():
            if (rpps, profession) in known or rpps not in self.person_ids:
                continue
            civility = v["exercise_civility_code"]
            if (
                profession not in professions
                or v["category_code"] not in categories
                or (civility and civility not in civilities)
            ):
                self.problem(
                    f"RPPS {rpps} : profession, catégorie ou civilité d'exercice inconnue : exercice "
                    f"{profession} non chargé."
                )
                continue
            eid = self.exercise_ids[(rpps, profession)] = self.ids(Exercise)
            self.out.add(
                Exercise,
                (
                    eid,
                    self.person_ids[rpps],
                    profession,
                    v["category_code"],
                    civility,
                    v["last_name"],
                    v["first_name"],
                    v["registration_authority"],
                    self.now,
                    self.now,
                ),
            )

    def structures(self) -> None:
        known, sectors = self.plan.current[2], _codes(catalog.SECTOR)
        self.structure_ids = dict(Structure.objects.values_list("technical_id", "pk"))
        by_finess = dict(Structure.objects.exclude(finess=None).values_list("finess", "pk"))
        new_structures = {}
        for technical_id, v in self.plan.structures.items():
            if technical_id in known:
                continue
            message = _structure_problem(technical_id, v)
            if v["sector_code"] and v["sector_code"] not in sectors:
                message = (
                    message or f"structure {technical_id} : secteur « {v['sector_code']} » inconnu ou plus valide."
                )
            if message:
                self.problem(message + " Structure et situations non chargées.")
                continue
            new_structures[technical_id] = v
            self.structure_ids[technical_id] = self.ids(Structure)
            if v["finess"]:
                by_finess[v["finess"]] = self.structure_ids[technical_id]
        for technical_id, legal_finess in self.plan.legal_entities.items():
            if legal_finess in by_finess or technical_id not in new_structures:
                continue
            try:
                identifiers.validate_finess(legal_finess)
            except identifiers.InvalidIdentifier as exc:
                self.problem(f"structure {technical_id} : entité juridique {legal_finess} : {exc}")
                continue
            # Named by its FINESS only in the file: recorded as such, name unknown.
            sid = by_finess[legal_finess] = self.ids(Structure)
            values = {"finess": legal_finess, "name": f"Entité juridique FINESS {legal_finess}"}
            self.out.add(Structure, _structure_row(sid, "F" + legal_finess, values, None, True, self.now))
            self.record("registry.structure", sid, None, {"technical_id": "F" + legal_finess})
        for technical_id, v in new_structures.items():
            sid = self.structure_ids[technical_id]
            legal = by_finess.get(self.plan.legal_entities.get(technical_id, ""))
            self.out.add(
                Structure, _structure_row(sid, technical_id, v, legal if legal != sid else None, False, self.now)
            )
            self.record("registry.structure", sid, None, {"technical_id": technical_id})

    def activities(self) -> None:
        known = self.plan.current[3]
        codes = {
            name: _codes(table)
            for name, table in (
                ("mode_code", catalog.ACTIVITY_MODE),
                ("genre_code", catalog.ACTIVITY_GENRE),
                ("function_code", catalog.FUNCTION),
                ("pharmacist_section_code", catalog.PHARMACIST_SECTION),
            )
        }
        for key, v in self.plan.activities.items():
            if key in known:
                continue
            rpps, profession, technical_id = key[:3]
            exercise_id = self.exercise_ids.get((rpps, profession))
            structure_id = self.structure_ids.get(technical_id)
            if exercise_id is None or structure_id is None:
                continue  # its exercise or structure was refused, and reported
            # the mode is required, the other codes optional
            if any((v[name] or name == "mode_code") and v[name] not in valid for name, valid in codes.items()):
                self.problem(
                    f"RPPS {rpps} : situation à {technical_id} avec un code inconnu ou plus valide : non chargée."
                )
                continue
            activity_id = self.added_to(Activity, self.ids(Activity), exercise_id, rpps, {"structure_id": structure_id})
            self.out.add(
                Activity,
                (
                    activity_id,
                    exercise_id,
                    structure_id,
                    v["mode_code"],
                    v["function_code"],
                    v["genre_code"],
                    v["role_code"],
                    v["pharmacist_section_code"],
                    self.plan.date,
                    None,
                    "",
                    v["registration_authority"],
                    self.now,
                    self.now,
                ),
            )

    def children(self) -> None:
        """Savoir-faire (to their exercise), diplomas and authorizations (to the person's first exercise)."""
        expertises, diplomas, authorizations = self.plan.current[4:7]
        specialties = _codes(catalog.SPECIALTY)
        first_exercise: dict[str, int] = {}
        for (rpps, _profession), pk in sorted(self.exercise_ids.items()):
            first_exercise.setdefault(rpps, pk)
        for rpps, profession, type_code, code in sorted(self.plan.expertises - set(expertises)):
            exercise_id = self.exercise_ids.get((rpps, profession))
            if exercise_id is None:
                continue
            if type_code != "S" or code not in specialties:
                self.problem(
                    f"RPPS {rpps} : savoir-faire {type_code} {code} : seules les spécialités ordinales "
                    "(type S) connues et en vigueur sont chargées."
                )
                continue
            pk = self.added_to(
                Expertise, self.ids(Expertise), exercise_id, rpps, {"type_code": type_code, "code": code}
            )
            self.out.add(Expertise, (pk, exercise_id, type_code, code, self.now, self.now))
        for model, known, rows, table, what in (
            (
                Diploma,
                diplomas,
                self.plan.diplomas,
                catalog.DIPLOMA_TYPE,
                "type de diplôme « {} » inconnu ou plus valide : non chargé.",
            ),
            (
                Authorization,
                authorizations,
                self.plan.authorizations,
                catalog.AUTHORIZATION_TYPE,
                "type d'autorisation « {} » inconnu ou plus valide : non chargée.",
            ),
        ):
            types = _codes(table)
            for (rpps, type_code, code), label in sorted(rows.items()):
                if (rpps, type_code, code) in known or rpps not in first_exercise:
                    continue
                if type_code not in types:
                    self.problem(f"RPPS {rpps} : " + what.format(type_code))
                    continue
                exercise_id = first_exercise[rpps]
                pk = self.added_to(model, self.ids(model), exercise_id, rpps, {"type_code": type_code, "code": code})
                details = (
                    ("", None, "") if model is Diploma else ("", None)
                )  # number, date(, place): private, not in the file
                self.out.add(model, (pk, exercise_id, type_code, code, label, *details, self.now, self.now))


def _structure_row(sid, technical_id, values, legal_entity_id, is_legal_entity, now):
    kind = identifiers.parse_structure_technical_id(technical_id)
    v = {name: values.get(name, "") for name in STRUCTURE_COLUMNS.values()}
    return (
        sid,
        technical_id,
        v["finess"] or None,
        v["siret"],
        v["siren"],
        kind.number if kind.kind == "RPPS_RANG" else "",
        legal_entity_id,
        is_legal_entity,
        v["name"],
        v["trade_name"],
        v["sector_code"],
        v["recipient_complement"],
        v["place_complement"],
        v["street_number"],
        v["repetition_index"],
        v["street_type_code"],
        v["street_type_label"],
        v["street_name"],
        v["distribution_mention"],
        v["cedex_office"],
        v["postal_code"],
        v["commune_code"],
        v["commune_label"],
        v["country_code"],
        v["country_label"],
        v["department_code"],
        v["department_label"],
        v["phone"],
        v["phone2"],
        v["fax"],
        v["email"],
        now,
        now,
    )


def _change(plan: Plan) -> None:
    persons, exercises, structures, *_ = plan.current
    for rpps, civility in plan.persons.items():
        if rpps in persons and persons[rpps] != civility:
            person = Person.objects.get(rpps=rpps)
            person.civility_code = civility
            person.full_clean()
            person.save()
    for (rpps, profession), values in plan.exercises.items():
        if (rpps, profession) in exercises and exercises[(rpps, profession)] != values:
            exercise = Exercise.objects.get(person__rpps=rpps, profession_code=profession)
            for name, value in values.items():
                setattr(exercise, name, value)
            exercise.full_clean()
            exercise.save()
    for technical_id, values in plan.structures.items():
        if technical_id in structures and structures[technical_id] != values:
            structure = Structure.objects.get(technical_id=technical_id)
            for name, value in values.items():
                setattr(structure, name, value or (None if name == "finess" else ""))
            structure.full_clean()
            structure.save()
    for technical_id, legal_finess in plan.legal_entities.items():
        if technical_id in structures:
            legal = Structure.objects.filter(finess=legal_finess).exclude(technical_id=technical_id).first()
            structure = Structure.objects.get(technical_id=technical_id)
            if legal is not None and structure.legal_entity_id != legal.pk:
                structure.legal_entity = legal
                structure.save()


def _remove(plan: Plan) -> None:
    persons, exercises, structures, activities, expertises, diplomas, authorizations = plan.current
    for key, pk in activities.items():
        if key not in plan.activities:
            activity = Activity.objects.get(pk=pk)
            activity.end_date = max(plan.date, activity.start_date)
            activity.save()
    for model, current, wanted in (
        (Expertise, expertises, plan.expertises),
        (Diploma, diplomas, plan.diplomas),
        (Authorization, authorizations, plan.authorizations),
    ):
        for key, pk in current.items():
            if key not in wanted:
                model.objects.get(pk=pk).delete()
