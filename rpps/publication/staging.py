"""The file's state in SQL: a PS_LibreAcces extraction copied into temporary tables, one per kind.

The loader compares the file with the registry in the database rather than in memory: each of the
three files is read once, line by line, and copied into a staging table (COPY on PostgreSQL); the
objects of each kind are then derived with one statement each, deduplicated on their natural key
the way the file is read (a person's civility, a structure, a situation: the last line that gives
it; an exercise: the first). Memory stays that of one batch of lines whatever the file's size.

Temporary tables belong to the database session: they vanish with the connection and never meet
another load's.
"""

from django.db import connection

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.bulkwrite.writer import BulkWriter

from . import formats
from .reader import Extraction, Problem

# File column -> staged column, for the structure of a situation line (the Structure fields' names).
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
STRUCTURE_FIELDS = tuple(STRUCTURE_COLUMNS.values())
EXERCISE_FIELDS = ("exercise_civility_code", "last_name", "first_name", "category_code", "registration_authority")
ACTIVITY_FIELDS = (
    "mode_code",
    "genre_code",
    "role_code",
    "function_code",
    "pharmacist_section_code",
    "registration_authority",
)

STAGED = {
    "load_pa": (
        "line",
        "rpps",
        "profession",
        "civility",
        *EXERCISE_FIELDS[:-1],
        "exercise_authority",
        "technical_id",
        *STRUCTURE_FIELDS,
        "legal_finess",
        "role",
        *ACTIVITY_FIELDS,
    ),
    "load_sf": ("line", "rpps", "profession", "type_code", "code"),
    "load_da": ("line", "rpps", "type_code", "code", "label", "auth_type", "auth_code", "auth_label"),
}


def _last(columns: str, key: str, where: str = "", first: bool = False) -> str:
    """The staged lines' ``columns``, one line per ``key``: the last one of the file (or the first)."""
    order = "line" if first else "line DESC"
    return (
        f"SELECT {columns} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY {order}) AS n "
        f"FROM load_pa {where}) t WHERE n = 1"
    )


# The objects of the file, one table per kind, each unique on its key (indexed: the comparisons join on it).
DERIVED = {
    "load_person": (_last("rpps, civility", "rpps"), "rpps"),
    "load_exercise": (
        _last(
            f"rpps, profession, {', '.join(EXERCISE_FIELDS[:-1])}, exercise_authority AS registration_authority",
            "rpps, profession",
            first=True,
        ),
        "rpps, profession",
    ),
    "load_structure": (
        _last(f"technical_id, {', '.join(STRUCTURE_FIELDS)}", "technical_id", "WHERE technical_id <> ''"),
        "technical_id",
    ),
    "load_legal": (
        _last("technical_id, legal_finess", "technical_id", "WHERE technical_id <> '' AND legal_finess <> ''"),
        "technical_id",
    ),
    "load_activity": (
        _last(
            f"rpps, profession, technical_id, role, {', '.join(ACTIVITY_FIELDS)}",
            "rpps, profession, technical_id, role, mode_code, genre_code",
            "WHERE technical_id <> ''",
        ),
        "rpps, profession, technical_id, role, mode_code, genre_code",
    ),
    "load_expertise": (
        "SELECT DISTINCT rpps, profession, type_code, code FROM load_sf",
        "rpps, profession, type_code, code",
    ),
    "load_diploma": (
        "SELECT rpps, type_code, code, label FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY rpps, type_code, code "
        "ORDER BY line DESC) AS n FROM load_da WHERE type_code <> '') t WHERE n = 1",
        "rpps, type_code, code",
    ),
    "load_authorization": (
        "SELECT rpps, auth_type AS type_code, auth_code AS code, auth_label AS label FROM (SELECT *, ROW_NUMBER() "
        "OVER (PARTITION BY rpps, auth_type, auth_code ORDER BY line DESC) AS n FROM load_da WHERE auth_type <> '') t "
        "WHERE n = 1",
        "rpps, type_code, code",
    ),
}
BATCH = 20000


def _rpps(kind: str, number: str, problems: list[Problem], file: str, line: int) -> str | None:
    if kind != identifiers.IDNPS_RPPS_PREFIX:
        problems.append(Problem(file, line, "identifiant ADELI : ligne non chargée (numéros RPPS seulement)."))
        return None
    try:
        return identifiers.validate_rpps(number)
    except identifiers.InvalidIdentifier as exc:
        problems.append(Problem(file, line, str(exc)))
        return None


PP = ["Type d'identifiant PP", "Identifiant PP"]
SITUATION_COLUMNS = [
    *PP, "Code profession", "Code civilité", "Code civilité d'exercice", "Nom d'exercice", "Prénom d'exercice",
    "Code catégorie professionnelle", "Autorité d'enregistrement", "Identifiant technique de la structure",
    *STRUCTURE_COLUMNS, "Numéro FINESS établissement juridique", "Code rôle", "Code mode exercice",
    "Code genre activité", "Code section tableau pharmaciens",
]  # fmt: skip


def _situation_lines(extraction: Extraction):
    role_codes = {e.code for e in lookup.entries(catalog.ROLE, active_only=False)}
    stem = formats.PERSONNE_ACTIVITE.stem
    for number, (kind, number_pp, *v) in extraction.values(stem, SITUATION_COLUMNS):
        rpps = _rpps(kind, number_pp, extraction.problems, stem, number)
        if rpps is None:
            continue
        *person_and_structure, role, mode, genre, section = v
        is_role = role in role_codes  # else a role of the older table: a function
        yield (
            number, rpps, *person_and_structure, role, mode, genre, role if is_role else "", "" if is_role else role,
            section, v[6],  # the situation's registration authority
        )  # fmt: skip


def _expertise_lines(extraction: Extraction):
    stem = formats.SAVOIR_FAIRE.stem
    columns = [*PP, "Code profession", "Code type savoir-faire", "Code savoir-faire"]
    for number, (kind, number_pp, *v) in extraction.values(stem, columns):
        rpps = _rpps(kind, number_pp, extraction.problems, stem, number)
        if rpps is not None:
            yield number, rpps, *v


def _diploma_lines(extraction: Extraction):
    stem = formats.DIPL_AUT_EXERC.stem
    columns = [
        *PP, "Code type diplôme obtenu", "Code diplôme obtenu", "Libellé diplôme obtenu", "Code type autorisation",
        "Code discipline autorisation", "Libellé discipline autorisation",
    ]  # fmt: skip
    for number, (kind, number_pp, *v) in extraction.values(stem, columns):
        rpps = _rpps(kind, number_pp, extraction.problems, stem, number)
        if rpps is not None:
            yield number, rpps, *v


def drop() -> None:
    with connection.cursor() as cursor:
        for table in (*STAGED, *DERIVED):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def stage(extraction: Extraction) -> None:
    """Copies the extraction's lines into the staging tables and derives one table per kind."""
    drop()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # sorts and temporary tables of a national file in memory rather than on disk (this session only;
            # temp_buffers counts only before the session's first temporary table)
            cursor.execute("SET work_mem = '256MB'")
            cursor.execute("SET temp_buffers = '1GB'")
        for table, columns in STAGED.items():
            typed = ", ".join(f"{c} {'INTEGER' if c == 'line' else 'TEXT'}" for c in columns)
            cursor.execute(f"CREATE TEMPORARY TABLE {table} ({typed})")
    writer = BulkWriter()
    for table, lines in (
        ("load_pa", _situation_lines(extraction)),
        ("load_sf", _expertise_lines(extraction)),
        ("load_da", _diploma_lines(extraction)),
    ):
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) == BATCH:
                writer.write_table(table, STAGED[table], batch)
                batch = []
        writer.write_table(table, STAGED[table], batch)
    with connection.cursor() as cursor:
        for table, (select, key) in DERIVED.items():
            cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {select}")
            cursor.execute(f"CREATE INDEX {table}_key ON {table} ({key})")
        if connection.vendor == "postgresql":
            for table in (*STAGED, *DERIVED):
                cursor.execute(f"ANALYZE {table}")  # temporary tables are not seen by autovacuum
