"""The rows of a staged extraction the registry does not hold yet, written by set operations.

Each kind is one ``INSERT … SELECT`` from its staging table, parents before children, the
database numbering the rows; a row whose codes or identifiers are refused is left out (with what
depends on it) and reported by the complementary ``SELECT``. Codes are checked with the
nomenclatures' own rule (``lookup.check``: known and still valid), applied once per code of the
table; identifiers with a check key are checked in Python, on the structures only (the numbers of
persons were checked as the file was staged). History records are written the same way: one per
new person and structure, and, on a delta load, one per row added to an exercise that was there
before (its Practitioner changed: its updated_at moves, registry: Recorded.PART_OF).
"""

from django.core.exceptions import ValidationError
from django.db import connection

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.bulkwrite.columns import COLUMNS
from rpps.registry.bulkwrite.writer import BulkWriter
from rpps.registry.history import CHANGE_COLUMNS, object_type
from rpps.registry.models import Activity, Authorization, ChangeRecord, Diploma, Exercise, Expertise, Person, Structure

from .compare import AC, E, P, S, analyze, current_persons, stream
from .reader import Problem
from .staging import STRUCTURE_FIELDS

CR = ChangeRecord._meta.db_table


def valid_codes(table: str) -> list[str]:
    """The codes of ``table`` a new row may carry (``lookup.check`` passes)."""
    codes = []
    for entry in lookup.entries(table, active_only=False):
        try:
            lookup.check(table, entry.code)
        except ValidationError:
            continue
        codes.append(entry.code)
    return sorted(codes)


def _among(column: str, codes: list[str], *, optional: bool = False) -> tuple[str, list]:
    """``column`` holds one of ``codes`` (or nothing, when ``optional``), as SQL and its parameters."""
    listed = f"{column} IN ({', '.join(['%s'] * len(codes))})" if codes else "1 = 0"
    return (f"({column} = '' OR {listed})" if optional else listed), list(codes)


def _json(*pairs: tuple[str, str]) -> str:
    function = "json_build_object" if connection.vendor == "postgresql" else "json_object"
    arguments = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
    return f"{function}({arguments})"


def _max_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def structure_problem(technical_id: str, values: dict) -> str:
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


class Additions:
    def __init__(self, plan, now, actor, reason):
        self.plan, self.now, self.actor, self.reason = plan, now, actor, reason
        self.before = {model: _max_id(model) for model in (Person, Exercise, Structure, Activity, Expertise, Diploma, Authorization)}  # fmt: skip
        self.recorded_structures = self.before[Structure]  # structures recorded up to this id
        self.cur, self.cur_params = current_persons()

    def problem(self, message: str) -> None:
        self.plan.problems.append(Problem("", 0, message))

    def execute(self, sql: str, params) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))

    def record(self, kind: str, select: str, params=()) -> None:
        """One creation record per row of ``select`` (columns oid, pid, after)."""
        columns = ", ".join(CHANGE_COLUMNS[1:])
        self.execute(
            f"INSERT INTO {CR} ({columns}) SELECT %s, %s, %s, %s, %s, 'create', %s, x.oid, x.pid, NULL, x.after, %s "
            f"FROM ({select}) x",
            [self.now, self.actor.kind, self.actor.label, self.actor.user_id, self.reason, kind, True, *params],
        )

    def write(self) -> None:
        self.persons()
        analyze(Person)
        self.exercises()
        self.structures()
        analyze(Exercise, Structure)
        self.legal_entities()
        self.activities()
        for model in (Expertise, Diploma, Authorization):
            self.children(model)
        self.parts_of_earlier_exercises()

    def persons(self) -> None:
        new = "FROM cmp_person_added f WHERE 1 = 1"  # compare.materialize
        valid, codes = _among("f.civility", valid_codes(catalog.CIVILITY), optional=True)
        for rpps, civility in stream(f"SELECT f.rpps, f.civility {new} AND NOT {valid} ORDER BY f.rpps", codes):
            self.problem(f"RPPS {rpps} : civilité « {civility} » inconnue ou plus valide ; enregistrée vide.")
        self.execute(
            f"INSERT INTO {P} (rpps, civility_code, sex_code, birth_name, given_names, usage_name, birth_date, "
            f"birth_place_code, birth_city_abroad, nationality_code, email, phone, created_at, updated_at) "
            f"SELECT f.rpps, CASE WHEN {valid} THEN f.civility ELSE '' END, '', '', '', '', NULL, '', '', '', '', '', "
            f"%s, %s {new} ORDER BY f.rpps",
            [*codes, self.now, self.now],
        )
        self.record(
            object_type(Person),
            f"SELECT p.id AS oid, p.id AS pid, {_json(('rpps', 'p.rpps'), ('source', 'CAST(%s AS TEXT)'))} AS after "
            f"FROM {P} p WHERE p.id > %s",
            ["extraction publique", self.before[Person]],
        )

    def exercises(self) -> None:
        new = f"FROM cmp_exercise_added f JOIN ({self.cur}) c ON c.prpps = f.rpps WHERE 1 = 1"
        conditions = [
            _among("f.profession", valid_codes(catalog.PROFESSION)),
            _among("f.category_code", valid_codes(catalog.CATEGORY)),
            _among("f.exercise_civility_code", valid_codes(catalog.EXERCISE_CIVILITY), optional=True),
        ]
        valid = " AND ".join(sql for sql, _ in conditions)
        codes = [code for _, listed in conditions for code in listed]
        for rpps, profession in stream(
            f"SELECT f.rpps, f.profession {new} AND NOT ({valid}) ORDER BY f.rpps", [*self.cur_params, *codes]
        ):
            self.problem(
                f"RPPS {rpps} : profession, catégorie ou civilité d'exercice inconnue : exercice {profession} non chargé."
            )
        self.execute(
            f"INSERT INTO {E} (person_id, profession_code, category_code, exercise_civility_code, last_name, "
            f"first_name, registration_authority, created_at, updated_at) SELECT c.pid, f.profession, f.category_code, "
            f"f.exercise_civility_code, f.last_name, f.first_name, f.registration_authority, %s, %s {new} AND {valid} "
            f"ORDER BY f.rpps, f.profession",
            [self.now, self.now, *self.cur_params, *codes],
        )

    def structures(self) -> None:
        """Identifiers checked in Python (their keys), one pass over the new structures; the accepted
        ones are noted in a temporary table, then written by one statement."""
        sectors = set(valid_codes(catalog.SECTOR))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS load_structure_ok")
            cursor.execute("CREATE TEMPORARY TABLE load_structure_ok (technical_id TEXT, rpps_rang TEXT)")
        new = "FROM cmp_structure_added f WHERE 1 = 1"
        accepted = []
        for technical_id, *values in stream(
            f"SELECT f.technical_id, {', '.join('f.' + n for n in STRUCTURE_FIELDS)} {new} ORDER BY f.technical_id"
        ):
            v = dict(zip(STRUCTURE_FIELDS, values, strict=True))
            message = structure_problem(technical_id, v)
            if not message and v["sector_code"] and v["sector_code"] not in sectors:
                message = f"structure {technical_id} : secteur « {v['sector_code']} » inconnu ou plus valide."
            if message:
                self.problem(message + " Structure et situations non chargées.")
                continue
            kind = identifiers.parse_structure_technical_id(technical_id)
            accepted.append((technical_id, kind.number if kind.kind == "RPPS_RANG" else ""))
        BulkWriter().write_table("load_structure_ok", ("technical_id", "rpps_rang"), accepted)
        del accepted
        columns = [n for n in STRUCTURE_FIELDS if n != "finess"]
        self.execute(
            f"INSERT INTO {S} (technical_id, finess, rpps_rang, is_legal_entity, {', '.join(columns)}, created_at, "
            f"updated_at) SELECT f.technical_id, NULLIF(f.finess, ''), o.rpps_rang, %s, "
            f"{', '.join('f.' + n for n in columns)}, %s, %s FROM cmp_structure_added f "
            f"JOIN load_structure_ok o ON o.technical_id = f.technical_id ORDER BY f.technical_id",
            [False, self.now, self.now],
        )
        self.record_structures()

    def record_structures(self) -> None:
        self.record(
            object_type(Structure),
            f"SELECT s.id AS oid, CAST(NULL AS BIGINT) AS pid, {_json(('technical_id', 's.technical_id'))} AS after "
            f"FROM {S} s WHERE s.id > %s",
            [self.recorded_structures],
        )
        self.recorded_structures = _max_id(Structure)

    def legal_entities(self) -> None:
        """New structures to their legal entity, found by FINESS; one the registry lacks is created,
        named by its FINESS only (the file gives nothing else of it)."""
        first, last = self.before[Structure], self.recorded_structures  # the file's new structures
        missing = [
            (technical_id, finess)
            for technical_id, finess in stream(
                f"SELECT MIN(l.technical_id), l.legal_finess FROM load_legal l "
                f"JOIN {S} s ON s.technical_id = l.technical_id AND s.id > %s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {S} x WHERE x.finess = l.legal_finess) "
                f"GROUP BY l.legal_finess ORDER BY l.legal_finess",
                [first],
            )
        ]
        rows = []
        for technical_id, finess in missing:
            try:
                identifiers.validate_finess(finess)
            except identifiers.InvalidIdentifier as exc:
                self.problem(f"structure {technical_id} : entité juridique {finess} : {exc}")
                continue
            values = {"technical_id": "F" + finess, "finess": finess, "legal_entity_id": None, "is_legal_entity": True,
                      "name": f"Entité juridique FINESS {finess}", "created_at": self.now, "updated_at": self.now}  # fmt: skip
            rows.append(tuple(values.get(column, "") for column in COLUMNS[Structure][1:]))
        BulkWriter().write(Structure, COLUMNS[Structure][1:], rows)
        self.record_structures()
        self.execute(
            f"UPDATE {S} SET legal_entity_id = (SELECT l.id FROM load_legal ll JOIN {S} l ON l.finess = ll.legal_finess "
            f"WHERE ll.technical_id = {S}.technical_id AND l.id <> {S}.id) "
            f"WHERE id > %s AND id <= %s AND technical_id IN (SELECT technical_id FROM load_legal)",
            [first, last],
        )

    def activities(self) -> None:
        new = (
            f"FROM cmp_activity_added f JOIN ({self.cur}) c ON c.prpps = f.rpps "
            f"JOIN {E} e ON e.person_id = c.pid AND e.profession_code = f.profession "
            f"JOIN {S} s ON s.technical_id = f.technical_id WHERE 1 = 1"
        )
        conditions = [
            _among("f.mode_code", valid_codes(catalog.ACTIVITY_MODE)),
            _among("f.genre_code", valid_codes(catalog.ACTIVITY_GENRE), optional=True),
            _among("f.function_code", valid_codes(catalog.FUNCTION), optional=True),
            _among("f.pharmacist_section_code", valid_codes(catalog.PHARMACIST_SECTION), optional=True),
        ]
        valid = " AND ".join(sql for sql, _ in conditions)
        codes = [code for _, listed in conditions for code in listed]
        params = list(self.cur_params)
        for rpps, technical_id in stream(
            f"SELECT f.rpps, f.technical_id {new} AND NOT ({valid}) ORDER BY f.rpps, f.technical_id", [*params, *codes]
        ):
            self.problem(f"RPPS {rpps} : situation à {technical_id} avec un code inconnu ou plus valide : non chargée.")
        self.execute(
            f"INSERT INTO {AC} (exercise_id, structure_id, mode_code, function_code, genre_code, role_code, "
            f"pharmacist_section_code, start_date, end_date, end_reason_code, registration_authority, created_at, "
            f"updated_at) SELECT e.id, s.id, f.mode_code, f.function_code, f.genre_code, f.role_code, "
            f"f.pharmacist_section_code, %s, NULL, '', f.registration_authority, %s, %s {new} AND {valid} "
            f"ORDER BY f.rpps, f.profession, f.technical_id",
            [self.plan.date, self.now, self.now, *params, *codes],
        )

    def children(self, model) -> None:
        """Savoir-faire to their exercise; diplomas and authorizations to the person's first exercise
        (lowest profession code): the file ties them to the person."""
        if model is Expertise:
            exercise = "e.id"
            joins = f"JOIN {E} e ON e.person_id = c.pid AND e.profession_code = f.profession"
            valid, codes = _among("f.code", valid_codes(catalog.SPECIALTY))
            valid = f"f.type_code = 'S' AND {valid}"
            message = (
                "RPPS {} : savoir-faire {} {} : seules les spécialités ordinales (type S) connues et en vigueur sont "
                "chargées."
            )
        else:
            exercise = f"(SELECT e1.id FROM {E} e1 WHERE e1.person_id = c.pid ORDER BY e1.profession_code LIMIT 1)"
            joins = ""
            kinds = catalog.DIPLOMA_TYPE if model is Diploma else catalog.AUTHORIZATION_TYPE
            valid, codes = _among("f.type_code", valid_codes(kinds))
            message = (
                "RPPS {} : type de diplôme « {} » inconnu ou plus valide : non chargé."
                if model is Diploma
                else "RPPS {} : type d'autorisation « {} » inconnu ou plus valide : non chargée."
            )
        new = f"FROM cmp_{model._meta.model_name}_added f JOIN ({self.cur}) c ON c.prpps = f.rpps {joins} WHERE {exercise} IS NOT NULL"
        for rpps, type_code, code in stream(
            f"SELECT f.rpps, f.type_code, f.code {new} AND NOT ({valid}) ORDER BY f.rpps, f.type_code, f.code",
            [*self.cur_params, *codes],
        ):
            self.problem(message.format(rpps, type_code, code))
        if model is Expertise:
            columns, values = "type_code, code", "f.type_code, f.code"
        elif model is Diploma:
            columns, values = (
                "type_code, code, label, number, obtained_on, place",
                "f.type_code, f.code, f.label, '', NULL, ''",
            )
        else:
            columns = "type_code, discipline_code, discipline_label, number, granted_on"
            values = "f.type_code, f.code, f.label, '', NULL"
        self.execute(
            f"INSERT INTO {model._meta.db_table} (exercise_id, {columns}, created_at, updated_at) "
            f"SELECT {exercise}, {values}, %s, %s {new} AND {valid} ORDER BY f.rpps, f.type_code, f.code",
            [self.now, self.now, *self.cur_params, *codes],
        )

    def parts_of_earlier_exercises(self) -> None:
        """A row added to an exercise that was there before this load is a change to it: recorded
        (a first load records one creation per person and structure only, to stay fast)."""
        for model, fields in (
            (Activity, (("structure_id", "x.structure_id"),)),
            (Expertise, (("type_code", "x.type_code"), ("code", "x.code"))),
            (Diploma, (("type_code", "x.type_code"), ("code", "x.code"))),
            (Authorization, (("type_code", "x.type_code"), ("code", "x.discipline_code"))),
        ):
            added = (
                f"FROM {model._meta.db_table} x JOIN {E} e ON e.id = x.exercise_id "
                f"WHERE x.id > %s AND x.exercise_id <= %s"
            )
            params = [self.before[model], self.before[Exercise]]
            after = _json(("exercise_id", "x.exercise_id"), *fields)
            self.record(object_type(model), f"SELECT x.id AS oid, e.person_id AS pid, {after} AS after {added}", params)
            if "exercise" in model.PART_OF:  # a situation is a resource of its own, not a part
                self.execute(
                    f"UPDATE {E} SET updated_at = %s WHERE id IN (SELECT x.exercise_id {added})", [self.now, *params]
                )

    def touched_persons(self) -> list[int]:
        """The persons whose public lines this load's additions may change."""
        sql = " UNION ".join(
            [
                f"SELECT id FROM {P} WHERE id > %s",
                f"SELECT person_id FROM {E} WHERE id > %s",
                *(
                    f"SELECT e.person_id FROM {m._meta.db_table} x JOIN {E} e ON e.id = x.exercise_id WHERE x.id > %s"
                    for m in (Activity, Expertise, Diploma, Authorization)
                ),
            ]
        )
        params = [self.before[m] for m in (Person, Exercise, Activity, Expertise, Diploma, Authorization)]
        return [pk for (pk,) in stream(sql, params)]
