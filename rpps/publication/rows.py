"""The lines of each extraction file, read from the registry through the public projection only.

Each generator streams one joined query (server-side cursor) and yields the file's values in column
order; labels come from the nomenclatures (codes are the key: ANS labels sometimes differ from NOS
displays, formats.md §1.2). Only current professionals are published, and only their open
situations; a professional with no open situation has one line with empty structure columns.
"""

import datetime

from django.db.models import FilteredRelation, Q

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.models import Authorization, Card, Diploma, Exercise, Expertise, Mailbox
from rpps.registry.models.activity import open_condition
from rpps.registry.models.person import current_condition
from rpps.registry.projection import public_values

CHUNK = 5000
RPPS_TYPE = identifiers.IDNPS_RPPS_PREFIX  # TRE_G08: 8 = RPPS


def labels(table: str) -> dict[str, str]:
    return {entry.code: entry.label for entry in lookup.entries(table, active_only=False)}


class Labels:
    """Every label table the files need, loaded once per publication."""

    def __init__(self):
        self.exercise_civility = labels(catalog.EXERCISE_CIVILITY)
        self.civility = labels(catalog.CIVILITY)
        self.profession = labels(catalog.PROFESSION)
        self.category = labels(catalog.CATEGORY)
        self.expertise_type = labels(catalog.EXPERTISE_TYPE)
        self.specialty = labels(catalog.SPECIALTY)
        self.mode = labels(catalog.ACTIVITY_MODE)
        self.sector = labels(catalog.SECTOR)
        self.section = labels(catalog.PHARMACIST_SECTION)
        self.function = labels(catalog.FUNCTION)
        self.role = labels(catalog.ROLE)
        self.genre = labels(catalog.ACTIVITY_GENRE)
        self.diploma_type = labels(catalog.DIPLOMA_TYPE)
        self.authorization_type = labels(catalog.AUTHORIZATION_TYPE)
        self.card_type = labels(catalog.CARD_TYPE)
        self.old_ids: dict[str, str] = {}

    def old_id(self, technical_id: str) -> str:
        if not technical_id:
            return ""
        found = self.old_ids.get(technical_id)
        if found is None:
            found = self.old_ids[technical_id] = identifiers.old_structure_id(technical_id)
        return found


def main_expertises() -> dict[int, tuple[str, str]]:
    """exercise id → (type, code) of its first savoir-faire, shown on every activity line."""
    found: dict[int, tuple[str, str]] = {}
    query = Expertise.objects.of_current_persons().order_by("id")
    for exercise_id, type_code, code in public_values(query, "exercise__id", "type_code", "code").iterator(CHUNK):
        found.setdefault(exercise_id, (type_code, code))
    return found


STRUCTURE_ADDRESS = (
    "recipient_complement place_complement street_number repetition_index street_type_code street_type_label "
    "street_name distribution_mention cedex_office postal_code commune_code commune_label country_code "
    "country_label phone phone2 fax email department_code department_label"
).split()

# PS_LibreAcces_Personne_activite: the exercise's columns, its open situation's structure, then the situation's.
EXERCISE_HEAD = (
    "id person__rpps exercise_civility_code person__civility_code last_name first_name profession_code "
    "category_code act__mode_code"
).split()
STRUCTURE_IDS = "siret siren finess legal_entity__finess technical_id name trade_name".split()
ACTIVITY_TAIL = "pharmacist_section_code role_code function_code genre_code registration_authority".split()


def personne_activite(names: Labels, day: datetime.date | None = None):
    day = day or datetime.date.today()
    expertises = main_expertises()
    open_activity = FilteredRelation("activities", condition=open_condition(day, "activities__"))
    query = Exercise.objects.of_current_persons().annotate(act=open_activity).order_by("person_id", "id", "act__id")
    paths = (
        EXERCISE_HEAD
        + [f"act__structure__{f}" for f in STRUCTURE_IDS + STRUCTURE_ADDRESS]
        + ["registration_authority", "act__structure__sector_code"]
        + [f"act__{f}" for f in ACTIVITY_TAIL]
    )
    no_activity = ("",) * 20
    for row in public_values(query, *paths).iterator(CHUNK):
        exercise_id, rpps, ex_civility, civility, last, first, profession, category, mode = row[:9]
        authority, sector, section, role, function, genre, line_authority = row[36:]
        authority = line_authority or authority
        if mode is None:  # no open situation: the structure columns are empty
            mode = sector = section = role = function = genre = ""
            structure, address = ("",) * 7, no_activity
        else:
            # siret, siren, finess, legal finess, technical id, name, trade name
            structure, address = tuple(value or "" for value in row[9:16]), row[16:36]
        technical_id = structure[4]
        sf_type, sf_code = expertises.get(exercise_id, ("", ""))
        role_code = role or function or ""
        role_label = (names.role.get(role) if role else names.function.get(function or "", "")) or ""
        yield [
            RPPS_TYPE,
            rpps,
            RPPS_TYPE + rpps,
            *_coded(ex_civility, names.exercise_civility),
            *_coded(civility, names.civility),
            last,
            first,
            *_coded(profession, names.profession),
            *_coded(category, names.category),
            *_coded(sf_type, names.expertise_type),
            sf_code,
            names.specialty.get(sf_code, "") if sf_type == "S" else "",
            *_coded(mode, names.mode),
            *structure,
            *address,
            names.old_id(technical_id),
            authority,
            *_coded(sector, names.sector),
            *_coded(section, names.section),
            role_code,
            role_label,
            *_coded(genre, names.genre),
        ]


def _coded(code: str | None, labels: dict) -> tuple[str, str]:
    """A coded column and the label column that follows it in every file (empty label for an unknown code)."""
    return code or "", labels.get(code, "")


def _identity(rpps: str, last: str, first: str) -> list:
    return [RPPS_TYPE, rpps, RPPS_TYPE + rpps, last, first]


def savoir_faire(names: Labels):
    query = Expertise.objects.of_current_persons().order_by("exercise__person_id", "id")
    paths = (
        "exercise__person__rpps",
        "exercise__last_name",
        "exercise__first_name",
        "exercise__profession_code",
        "exercise__category_code",
        "type_code",
        "code",
    )
    for rpps, last, first, profession, category, type_code, code in public_values(query, *paths).iterator(CHUNK):
        yield _identity(rpps, last, first) + [
            *_coded(profession, names.profession),
            *_coded(category, names.category),
            *_coded(type_code, names.expertise_type),
            code,
            names.specialty.get(code, "") if type_code == "S" else "",
        ]


def dipl_aut_exerc(names: Labels):
    common = ("exercise__person__rpps", "exercise__last_name", "exercise__first_name")
    diplomas = Diploma.objects.of_current_persons().order_by("exercise__person_id", "id")
    for rpps, last, first, type_code, code, label in public_values(
        diplomas, *common, "type_code", "code", "label"
    ).iterator(CHUNK):
        yield _identity(rpps, last, first) + [
            *_coded(type_code, names.diploma_type),
            code,
            label,
            "",
            "",
            "",
            "",
        ]
    authorizations = Authorization.objects.of_current_persons().order_by("exercise__person_id", "id")
    paths = (*common, "type_code", "discipline_code", "discipline_label")
    for rpps, last, first, type_code, code, label in public_values(authorizations, *paths).iterator(CHUNK):
        yield _identity(rpps, last, first) + [
            "",
            "",
            "",
            "",
            *_coded(type_code, names.authorization_type),
            code,
            label,
        ]


# The structure columns of the MSSanté file, after its holder's columns (formats.md §3).
MSSANTE_STRUCTURE = (
    "name trade_name place_complement recipient_complement street_number repetition_index street_type_code "
    "street_name distribution_mention cedex_office postal_code department_code country_label"
).split()
MSSANTE_HOLDER = (
    "id type_code address person__rpps structure__technical_id service dematerialization "
    "person__exercises__exercise_civility_code person__exercises__last_name person__exercises__first_name "
    "person__exercises__category_code person__exercises__profession_code person__exercises__id"
).split()


def mssante(names: Labels):
    query = (
        Mailbox.objects.published()
        .filter(Q(person__isnull=True) | current_condition("person__"))
        .order_by("id", "person__exercises__id")
    )
    paths = MSSANTE_HOLDER + [f"structure__{f}" for f in MSSANTE_STRUCTURE]
    expertises = main_expertises()
    last_id = None
    for row in public_values(query, *paths).iterator(CHUNK):
        (
            mailbox_id,
            type_code,
            address,
            rpps,
            technical_id,
            service,
            demat,
            ex_civility,
            last,
            first,
            category,
            profession,
            exercise_id,
        ) = row[: len(MSSANTE_HOLDER)]
        if mailbox_id == last_id:
            continue  # one line per mailbox: its holder's first exercise
        last_id = mailbox_id
        sf_type, sf_code = expertises.get(exercise_id, ("", ""))
        old_id = names.old_id(technical_id or "")
        yield [
            type_code,
            address,
            RPPS_TYPE if rpps else "",
            rpps or "",
            RPPS_TYPE + rpps if rpps else "",
            old_id[:1],
            old_id[1:],
            service,
            ex_civility or "",
            last or "",
            first or "",
            *_coded(category, names.category),
            *_coded(profession, names.profession),
            sf_code,
            names.specialty.get(sf_code, "") if sf_type == "S" else "",
            "O" if demat else "N",
            *(value or "" for value in row[len(MSSANTE_HOLDER) :]),
        ]


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def cps(names: Labels):
    query = Card.objects.of_current_persons().order_by("id", "person__exercises__id")
    paths = (
        "id person__rpps person__exercises__last_name person__exercises__first_name person__exercises__profession_code "
        "person__exercises__category_code type_code number national_id valid_from valid_until opposition_date updated_at"
    ).split()
    last_id = None
    for (
        card_id,
        rpps,
        last,
        first,
        profession,
        category,
        type_code,
        number,
        national_id,
        valid_from,
        valid_until,
        opposition,
        updated,
    ) in public_values(query, *paths).iterator(CHUNK):
        if card_id == last_id:
            continue
        last_id = card_id
        yield _identity(rpps, last or "", first or "") + [
            *_coded(profession, names.profession),
            *_coded(category, names.category),
            *_coded(type_code, names.card_type),
            number,
            national_id,
            _date(valid_from),
            _date(valid_until),
            _date(opposition),
            _date(updated),
        ]


ROWS = {
    "PS_LibreAcces_Personne_activite": personne_activite,
    "PS_LibreAcces_SavoirFaire": savoir_faire,
    "PS_LibreAcces_Dipl_AutExerc": dipl_aut_exerc,
    "Extraction_Correspondance_MSSante": mssante,
    "Porteurs_CPS_CPF": cps,
}
