"""FHIR resources shaped after the public profiles as-dp-practitioner, as-dp-practitionerrole and
as-dp-organization (reference/fhir.md §2.2–2.3), built in bulk from the public projection.

Mapping: Practitioner = an exercise (profession practised by a person, with its names of exercise);
PractitionerRole = a situation (exercise at a structure); Organization = a structure. Technical ids
are stable: "003-" + exercise id, "005-" + situation id, "001-" + structure id.
"""

import datetime
import functools
from collections import defaultdict

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, Concat, JSONArray, Length, NullIf, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.models import Activity, Authorization, Card, Diploma, Exercise, Expertise, Mailbox, Structure
from rpps.registry.models.activity import open_condition
from rpps.registry.models.contact import published_mailbox_condition
from rpps.registry.models.person import current_condition
from rpps.registry.projection import PUBLIC_FIELDS, public_values

from .prepared import Prepared

SOURCE = "https://annuaire.esante.gouv.fr"
IG = "https://interop.esante.gouv.fr/ig/fhir/annuaire"
IG_VERSION = "1.2.0-snapshot-2"
FR_CORE = "https://hl7.fr/ig/fhir/core"
V2_0203 = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0203"
PROFILES = {
    "Practitioner": [
        f"{FR_CORE}/StructureDefinition/fr-core-practitioner|2.2.0",
        f"{IG}/StructureDefinition/as-dp-practitioner|{IG_VERSION}",
    ],
    "PractitionerRole": [
        f"{FR_CORE}/StructureDefinition/fr-core-practitioner-role|2.2.0",
        f"{IG}/StructureDefinition/as-dp-practitionerrole|{IG_VERSION}",
    ],
    "Organization": [
        f"{FR_CORE}/StructureDefinition/fr-core-organization|2.2.0",
        f"{IG}/StructureDefinition/as-dp-organization|{IG_VERSION}",
    ],
}
PREFIXES = {"Practitioner": "003-", "PractitionerRole": "005-", "Organization": "001-"}
MODELS = {"Practitioner": Exercise, "PractitionerRole": Activity, "Organization": Structure}
# Identifier systems (reference/fhir.md §2.3): the resources show them, the searches match them.
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
FINESS_SYSTEM = "https://finess.esante.gouv.fr"
SIRENE_SYSTEM = "https://sirene.fr"
RPPS_RANG_SYSTEM = "https://rppsrang.esante.gouv.fr"
# NOS code systems (reference/fhir.md §2.4); our tables hold the same codes.
TABLE_SYSTEMS = {
    catalog.PROFESSION: "TRE_G15-ProfessionSante",
    catalog.CATEGORY: "TRE_R09-CategorieProfessionnelle",
    catalog.SPECIALTY: "TRE_R38-SpecialiteOrdinale",
    catalog.EXPERTISE_TYPE: "TRE_R04-TypeSavoirFaire",
    catalog.DIPLOMA_TYPE: "TRE_R14-TypeDiplome",
    catalog.AUTHORIZATION_TYPE: "TRE_R17-TypeAutorisation",
    catalog.MAILBOX_TYPE: "TRE_R257-TypeBAL",
    catalog.ACTIVITY_GENRE: "TRE_R22-GenreActivite",
    catalog.ACTIVITY_MODE: "TRE_R23-ModeExercice",
    catalog.FUNCTION: "TRE_R21-Fonction",
    catalog.ROLE: "TRE_R85-RolePriseCharge",
    catalog.PHARMACIST_SECTION: "TRE_R06-SectionTableauCNOP",
    catalog.SECTOR: "TRE_R02-SecteurActivite",
    catalog.EXERCISE_CIVILITY: "TRE_R11-CiviliteExercice",
    catalog.CIVILITY: "TRE_R81-Civilite",
}
DIPLOMA_SYSTEM = "TRE_R48-DiplomeEtatFrancais"
ORGANIZATION_KIND_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-3307"  # LEGAL-ENTITY, GEOGRAPHICAL-ENTITY
# Tables whose codes belong to a system named otherwise: card types, by the OID of JDV_J128's codes (its NOS file).
OTHER_SYSTEMS = {catalog.CARD_TYPE: "urn:oid:1.2.250.1.213.1.6.1.106"}


def nos_system(name: str) -> str:
    return f"https://mos.esante.gouv.fr/NOS/{name}/FHIR/{name.replace('_', '-')}"


def table_system(table: str) -> str:
    """The code system the codes of one of our tables are shown in."""
    return OTHER_SYSTEMS[table] if table in OTHER_SYSTEMS else nos_system(TABLE_SYSTEMS[table])


_codings: dict[tuple, dict] = {}


def coding(table: str, code: str) -> dict:
    """A NOS coding with our label (cached per process until the tables are reloaded; never mutated)."""
    key = (lookup.generation(), table, code)
    found = _codings.get(key)
    if found is None:
        if len(_codings) > 20_000:
            _codings.clear()
        found = {"system": table_system(table), "code": code}
        label = lookup.label(table, code)
        found = _codings[key] = found | {"display": label} if label else found
    return found


def technical_id(resource_type: str, pk: int) -> str:
    return f"{PREFIXES[resource_type]}{pk}"


def parse_id(resource_type: str, value: str) -> int | None:
    prefix = PREFIXES[resource_type]
    if value.startswith(prefix) and identifiers.ascii_digits(value[len(prefix) :]) and len(value) < 30:
        return int(value[len(prefix) :])
    return None


def instant(value: datetime.datetime) -> str:
    # the server's time zone (no per-request zone here): timezone.localtime() looks it up each call
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="milliseconds")


def version_id(moment: datetime.datetime) -> str:
    """A version is named after the moment of its change, to the microsecond (rpps.fhir.versions)."""
    return str(int(moment.timestamp()) * 1_000_000 + moment.microsecond)


DATA_TRACE_URL = f"{IG}/StructureDefinition/as-ext-data-trace"


@functools.lru_cache(maxsize=1024)  # a few dozen distinct values; shared, never mutated
def _trace(system: str, authority: str = "") -> list[dict]:
    """meta.extension as-ext-data-trace: the information system the record comes from (RPPS, FINESS),
    and its registration authority as the registry holds it (« CNOM/CNOM/ARS »: the authority first,
    which data-registration-authority searches; J83's code system is not in our tables)."""
    parts = []
    if authority:
        parts.append(
            {
                "url": "autorite-enregistrement",
                "valueCodeableConcept": {"coding": [{"code": authority.split("/")[0]}], "text": authority},
            }
        )
    parts.append({"url": "systeme-information", "valueCode": system})
    return [{"url": DATA_TRACE_URL, "extension": parts}]


def _meta(resource_type: str, updated_at: datetime.datetime, trace: list | None = None) -> dict:
    meta = {
        "versionId": version_id(updated_at),
        "lastUpdated": instant(updated_at),
        "source": SOURCE,
        "profile": PROFILES[resource_type],
    }
    if trace:
        meta["extension"] = trace
    return meta


def _identifier(system: str, value: str, type_code: str | None = None) -> dict:
    result = {"use": "official"} if type_code else {}
    if type_code:
        result["type"] = {"coding": [{"system": V2_0203, "code": type_code}]}
    return result | {"system": system, "value": value}


_EMAIL_TYPE = {
    "url": f"{FR_CORE}/StructureDefinition/fr-core-contact-point-email-type",
    "valueCoding": {"system": nos_system("TRE_R256-TypeMessagerie"), "code": "MSSANTE"},
}
MAILBOX_METADATA_URL = f"{IG}/StructureDefinition/as-ext-mailbox-mss-metadata"


def _mailbox(address: str, type_code: str, service: str) -> dict:
    """An MSSanté mailbox (as-mailbox-mss) with its public metadata: type (ORG, APP, PER, CAB) and the
    service it belongs to. Its person in charge and red-list flag are not public (0..0)."""
    metadata = [{"url": "type", "valueCodeableConcept": {"coding": [coding(catalog.MAILBOX_TYPE, type_code)]}}]
    if service:
        metadata.append({"url": "service", "valueString": service})
    return {
        "extension": [_EMAIL_TYPE, {"url": MAILBOX_METADATA_URL, "extension": metadata}],
        "system": "email",
        "value": address,
    }


def _tombstone(resource_type: str, pk: int, updated_at, identifiers_: list) -> dict:
    return {
        "resourceType": resource_type,
        "id": technical_id(resource_type, pk),
        "meta": _meta(resource_type, updated_at),
        "language": "fr",
        "identifier": identifiers_,
        "active": False,
    }


# --- Practitioner ------------------------------------------------------------------------------


_EXERCISE_FIELDS = (
    "id",
    "person__id",
    "person__rpps",
    "person__civility_code",
    "exercise_civility_code",
    "last_name",
    "first_name",
    "profession_code",
    "category_code",
    "registration_authority",
    "updated_at",
)


def shown_cards(day: datetime.date) -> Q:
    """The cards a Practitioner shows (and number-smartcard / type-smartcard find): not opposed on
    ``day``. The profile leaves the opposition date out, so an opposed card cannot be shown as such."""
    return Q(opposition_date__isnull=True) | Q(opposition_date__gt=day)


_PARTS = {  # part model -> (its link to the exercise's row, the exercise's column, its public fields, filter of day)
    Expertise: ("exercise_id", "id", ("type_code", "code"), lambda day: Q()),
    Diploma: ("exercise_id", "id", ("type_code", "code", "label"), lambda day: Q()),
    Authorization: ("exercise_id", "id", ("type_code", "discipline_code", "discipline_label"), lambda day: Q()),
    Mailbox: ("person_id", "person_id", ("address", "type_code", "service"), lambda day: published_mailbox_condition()),
    Card: ("person_id", "person_id", ("type_code", "number", "valid_from", "valid_until"), shown_cards),
}
_EXERCISES = Prepared(lambda ids: public_values(Exercise.objects.filter(id__in=ids), *_EXERCISE_FIELDS))
_CURRENT = Prepared(lambda ids: Exercise.objects.of_current_persons().filter(id__in=ids).values_list("id"))
_PART_ROWS = {
    model: Prepared(
        lambda ids, day, model=model, link=link, fields=fields, shown=shown: public_values(
            model.objects.filter(shown(day), **{f"{link}__in": ids}).order_by("id"),
            link.removesuffix("_id") + "__id",
            *fields,
        )
    )
    for model, (link, _column, fields, shown) in _PARTS.items()
}


def _with_parts(ids, day):
    """PostgreSQL: the exercises with their parts in one query (arrays of the parts' public fields)."""
    for model, (_link, _column, fields, _shown) in _PARTS.items():
        public_values(model.objects.none(), *fields)  # the parts' fields pass the public projection
    public_values(Exercise.objects.none(), *_EXERCISE_FIELDS)
    parts = {
        f"parts_{model.__name__}": ArraySubquery(
            model.objects.filter(shown(day), **{link: OuterRef(column)})
            .order_by("id")
            .annotate(item=JSONArray(*fields))
            .values("item")
        )
        for model, (link, column, fields, shown) in _PARTS.items()
    }
    current = ExpressionWrapper(current_condition("person__"), output_field=BooleanField())
    return (
        Exercise.objects.filter(id__in=ids)
        .annotate(current=current, **parts)
        .values_list(*_EXERCISE_FIELDS, "current", *parts)
    )


_EXERCISES_WITH_PARTS = Prepared(_with_parts)


def _items(array) -> list:
    return [orjson.loads(item) if isinstance(item, str) else item for item in array or []]


def _practitioner_data(ids, day):
    """(rows, current ids, parts): parts[model][exercise or person id] = [tuple of the part's fields].
    One query on PostgreSQL, one per part elsewhere."""
    parts = {model: defaultdict(list) for model in _PARTS}
    width = len(_EXERCISE_FIELDS)
    keys = {"id": 0, "person_id": 1}  # the exercise's columns the parts link to
    if connection.vendor == "postgresql":
        rows, current = [], set()
        for row in _EXERCISES_WITH_PARTS(ids, day):
            rows.append(row[:width])
            if row[width]:
                current.add(row[0])
            for position, (model, (_link, column, _fields, _shown)) in enumerate(_PARTS.items(), start=width + 1):
                parts[model][row[keys[column]]] = [tuple(i) for i in _items(row[position])]
        return rows, current, parts
    rows = _EXERCISES(ids)
    current = {pk for (pk,) in _CURRENT(ids)}
    for model, (_link, column, _fields, _shown) in _PARTS.items():
        for key, *values in _PART_ROWS[model]({r[keys[column]] for r in rows}, day):
            parts[model][key].append(tuple(str(v) if isinstance(v, datetime.date) else v for v in values))
    return rows, current, parts


AUTHORIZATION_URL = f"{IG}/StructureDefinition/as-ext-practitioner-authorization"
SMARTCARD_URL = f"{IG}/StructureDefinition/as-ext-smartcard"


def _authorization(profession: dict, type_code: str, discipline_code: str, discipline_label: str) -> dict:
    parts = [{"url": "type", "valueCodeableConcept": {"coding": [coding(catalog.AUTHORIZATION_TYPE, type_code)]}}]
    if discipline_code or discipline_label:
        field = {"coding": [{"code": discipline_code}]} if discipline_code else {}
        parts.append(
            {"url": "field", "valueCodeableConcept": field | ({"text": discipline_label} if discipline_label else {})}
        )
    parts.append({"url": "profession", "valueCodeableConcept": {"coding": [profession]}})
    return {"url": AUTHORIZATION_URL, "extension": parts}


def _smartcard(type_code: str, number: str, valid_from: str, valid_until: str) -> dict:
    return {
        "url": SMARTCARD_URL,
        "extension": [
            {"url": "type", "valueCodeableConcept": {"coding": [coding(catalog.CARD_TYPE, type_code)]}},
            {"url": "number", "valueString": number},
            {"url": "period", "valuePeriod": {"start": valid_from, "end": valid_until}},
        ],
    }


def practitioners(ids, *, day: datetime.date | None = None) -> dict[int, dict]:
    """Practitioner resources of these exercise ids (absent ids are missing from the result)."""
    rows, current, parts = _practitioner_data(ids, day or datetime.date.today())
    result = {}
    # updated_at of an exercise moves with its parts and its person's (registry: Recorded.FOLLOWS)
    for pk, person_id, rpps, civility, exercise_civility, last, first, profession, category, authority, updated in rows:
        ids_ = [
            _identifier(IDNPS_SYSTEM, identifiers.IDNPS_RPPS_PREFIX + rpps, "IDNPS"),
            _identifier(RPPS_SYSTEM, rpps, "RPPS"),
        ]
        if pk not in current:
            result[pk] = _tombstone("Practitioner", pk, updated, ids_)
            continue
        name = {"use": "usual", "family": last}
        if first:
            name["given"] = [first]
        if civility:
            name["prefix"] = [civility]
        if exercise_civility:
            name["suffix"] = [exercise_civility]
        profession_coding = coding(catalog.PROFESSION, profession)
        qualifications = [
            {"code": {"coding": [profession_coding] + ([coding(catalog.CATEGORY, category)] if category else [])}}
        ]
        for type_code, code in parts[Expertise][pk]:
            codings = [coding(catalog.SPECIALTY, code)] if type_code == "S" else [{"code": code}]
            qualifications.append({"code": {"coding": [*codings, coding(catalog.EXPERTISE_TYPE, type_code)]}})
        for type_code, code, label in parts[Diploma][pk]:
            codings = ([{"system": nos_system(DIPLOMA_SYSTEM), "code": code}] if code else []) + [
                coding(catalog.DIPLOMA_TYPE, type_code)
            ]
            qualifications.append({"code": {"coding": codings, "text": label}})
        resource = {
            "resourceType": "Practitioner",
            "id": technical_id("Practitioner", pk),
            "meta": _meta("Practitioner", updated, _trace("RPPS", authority)),
            "language": "fr",
        }
        extensions = [_authorization(profession_coding, *a) for a in parts[Authorization][pk]]
        extensions += [_smartcard(*c) for c in parts[Card][person_id]]
        if extensions:
            resource["extension"] = extensions
        resource |= {"identifier": ids_, "active": True, "name": [name]}
        if parts[Mailbox][person_id]:
            resource["telecom"] = [_mailbox(*mailbox) for mailbox in parts[Mailbox][person_id]]
        resource["qualification"] = qualifications
        result[pk] = resource
    return result


# --- PractitionerRole --------------------------------------------------------------------------


# Every public field of a situation, plus its exercise (the Practitioner it belongs to).
_ROLE_FIELDS = ("exercise__id", *PUBLIC_FIELDS[Activity])


def _activities(ids, day):
    """The situations' public fields, and whether each is open on ``day`` (registry: open_condition)."""
    public_values(Activity.objects.none(), *_ROLE_FIELDS)
    is_open = ExpressionWrapper(open_condition(day), output_field=BooleanField())
    return Activity.objects.filter(id__in=ids).annotate(is_open=is_open).values_list(*_ROLE_FIELDS, "is_open")


_ACTIVITIES = Prepared(_activities)


def practitioner_roles(ids, *, day: datetime.date | None = None) -> dict[int, dict]:
    result = {}
    for row in _ACTIVITIES(ids, day or datetime.date.today()):
        a = dict(zip((*_ROLE_FIELDS, "is_open"), row, strict=True))
        pk = a["id"]
        ids_ = [_identifier(RPPS_SYSTEM, str(pk))]
        references = {
            "practitioner": {"reference": f"Practitioner/{technical_id('Practitioner', a['exercise__id'])}"},
            "organization": {"reference": f"Organization/{technical_id('Organization', a['structure_id'])}"},
        }
        if not a["is_open"]:
            # a closed situation: inactive, still saying whose and where (as-dp-practitionerrole: both 1..1),
            # nothing else of it (its dates and codes are not published)
            result[pk] = _tombstone("PractitionerRole", pk, a["updated_at"], ids_) | references
            continue
        codes = [
            coding(table, a[column])
            for table, column in (
                (catalog.ACTIVITY_GENRE, "genre_code"),
                (catalog.ACTIVITY_MODE, "mode_code"),
                (catalog.FUNCTION, "function_code"),
                (catalog.ROLE, "role_code"),
                (catalog.PHARMACIST_SECTION, "pharmacist_section_code"),
            )
            if a[column]
        ]
        result[pk] = {
            "resourceType": "PractitionerRole",
            "id": technical_id("PractitionerRole", pk),
            "meta": _meta("PractitionerRole", a["updated_at"], _trace("RPPS", a["registration_authority"])),
            "language": "fr",
            "identifier": ids_,
            "active": True,
            **references,
            "code": [{"coding": [c]} for c in codes],
        }
    return result


# --- Organization ------------------------------------------------------------------------------

# Every public column of a structure (the projection's list); the resource uses those FHIR has a place for.
_STRUCTURE_FIELDS = PUBLIC_FIELDS[Structure]


def _organization_identifiers(s: dict) -> list[dict]:
    # idNatSt: the TRE_G07 digit + identifier (1 FINESS, 3 SIRET, 4 RPPS-rang), as the registry writes it
    idnst = identifiers.old_structure_id(s["technical_id"])
    result = [_identifier(IDNST_SYSTEM, idnst, "IDNST")]
    if s["finess"]:
        result.append(_identifier(FINESS_SYSTEM, s["finess"], "FINEJ" if s["is_legal_entity"] else "FINEG"))
    if s["siren"]:
        result.append(_identifier(SIRENE_SYSTEM, s["siren"], "SIREN"))
    if s["siret"]:
        result.append(_identifier(SIRENE_SYSTEM, s["siret"], "SIRET"))
    if s["rpps_rang"]:
        result.append(_identifier(RPPS_RANG_SYSTEM, s["rpps_rang"], "RPPSRG"))
    return result


def street_line():
    """The street line ``_address`` serves (number, repetition index, street type's label or code, name,
    one space between those present), as a database expression: searches match the text as served."""
    type_ = Coalesce(NullIf(F("street_type_label"), Value("")), F("street_type_code"))
    parts = [F("street_number"), F("repetition_index"), type_, F("street_name")]
    spaced = [Case(When(GreaterThan(Length(p), 0), then=Concat(p, Value(" "))), default=Value("")) for p in parts]
    return Trim(Concat(*spaced, output_field=CharField()))


def _address(s: dict) -> dict | None:
    line_parts = [
        p
        for p in (
            s["street_number"],
            s["repetition_index"],
            s["street_type_label"] or s["street_type_code"],
            s["street_name"],
        )
        if p
    ]
    address = {}
    if s["commune_code"]:
        address["extension"] = [
            {
                "url": f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code",
                "valueCoding": {"system": nos_system("TRE_R13-Commune"), "code": s["commune_code"]},
            }
        ]
    street = " ".join(line_parts)
    lines = [line for line in (s["place_complement"], street, s["distribution_mention"]) if line]
    if lines:
        address["line"] = lines
        # the street line's parts, as ISO 21090 ADXP extensions (as-address-extended)
        parts = [
            (name, s[field])
            for name, field in (
                ("houseNumber", "street_number"),
                ("streetNameType", "street_type_code"),
                ("streetNameBase", "street_name"),
            )
            if s[field]
        ]
        if parts and street:
            address["_line"] = [
                {
                    "extension": [
                        {"url": f"http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-{name}", "valueString": value}
                        for name, value in parts
                    ]
                }
                if line == street
                else None
                for line in lines
            ]
    if s["commune_label"]:
        address["city"] = s["commune_label"]
    if s["postal_code"]:
        address["postalCode"] = s["postal_code"]
    # Address.country is bound (required) to JDV_J256-Pays in as-address-extended: a free-text label
    # would break the profile, and the IG's examples leave it out for French addresses: so do we.
    return address or None


_STRUCTURES = Prepared(lambda ids: public_values(Structure.objects.filter(id__in=ids), *_STRUCTURE_FIELDS))
# An organisation's own MSSanté mailboxes (ORG, APP…: no person), off the red list.
_STRUCTURE_MAILBOXES = Prepared(
    lambda ids: public_values(
        Mailbox.objects.filter(organisation_mailbox(), structure_id__in=ids).order_by("id"),
        "structure_id",
        "address",
        "type_code",
        "service",
    )
)


def organisation_mailbox() -> Q:
    """The mailboxes an Organization shows (and mailbox-mss finds it by)."""
    return Q(person__isnull=True) & published_mailbox_condition()


def organizations(ids) -> dict[int, dict]:
    result = {}
    mailboxes = defaultdict(list)
    for structure_id, *mailbox in _STRUCTURE_MAILBOXES(ids):
        mailboxes[structure_id].append(_mailbox(*mailbox))
    for values in _STRUCTURES(ids):
        s = dict(zip(_STRUCTURE_FIELDS, values, strict=True))
        kind = "LEGAL-ENTITY" if s["is_legal_entity"] else "GEOGRAPHICAL-ENTITY"
        types = [
            {
                "extension": [
                    {"url": f"{IG}/StructureDefinition/as-ext-organization-types", "valueCode": "organizationType"}
                ],
                "coding": [{"system": ORGANIZATION_KIND_SYSTEM, "code": kind}],
            }
        ]
        if s["sector_code"]:
            types.append(
                {
                    "extension": [
                        {
                            "url": f"{IG}/StructureDefinition/as-ext-organization-types",
                            "valueCode": "secteurActiviteRASS",
                        }
                    ],
                    "coding": [coding(catalog.SECTOR, s["sector_code"])],
                }
            )
        resource = {
            "resourceType": "Organization",
            "id": technical_id("Organization", s["id"]),
            # structures with a FINESS come from FINESS; the others were registered in the RPPS
            "meta": _meta("Organization", s["updated_at"], _trace("FINESS" if s["finess"] else "RPPS")),
            "language": "fr",
            "identifier": _organization_identifiers(s),
            "active": True,
            "type": types,
            "name": s["name"],
        }
        if s["trade_name"]:
            resource["alias"] = [s["trade_name"]]
        telecom = []
        for system, field in (("phone", "phone"), ("phone", "phone2"), ("fax", "fax"), ("email", "email")):
            if s[field]:
                telecom.append(
                    {"system": system, "value": s[field], "rank": 1}
                    if field == "phone"
                    else {"system": system, "value": s[field]}
                )
        telecom += mailboxes[s["id"]]
        if telecom:
            resource["telecom"] = telecom
        address = _address(s)
        if address:
            resource["address"] = [address]
        if s["legal_entity_id"]:
            resource["partOf"] = {"reference": f"Organization/{technical_id('Organization', s['legal_entity_id'])}"}
        result[s["id"]] = resource
    return result


BUILDERS = {"Practitioner": practitioners, "PractitionerRole": practitioner_roles, "Organization": organizations}
