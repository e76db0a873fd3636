"""The file's state in SQL: a PS_LibreAcces extraction copied into temporary tables, one per kind.

The loader compares the file with the registry in the database rather than in memory: each of the
three files is read once, line by line, and copied into a staging table (COPY on PostgreSQL); the
objects of each kind are then derived with one statement each, deduplicated on their natural key
the way the file is read (a person's civility, a structure, a situation: the last line that gives
it; an exercise: the first). Memory stays that of one batch of lines whatever the file's size.

Temporary tables belong to the database session: they vanish with the connection and never meet
another load's.
"""

from dataclasses import dataclass

from django.db import connection

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.bulkwrite.writer import BulkWriter

from . import formats
from .reader import Extraction, Problem, expected_columns

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
# The staged columns: the names the derived tables read of each file's columns (COLUMNS_READ, in this
# order), after the line number. Each is a view over the file's lines as copied (`raw_<table>`).
STAGED = {
    "load_pa": (
        "line",
        "kind",
        "rpps",
        "profession",
        "civility",
        *EXERCISE_FIELDS[:-1],
        "registration_authority",
        "technical_id",
        *STRUCTURE_FIELDS,
        "legal_finess",
        "role",
        "mode_code",
        "genre_code",
        "pharmacist_section_code",
    ),
    "load_sf": ("line", "kind", "rpps", "profession", "type_code", "code"),
    "load_da": ("line", "kind", "rpps", "type_code", "code", "label", "auth_type", "auth_code", "auth_label"),
}
ROLE_SPLIT = (
    # a code of the role table is a role; another (a function of the older table) is a function
    "CASE WHEN role IN ({roles}) THEN role ELSE '' END AS role_code, "
    "CASE WHEN role IN ({roles}) THEN '' ELSE role END AS function_code"
)


@dataclass(frozen=True)
class _Last:
    """The staged lines' ``columns``, one line per ``key``: the last one of the file (or the ``first``)."""

    columns: str
    key: str
    where: str = ""
    first: bool = False
    table: str = "load_pa"
    wide: bool = False  # many columns kept

    def sql(self) -> str:
        """PostgreSQL sorts the few columns kept (DISTINCT ON); where they are many (``wide``), and on
        SQLite (no DISTINCT ON), line numbers are grouped, then joined back: no sort of whole wide lines."""
        table, where = self.table, self.where
        if connection.vendor == "postgresql" and not self.wide:
            order = f"{self.key}, line{'' if self.first else ' DESC'}"
            return f"SELECT DISTINCT ON ({self.key}) {self.columns} FROM {table} {where} ORDER BY {order}"
        picked = f"SELECT {'MIN' if self.first else 'MAX'}(line) AS picked FROM {table} {where} GROUP BY {self.key}"
        return f"SELECT {self.columns} FROM {table} JOIN ({picked}) m ON m.picked = {table}.line"


# The objects of the file, one table per kind, each unique on its key (indexed: the comparisons join on it).
DERIVED = {
    "load_person": (_Last("rpps, civility", "rpps"), "rpps"),
    "load_exercise": (
        _Last(
            f"rpps, profession, {', '.join(EXERCISE_FIELDS)}",
            "rpps, profession",
            first=True,
        ),
        "rpps, profession",
    ),
    "load_structure": (
        _Last(f"technical_id, {', '.join(STRUCTURE_FIELDS)}", "technical_id", "WHERE technical_id <> ''", wide=True),
        "technical_id",
    ),
    "load_legal": (
        _Last("technical_id, legal_finess", "technical_id", "WHERE technical_id <> '' AND legal_finess <> ''"),
        "technical_id",
    ),
    "load_activity": (
        _Last(
            f"rpps, profession, technical_id, role, mode_code, genre_code, {ROLE_SPLIT}, pharmacist_section_code, "
            "registration_authority",
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
        _Last("rpps, type_code, code, label", "rpps, type_code, code", "WHERE type_code <> ''", table="load_da"),
        "rpps, type_code, code",
    ),
    "load_authorization": (
        _Last(
            "rpps, auth_type AS type_code, auth_code AS code, auth_label AS label",
            "rpps, auth_type, auth_code",
            "WHERE auth_type <> ''",
            table="load_da",
        ),
        "rpps, type_code, code",
    ),
}
BATCH = 20000


class _Numbers:
    """Keeps the lines of RPPS numbers, each checked once per run of lines (a person's lines follow
    each other); the others are reported with their line."""

    def __init__(self, extraction: Extraction, stem: str):
        self.problems, self.stem = extraction.problems, stem
        self.last_valid = None

    def kept(self, number: int, kind: str, rpps: str) -> bool:
        if kind == identifiers.IDNPS_RPPS_PREFIX and rpps == self.last_valid:
            return True
        if kind != identifiers.IDNPS_RPPS_PREFIX:
            message = "identifiant ADELI : ligne non chargée (numéros RPPS seulement)."
        else:
            try:
                if identifiers.validate_rpps(rpps) != rpps:  # stored as read: spaces would make another key
                    raise identifiers.InvalidIdentifier("Le numéro RPPS doit comporter exactement 11 chiffres.")
            except identifiers.InvalidIdentifier as exc:
                message = str(exc)
            else:
                self.last_valid = rpps
                return True
        self.problems.append(Problem(self.stem, number, message))
        return False


PP = ["Type d'identifiant PP", "Identifiant PP"]
COLUMNS_READ = {
    formats.PERSONNE_ACTIVITE.stem: [
        *PP, "Code profession", "Code civilité", "Code civilité d'exercice", "Nom d'exercice", "Prénom d'exercice",
        "Code catégorie professionnelle", "Autorité d'enregistrement", "Identifiant technique de la structure",
        *STRUCTURE_COLUMNS, "Numéro FINESS établissement juridique", "Code rôle", "Code mode exercice",
        "Code genre activité", "Code section tableau pharmaciens",
    ],
    formats.SAVOIR_FAIRE.stem: [*PP, "Code profession", "Code type savoir-faire", "Code savoir-faire"],
    formats.DIPL_AUT_EXERC.stem: [
        *PP, "Code type diplôme obtenu", "Code diplôme obtenu", "Libellé diplôme obtenu", "Code type autorisation",
        "Code discipline autorisation", "Libellé discipline autorisation",
    ],
}  # fmt: skip


STEMS = {
    "load_pa": formats.PERSONNE_ACTIVITE.stem,
    "load_sf": formats.SAVOIR_FAIRE.stem,
    "load_da": formats.DIPL_AUT_EXERC.stem,
}
RAW = {view: f"raw_{view}" for view in STAGED}  # the copied lines behind each view


def drop(others=()) -> None:
    """The staging tables (and ``others`` made from them) dropped: the session may load another file."""
    with connection.cursor() as cursor:
        for view in STAGED:
            cursor.execute(f"DROP VIEW IF EXISTS {view}")
        for table in (*RAW.values(), *DERIVED, *others):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _copy(extraction: Extraction, view: str, writer: BulkWriter) -> None:
    """Copies one file's lines of valid RPPS numbers as they are, fields split by the database (no
    Python object per field of a national file), and names the columns read in a view."""
    stem = STEMS[view]
    lines = extraction.lines(stem)
    header = next(lines, None) or expected_columns(stem)
    raw = RAW[view]
    fields = ("line", *(f"c{i}" for i in range(len(header))))
    with connection.cursor() as cursor:
        # byte order on PostgreSQL: the sorts and groupings on codes need no locale, whatever the database's
        text = 'TEXT COLLATE "C"' if connection.vendor == "postgresql" else "TEXT"
        typed = ", ".join(f"{c} {'INTEGER' if c == 'line' else text}" for c in fields)
        cursor.execute(f"CREATE TEMPORARY TABLE {raw} ({typed})")
        # a column an older layout lacks reads ""
        named = [f"c{header.index(c)}" if c in header else "''" for c in COLUMNS_READ[stem]]
        columns = ", ".join(f"{column} AS {name}" for column, name in zip(named, STAGED[view][1:], strict=True))
        cursor.execute(f"CREATE TEMPORARY VIEW {view} AS SELECT line, {columns} FROM {raw}")
    writer.write_delimited(raw, fields, _batches(extraction, stem, lines, header), formats.SEPARATOR)


def _batches(extraction: Extraction, stem: str, lines, header: list[str]):
    """The lines of valid RPPS numbers, each after its line number, in batches of BATCH."""
    numbers, separator = _Numbers(extraction, stem), formats.SEPARATOR
    kind, rpps = header.index(PP[0]), header.index(PP[1])
    splits = max(kind, rpps) + 1
    batch = []
    for number, line in lines:
        values = line.split(separator, splits)
        if numbers.kept(number, values[kind], values[rpps]):
            batch.append(f"{number}{separator}{line}")
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def stage(extraction: Extraction) -> None:
    """Copies the extraction's lines into the staging tables and derives one table per kind."""
    drop()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # sorts and temporary tables of a national file in memory rather than on disk (this session only;
            # temp_buffers counts only before the session's first temporary table)
            cursor.execute("SET work_mem = '256MB'")
            cursor.execute("SET temp_buffers = '1GB'")
    writer = BulkWriter()
    for view in STAGED:
        _copy(extraction, view, writer)
    with connection.cursor() as cursor:
        roles = sorted(e.code for e in lookup.entries(catalog.ROLE, active_only=False))
        for table, (spec, key) in DERIVED.items():
            select = spec.sql() if isinstance(spec, _Last) else spec
            if "{roles}" in select:
                select = select.format(roles=", ".join("'" + r.replace("'", "''") + "'" for r in roles))
            cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {select}")
            cursor.execute(f"CREATE INDEX {table}_key ON {table} ({key})")
        if connection.vendor == "postgresql":
            for table in (*RAW.values(), *DERIVED):
                cursor.execute(f"ANALYZE {table}")  # temporary tables are not seen by autovacuum
