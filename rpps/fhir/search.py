"""FHIR search: parameters as the official API declares them, with FHIR semantics (reference/fhir.md §1.6).

Each parameter turns its values into a condition on the registry model behind the resource type;
repeated parameters are AND, comma-separated values OR. Unknown parameters, modifiers and bad
values raise SearchError (a 400 OperationOutcome naming them), as the official API does.
"""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q, Value
from django.db.models.lookups import Contains, Exact, StartsWith
from django.utils import timezone

from rpps.directory.keys import name_key, prefix_condition
from rpps.directory.models import Entry
from rpps.nomenclatures import catalog
from rpps.registry import identifiers
from rpps.registry.folding import Fold
from rpps.registry.models import Card, Diploma, Expertise, Mailbox
from rpps.registry.models.activity import open_condition
from rpps.registry.models.person import current_condition

from .resources import (
    DIPLOMA_SYSTEM,
    FINESS_SYSTEM,
    IDNPS_SYSTEM,
    IDNST_SYSTEM,
    MODELS,
    ORGANIZATION_KIND_SYSTEM,
    PREFIXES,
    RPPS_RANG_SYSTEM,
    RPPS_SYSTEM,
    SIRENE_SYSTEM,
    nos_system,
    organisation_mailbox,
    parse_id,
    shown_cards,
    street_line,
    table_system,
)

RESULT_PARAMETERS = {
    "_count",
    "_format",
    "_pretty",
    "_total",
    "_include",
    "_revinclude",
    "_elements",
    "_summary",
    "_sort",
    "_totalMethod",  # fhirpy's count() sends _totalMethod=count (HAPI's name for _total)
}
DEFAULT_COUNT = 50
# What one request may ask at most: each alternative and parameter is a condition the database must
# evaluate (2,000 alternatives took 27 s); stated in the CapabilityStatement.
MAX_ALTERNATIVES = 100
MAX_PARAMETERS = 30
MAX_COUNT = 1000
_DATE = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4})(-\d{2})?(-\d{2})?(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$")


class SearchError(ValueError):
    """A 400: the message names the parameter (and the value)."""


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str


def _token(value: str) -> Token:
    if "|" in value:
        system, _, code = value.partition("|")
        return Token(system, code)
    return Token(None, value)


def _split(value: str) -> list[str]:
    """Comma-separated alternatives; `\\,` is a literal comma."""
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",") for p in parts]


# --- value types ---------------------------------------------------------------------------------


def _bool(value: str) -> bool:
    if value not in ("true", "false"):
        raise SearchError(f"valeur « {value} » : true ou false attendu")
    return value == "true"


def date_range(value: str) -> tuple[str, datetime.datetime, datetime.datetime]:
    """(prefix, start, end) of a FHIR date value at its own precision (year, month, day or instant)."""
    match = _DATE.match(value)
    if not match:
        raise SearchError(
            f"date « {value} » invalide (AAAA, AAAA-MM, AAAA-MM-JJ ou instant, préfixes eq ne gt lt ge le sa eb ap)"
        )
    prefix = match.group(1) or "eq"
    year, month, day, time = match.group(2), match.group(3), match.group(4), match.group(5)
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        # what the database stores and what ±10 % (ap) stays within: 0001-01-01 or 9999-12-31 cannot
        # be read back or widened (an export's _since once broke every later status)
        raise SearchError(f"date « {value[:40]} » hors de l'intervalle accepté ({FIRST_YEAR} à {LAST_YEAR})")
    tz = timezone.get_current_timezone()
    try:
        if time:
            text = f"{year}{month}{day}{time}".replace("Z", "+00:00")
            start = datetime.datetime.fromisoformat(text)
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz)
            end = start + _time_precision(time)
        elif day:
            start = datetime.datetime(int(year), int(month[1:]), int(day[1:]), tzinfo=tz)
            end = start + datetime.timedelta(days=1)
        elif month:
            start = datetime.datetime(int(year), int(month[1:]), 1, tzinfo=tz)
            end = (start + datetime.timedelta(days=32)).replace(day=1)
        else:
            start = datetime.datetime(int(year), 1, 1, tzinfo=tz)
            end = start.replace(year=start.year + 1)
    except (ValueError, OverflowError):
        raise SearchError(f"date « {value[:40]} » invalide") from None
    return prefix, start, end


FIRST_YEAR, LAST_YEAR = 1800, 2999


def _time_precision(time: str) -> datetime.timedelta:
    """The span a time stands for, at its own precision (FHIR R4 §3.1.1.4.3: a search date is the range
    its precision covers): ``T01:24`` a minute, ``T01:24:07`` a second, ``T01:24:07.5`` a tenth."""
    clock = re.split(r"[Z+-]", time[1:])[0]
    if "." in clock:
        return datetime.timedelta(seconds=10 ** -len(clock.partition(".")[2]))
    return datetime.timedelta(seconds=(3600, 60, 1)[min(clock.count(":"), 2)])


def date_condition(field: str, value: str) -> Q:
    """A FHIR date value with its prefix, on ``field``."""
    prefix, start, end = date_range(value)
    inside = Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return {
        "eq": inside,
        "ne": ~inside,
        "gt": Q(**{f"{field}__gte": end}),
        "sa": Q(**{f"{field}__gte": end}),
        "lt": Q(**{f"{field}__lt": start}),
        "eb": Q(**{f"{field}__lt": start}),
        "ge": Q(**{f"{field}__gte": start}),
        "le": Q(**{f"{field}__lt": end}),
        # ap: within 10 % of the distance to now, at least the value's own precision (FHIR R4 §3.1.1.4.4)
        "ap": _approximately(field, start, end),
    }[prefix]


def _date(field: str):
    def condition(value: str, modifier: str) -> Q:
        if modifier:
            raise SearchError(f"modificateur « :{modifier} » non pris en charge")
        return date_condition(field, value)

    return condition


def _approximately(field: str, start: datetime.datetime, end: datetime.datetime) -> Q:
    margin = abs(timezone.now() - start) / 10
    return Q(**{f"{field}__gte": start - margin, f"{field}__lt": end + margin})


def _token_param(match):
    """A token parameter: ``match(token) -> Q``; handles :not."""

    def condition(value: str, modifier: str) -> Q:
        if modifier not in ("", "not"):
            raise SearchError(f"modificateur « :{modifier} » non pris en charge")
        q = match(_token(value))
        return ~q if modifier == "not" else q

    return condition


def _ids(resource_type: str, field: str = "pk"):
    def match(token: Token) -> Q:
        pk = parse_id(resource_type, token.code)
        return Q(**{field: pk}) if pk is not None else Q(pk__in=[])

    return _token_param(match)


def _active(condition):
    """``condition()`` is what active=true means, evaluated at search time (it may depend on the day)."""
    return _token_param(lambda token: condition() if _bool(token.code) else ~condition())


def _reference(resource_type: str, field: str):
    def condition(value: str, modifier: str) -> Q:
        if modifier and modifier != resource_type:
            raise SearchError(f"modificateur « :{modifier} » non pris en charge")
        reference = value.rsplit("/", 1)[-1] if "/" in value else value
        if "/" in value and not value.split("/")[-2] == resource_type:
            raise SearchError(f"référence « {value} » : {resource_type}/[id] attendu")
        pk = parse_id(resource_type, reference)
        return Q(**{field: pk}) if pk is not None else Q(pk__in=[])

    return condition


# --- parameters per resource type ----------------------------------------------------------------


EVERY = object()  # an identifier token naming every practitioner ("system|")


def practitioner_rpps(token: Token):
    """The RPPS number an identifier token names (RPPS or IDNPS), EVERY, or None (no practitioner)."""
    code = token.code
    if token.system in (None, RPPS_SYSTEM) and re.fullmatch(r"\d{11}", code):
        return code
    if token.system in (None, IDNPS_SYSTEM) and re.fullmatch(r"8\d{11}", code):
        return code[1:]
    if token.system in (RPPS_SYSTEM, IDNPS_SYSTEM) and code == "":
        return EVERY
    return None


def _practitioner_identifier(token: Token) -> Q:
    rpps = practitioner_rpps(token)
    return Q() if rpps is EVERY else Q(person__rpps=rpps) if rpps else Q(pk__in=[])


def identifier_lookup(resource_type: str, params) -> list[str] | None:
    """The RPPS numbers of a Practitioner search made of one plain ``identifier`` parameter (the most
    common call: look a professional up by number), or None for any other search."""
    filtering = [(k, v) for k, v in params if k.partition(":")[0] not in RESULT_PARAMETERS]
    if resource_type != "Practitioner" or len(filtering) != 1 or filtering[0][0] != "identifier":
        return None
    numbers = [practitioner_rpps(_token(value)) for value in _split(filtering[0][1])]
    if any(n is EVERY for n in numbers):
        return None
    return [n for n in numbers if n]


def _coded(token: Token, options) -> Q:
    """A token against the codings an element shows: ``options`` is [(system, code -> condition)].
    FHIR R4 §3.1.1.4.2 (token): ``code`` matches in any system, ``system|code`` in that system only,
    ``|code`` a coding without system."""
    found = Q(pk__in=[])
    for system, condition in options:
        if token.system is None or token.system == system:
            found |= condition(token.code)
    return found


def _of_exercise(model, **fields) -> Q:
    return Q(pk__in=model.objects.filter(**fields).values("exercise_id"))


def _qualification(token: Token) -> Q:
    """qualification-code: every coding of Practitioner.qualification.code, as served — profession,
    category, savoir-faire (its code, in TRE_R38 for a specialty, and its type), diploma (its code in
    TRE_R48 and its type in TRE_R14)."""
    return _coded(
        token,
        [
            (table_system(catalog.PROFESSION), lambda c: Q(profession_code=c)),
            (table_system(catalog.CATEGORY), lambda c: Q(category_code=c)),
            (table_system(catalog.SPECIALTY), lambda c: _of_exercise(Expertise, type_code="S", code=c)),
            ("", lambda c: Q(pk__in=Expertise.objects.filter(code=c).exclude(type_code="S").values("exercise_id"))),
            (table_system(catalog.EXPERTISE_TYPE), lambda c: _of_exercise(Expertise, type_code=c)),
            (nos_system(DIPLOMA_SYSTEM), lambda c: _of_exercise(Diploma, code=c)),
            (table_system(catalog.DIPLOMA_TYPE), lambda c: _of_exercise(Diploma, type_code=c)),
        ],
    )


def _exercise_names(key_field: str, contains_field: str):
    """Name parameters read the public search index's folded keys (rpps.directory)."""

    def condition(value: str, modifier: str) -> Q:
        if modifier == "exact":
            if key_field == "name":
                return Q(last_name=value) | Q(first_name=value)
            field = {"name_key": "last_name", "reverse_key": "first_name"}[key_field]
            return Q(**{field: value})
        key = name_key(value)
        if not key:
            raise SearchError("au moins une lettre attendue")
        if modifier == "contains":
            condition = Q(**{f"{contains_field}__contains": key})
        elif modifier:
            raise SearchError(f"modificateur « :{modifier} » non pris en charge")
        elif key_field == "name":  # the whole name, either way round
            condition = prefix_condition("name_key", key) | prefix_condition("reverse_key", key)
        else:
            condition = prefix_condition(key_field, key)
        return Q(pk__in=Entry.objects.filter(condition, is_main=True).values("exercise_id"))

    return condition


def string_match(field: str, value: str, modifier: str, *, fold_case: bool = True) -> Q:
    """A string parameter on one field: prefix by default, :exact, :contains (case-insensitive unless
    ``fold_case`` is false, for identifiers such as card numbers), accent-insensitive."""
    if modifier == "exact":
        return Q(**{field: value})
    if modifier not in ("", "contains"):
        raise SearchError(f"modificateur « :{modifier} » non pris en charge")
    lookup = "contains" if modifier else "startswith"
    if not fold_case:
        return Q(**{f"{field}__{lookup}": value})
    return Q(**{f"{field}__fold__{lookup}": Fold(Value(value))})


def _mailbox_of(person_field: str):
    def condition(value: str, modifier: str) -> Q:
        boxes = Mailbox.objects.published().filter(string_match("address", value, modifier))
        return Q(**{f"{person_field}__in": boxes.values("person_id")})

    return condition


def _organization_identifier(token: Token) -> Q:
    code, system = token.code, token.system
    q = Q(pk__in=[])
    if system in (None, FINESS_SYSTEM):
        q |= Q(finess=code)
    if system in (None, SIRENE_SYSTEM):
        q |= Q(siret=code) | Q(siren=code)
    if system in (None, RPPS_RANG_SYSTEM):
        q |= Q(rpps_rang=code)
    technical_id = identifiers.technical_structure_id(code)
    if system in (None, IDNST_SYSTEM) and technical_id:
        q |= Q(technical_id=technical_id)
    return q


def _organization_kind(code: str) -> Q:
    kinds = {"LEGAL-ENTITY": Q(is_legal_entity=True), "GEOGRAPHICAL-ENTITY": Q(is_legal_entity=False)}
    return kinds.get(code, Q(pk__in=[]))


def _organization_type(token: Token) -> Q:
    """type: the codings of Organization.type — its kind (fr-core-cs-v2-3307) and its sector (TRE_R02)."""
    return _coded(
        token,
        [(ORGANIZATION_KIND_SYSTEM, _organization_kind), (table_system(catalog.SECTOR), lambda c: Q(sector_code=c))],
    )


def _role_code(token: Token) -> Q:
    """role: the codings of PractitionerRole.code — genre, mode, function, role, pharmacist section."""
    return _coded(
        token,
        [
            (table_system(table), lambda c, field=field: Q(**{field: c}))
            for table, field in (
                (catalog.ACTIVITY_GENRE, "genre_code"),
                (catalog.ACTIVITY_MODE, "mode_code"),
                (catalog.FUNCTION, "function_code"),
                (catalog.ROLE, "role_code"),
                (catalog.PHARMACIST_SECTION, "pharmacist_section_code"),
            )
        ],
    )


def _city(value: str, modifier: str) -> Q:
    return string_match("commune_label", value, modifier)


def _simple_string(field: str):
    def condition(value: str, modifier: str) -> Q:
        return string_match(field, value, modifier)

    return condition


def _organization_name(value: str, modifier: str) -> Q:
    return _simple_string("name")(value, modifier) | _simple_string("trade_name")(value, modifier)


def _information_system(systems: set[str]):
    """data-information-system: RPPS for professionals; FINESS or RPPS for structures (by origin)."""

    def match(token: Token) -> Q:
        return Q() if token.code in systems else Q(pk__in=[])

    return _token_param(match)


def _structure_system(token: Token) -> Q:
    if token.code == "FINESS":
        return Q(finess__isnull=False)
    if token.code == "RPPS":
        return Q(finess__isnull=True)
    return Q(pk__in=[])


def _registration_authority(field: str):
    return _token_param(lambda t: Q(**{f"{field}__startswith": t.code}))


def _cards(field: str):
    def condition(value: str, modifier: str) -> Q:
        cards = Card.objects.filter(
            shown_cards(datetime.date.today()), string_match("number", value, modifier, fold_case=False)
        )
        return Q(**{f"{field}__in": cards.values("person_id")})

    return condition


def _card_type(token: Token) -> Q:
    cards = Card.objects.filter(shown_cards(datetime.date.today()), type_code=token.code)
    return Q(person_id__in=cards.values("person_id"))


def _organization_identifier_type(token: Token) -> Q:
    return {
        "IDNST": Q(),
        "FINEG": Q(finess__isnull=False, is_legal_entity=False),
        "FINEJ": Q(finess__isnull=False, is_legal_entity=True),
        "SIRET": ~Q(siret=""),
        "SIREN": ~Q(siren=""),
        "RPPSRG": ~Q(rpps_rang=""),
    }.get(token.code, Q(pk__in=[]))


def _address_fields(*fields: str):
    """address, address-line: the street line as served (``43 faub`` finds « 43 Faubourg … »), or any
    of the address's other lines and fields."""

    def condition(value: str, modifier: str) -> Q:
        q = Q(pk__in=[])
        for field in fields:
            q |= _simple_string(field)(value, modifier)
        if modifier != "exact":
            match = Contains if modifier == "contains" else StartsWith
            q |= Q(match(Fold(street_line()), Fold(Value(value))))
        else:
            q |= Q(Exact(street_line(), Value(value)))
        return q

    return condition


def _structure_mailboxes(value: str, modifier: str) -> Q:
    boxes = Mailbox.objects.filter(
        organisation_mailbox(), string_match("address", value, modifier), structure__isnull=False
    )
    return Q(pk__in=boxes.values("structure_id"))


def _nothing(value: str, modifier: str) -> Q:
    """A parameter of the official API for data this registry does not hold (e.g. pharmacy licences)."""
    return Q(pk__in=[])


# Reference parameters: type -> parameter -> (referenced type, field of the model holding its id). Chains
# (organization.address-city), reverse chains (_has) and _include/_revinclude all follow these.
REFERENCES = {
    "Practitioner": {},
    "PractitionerRole": {"organization": ("Organization", "structure_id"), "practitioner": ("Practitioner", "exercise_id")},
    "Organization": {"partof": ("Organization", "legal_entity_id")},
}  # fmt: skip
MAX_CHAIN = 3  # links in one chained or reverse-chained parameter

PARAMETERS = {
    "Practitioner": {
        "_id": _ids("Practitioner"),
        "_lastUpdated": _date("updated_at"),
        "active": _active(lambda: current_condition("person__")),
        "identifier": _token_param(_practitioner_identifier),
        "identifier-type": _token_param(lambda t: Q() if t.code in ("RPPS", "IDNPS") else Q(pk__in=[])),
        "family": _exercise_names("name_key", "name_key"),
        "given": _exercise_names("reverse_key", "reverse_key"),
        "name": _exercise_names("name", "name_key"),
        "qualification-code": _token_param(_qualification),
        "mailbox-mss": _mailbox_of("person_id"),
        "number-smartcard": _cards("person_id"),
        "type-smartcard": _token_param(_card_type),
        "data-information-system": _information_system({"RPPS"}),
        "data-registration-authority": _registration_authority("registration_authority"),
    },
    "PractitionerRole": {
        "_id": _ids("PractitionerRole"),
        "_lastUpdated": _date("updated_at"),
        "active": _active(lambda: open_condition(datetime.date.today())),
        "identifier": _token_param(
            lambda t: (
                Q(pk=int(t.code))
                if identifiers.ascii_digits(t.code) and t.system in (None, RPPS_SYSTEM)
                else Q(pk__in=[])
            )
        ),
        "organization": _reference(*REFERENCES["PractitionerRole"]["organization"]),
        "practitioner": _reference(*REFERENCES["PractitionerRole"]["practitioner"]),
        "role": _token_param(_role_code),
        "mailbox-mss": _mailbox_of("exercise__person_id"),
        "data-information-system": _information_system({"RPPS"}),
        "data-registration-authority": _token_param(
            lambda t: (
                Q(registration_authority__startswith=t.code)
                | Q(registration_authority="", exercise__registration_authority__startswith=t.code)
            )
        ),
    },
    "Organization": {
        "_id": _ids("Organization"),
        "_lastUpdated": _date("updated_at"),
        "active": _active(Q),
        "identifier": _token_param(_organization_identifier),
        "name": _organization_name,
        "address-city": _city,
        "address-postalcode": _simple_string("postal_code"),
        "address": _address_fields(
            "street_name",
            "place_complement",
            "distribution_mention",
            "commune_label",
            "postal_code",
            "cedex_office",
            "country_label",
        ),
        "address-line": _address_fields("street_name", "place_complement", "distribution_mention"),
        "identifier-type": _token_param(_organization_identifier_type),
        "mailbox-mss": _structure_mailboxes,
        "type": _token_param(_organization_type),
        "partof": _reference(*REFERENCES["Organization"]["partof"]),
        "data-information-system": _token_param(_structure_system),
        "data-registration-authority": _nothing,
        "pharmacy-licence": _nothing,
    },
}
assert set(PARAMETERS) == set(PREFIXES)


def conditions(resource_type: str, params: list[tuple[str, str]]) -> Q:
    """The condition of a search: AND of the parameters, OR inside each one."""
    known = PARAMETERS[resource_type]
    filtering = [(k, v) for k, v in params if k.partition(":")[0] not in RESULT_PARAMETERS]
    if len(filtering) > MAX_PARAMETERS:
        raise SearchError(f"Trop de paramètres de recherche : {len(filtering)}, au plus {MAX_PARAMETERS} par requête")
    where = Q()
    for raw_name, raw_value in filtering:
        if len(_split(raw_value)) > MAX_ALTERNATIVES:
            raise SearchError(
                f"Paramètre « {raw_name[:60]} » : {len(_split(raw_value))} valeurs séparées par des "
                f"virgules, au plus {MAX_ALTERNATIVES}"
            )
        linked = _linked(resource_type, raw_name, raw_value)
        if linked is not None:
            where &= linked
            continue
        name, _, modifier = raw_name.partition(":")
        if name not in known:
            raise SearchError(f"Paramètre « {raw_name} » inconnu pour la ressource {resource_type}")
        try:
            alternatives = []
            for value in _split(raw_value):
                if value == "":
                    raise SearchError("valeur vide")
                alternatives.append(known[name](value, modifier))
        except SearchError as exc:
            raise SearchError(f"Paramètre « {raw_name[:60]} », valeur « {raw_value[:80]} » : {exc}") from None
        where &= any_of(alternatives)
    return where


def _linked(resource_type: str, raw_name: str, raw_value: str, depth: int = 0) -> Q | None:
    """A chained (``organization.address-city``) or reverse-chained (``_has:Type:reference:parameter``)
    parameter as a condition on ``resource_type``; None for an ordinary parameter."""
    if raw_name.startswith("_has:"):
        parts = raw_name.split(":", 3)
        if len(parts) < 4:
            raise SearchError(f"Paramètre « {raw_name} » : _has:Type:référence:paramètre attendu")
        _, source, reference, inner = parts
        spec = REFERENCES.get(source, {}).get(reference)
        if spec is None or spec[0] != resource_type:
            raise SearchError(f"Paramètre « {raw_name} » : {source}.{reference} ne désigne pas un {resource_type}")
        _, field = spec
        inner_condition = _link_condition(source, inner, raw_name, raw_value, depth)
        return Q(pk__in=MODELS[source].objects.filter(inner_condition).values(field))
    head, dot, inner = raw_name.partition(".")
    if not dot:
        return None
    name, _, type_modifier = head.partition(":")
    spec = REFERENCES[resource_type].get(name)
    if spec is None or (type_modifier and type_modifier != spec[0]):
        raise SearchError(
            f"Paramètre « {raw_name} » : « {head} » n'est pas une référence de {resource_type} "
            f"(chaînes possibles : {', '.join(REFERENCES[resource_type]) or 'aucune'})"
        )
    target, field = spec
    inner_condition = _link_condition(target, inner, raw_name, raw_value, depth)
    return Q(**{f"{field}__in": MODELS[target].objects.filter(inner_condition).values("pk")})


def _link_condition(resource_type: str, inner: str, raw_name: str, raw_value: str, depth: int) -> Q:
    if depth + 1 >= MAX_CHAIN:
        raise SearchError(f"Paramètre « {raw_name} » : {MAX_CHAIN} liens au plus")
    if not inner:
        raise SearchError(f"Paramètre « {raw_name} » : paramètre final manquant")
    linked = _linked(resource_type, inner, raw_value, depth + 1)
    if linked is not None:
        return linked
    if inner.partition(":")[0] in PARAMETERS[resource_type]:
        try:
            return conditions(resource_type, [(inner, raw_value)])
        except SearchError as exc:
            raise SearchError(f"Paramètre « {raw_name} » : {exc}") from None
    raise SearchError(f"Paramètre « {raw_name} » : « {inner} » inconnu pour la ressource {resource_type}")


def unknown_parameters(resource_type: str, params: list[tuple[str, str]]) -> list[str]:
    """The names of the parameters this type does not know (``Prefer: handling=lenient`` leaves them out)."""
    known = PARAMETERS[resource_type]
    return [
        name
        for name, _ in params
        if name.partition(":")[0] not in RESULT_PARAMETERS | known.keys()
        and "." not in name
        and not name.startswith("_has:")
    ]


def any_of(alternatives: list[Q]) -> Q:
    """OR of conditions; an empty Q matches everything (Django drops it from an OR: it must win)."""
    if any(not q for q in alternatives):
        return Q()
    result = alternatives[0]
    for q in alternatives[1:]:
        result |= q
    return result


def count_parameter(params: list[tuple[str, str]]) -> int:
    """The page size asked for; above MAX_COUNT it is brought down to it (as HAPI and Blaze do: the
    Bundle says so, ``count_clamped``), not refused."""
    values = [v for k, v in params if k == "_count"]
    if not values:
        return DEFAULT_COUNT
    value = values[-1]
    if not identifiers.ascii_digits(value):
        raise SearchError(
            f"Paramètre « _count », valeur « {value[:40]} » : entier positif attendu (au plus {MAX_COUNT})"
        )
    return min(int(value), MAX_COUNT)


def count_clamped(params: list[tuple[str, str]]) -> bool:
    values = [v for k, v in params if k == "_count"]
    return bool(values) and identifiers.ascii_digits(values[-1]) and int(values[-1]) > MAX_COUNT
