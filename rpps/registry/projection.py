"""The public projection: the one declared allow-list of what may leave through a public output.

Every public output (extraction files, search site, FHIR API) reads registry data through this
module. A field not listed here is private — birth data, personal contacts, the e-CPS contact,
diploma numbers/dates/places, situation dates, red-list mailboxes. Sources for what is public:
the published extraction headers (formats.md §1–3) and the public FHIR profiles (fhir.md §2.3).
"""

import datetime
import re

from . import identifiers
from .models import Activity, Authorization, Card, Diploma, Exercise, Expertise, Mailbox, Person, Structure
from .models.activity import is_open_on

PUBLIC_FIELDS: dict[type, tuple[str, ...]] = {
    Person: ("id", "rpps", "civility_code", "updated_at"),
    Exercise: (
        "id",
        "profession_code",
        "category_code",
        "exercise_civility_code",
        "last_name",
        "first_name",
        "registration_authority",
        "updated_at",
    ),
    Expertise: ("id", "type_code", "code", "updated_at"),
    Diploma: ("id", "type_code", "code", "label", "updated_at"),
    Authorization: ("id", "type_code", "discipline_code", "discipline_label", "updated_at"),
    Activity: (
        "id",
        "structure_id",
        "mode_code",
        "function_code",
        "genre_code",
        "role_code",
        "pharmacist_section_code",
        "registration_authority",
        "updated_at",
    ),
    Structure: (
        "id",
        "technical_id",
        "finess",
        "siret",
        "siren",
        "rpps_rang",
        "legal_entity_id",
        "is_legal_entity",
        "name",
        "trade_name",
        "sector_code",
        "recipient_complement",
        "place_complement",
        "street_number",
        "repetition_index",
        "street_type_code",
        "street_type_label",
        "street_name",
        "distribution_mention",
        "cedex_office",
        "postal_code",
        "commune_code",
        "commune_label",
        "country_code",
        "country_label",
        "department_code",
        "department_label",
        "phone",
        "phone2",
        "fax",
        "email",
        "updated_at",
    ),
    # Only mailboxes off the red list are published at all (Mailbox.objects.published()).
    Mailbox: ("id", "address", "type_code", "structure_id", "service", "dematerialization", "updated_at"),
    Card: ("id", "type_code", "number", "national_id", "valid_from", "valid_until", "opposition_date", "updated_at"),
}


# Fields that decide whether an object is published at all, though not shown themselves.
PUBLISHED_IF: dict[type, tuple[str, ...]] = {Person: ("merged_into_id",), Mailbox: ("red_list",)}


def public_change(model, before: dict, after: dict) -> bool:
    """Whether an update (each object's fields before and after, as history snapshots them) changes what a
    public output shows: a public field, a link between objects, what decides publication, or whether a
    situation is open today. Only such a change moves the public "last updated" and version: an end date
    set ahead, an e-mail or a birth date corrected, leave them as they were (nothing public says when)."""
    changed = {name for name in after.keys() | before.keys() if before.get(name) != after.get(name)}
    shown = set(PUBLIC_FIELDS.get(model, ())) | set(PUBLISHED_IF.get(model, ()))
    shown |= {f.attname for f in model._meta.concrete_fields if f.many_to_one}
    if changed & shown:
        return True
    if model is Activity and changed & {"start_date", "end_date"}:
        today = datetime.date.today()
        return _open(before, today) != _open(after, today)
    return False


def _open(values: dict, day: datetime.date) -> bool:
    start, end = (values.get(name) for name in ("start_date", "end_date"))
    start, end = (datetime.date.fromisoformat(v) if isinstance(v, str) else v for v in (start, end))
    return is_open_on(start, end, day)


# A value a spreadsheet opened on a produced file would evaluate: "=", "@", a tab or CR first, or "+"/"-"
# before anything but a number ("-2+3+cmd|…" is a formula, "+33 6 12 34 56 78" a phone).
_SIGNED_NUMBER = re.compile(r"[+-][0-9 .()]*")


def neutralise(value) -> str:
    """The value as text a spreadsheet shows and never evaluates: a leading apostrophe when needed."""
    text = "" if value is None else str(value)
    first = text[:1]
    if first in ("=", "@", "\t", "\r") or (first in ("+", "-") and not _SIGNED_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def _value(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def pick(obj) -> dict:
    """The public fields of one registry object, and nothing else."""
    return {name: _value(getattr(obj, name)) for name in PUBLIC_FIELDS[type(obj)]}


def public_structure(structure: Structure) -> dict:
    return pick(structure) | {"old_id": structure.old_id}


def public_person(person: Person, *, on: datetime.date | None = None) -> dict:
    """Everything public about one professional, nested; open situations only (on ``on``, default today)."""
    day = on or datetime.date.today()
    exercises = []
    for exercise in person.exercises.all().order_by("id"):
        activities = Activity.objects.open_on(day).filter(exercise=exercise).select_related("structure").order_by("id")
        exercises.append(
            pick(exercise)
            | {
                "expertises": [pick(e) for e in exercise.expertises.all().order_by("id")],
                "diplomas": [pick(d) for d in exercise.diplomas.all().order_by("id")],
                "authorizations": [pick(a) for a in exercise.authorizations.all().order_by("id")],
                "activities": [pick(a) | {"structure": public_structure(a.structure)} for a in activities],
            }
        )
    return pick(person) | {
        "idnps": identifiers.IDNPS_RPPS_PREFIX + person.rpps,
        "exercises": exercises,
        "mailboxes": [pick(m) for m in person.mailboxes.published().order_by("id")],
        "cards": [pick(c) for c in person.cards.all().order_by("id")],
    }


def public_values(queryset, *paths: str):
    """`queryset.values_list(*paths)`, after checking that every path ends on a public field.

    Bulk public outputs (the extraction files) read joined rows; each path such as
    ``"activities__structure__name"`` is followed through the models and its last field must be in
    PUBLIC_FIELDS of the model it belongs to, or the call is refused.
    """
    for path in paths:
        model, parts = queryset.model, path.split("__")
        for hop in parts[:-1]:
            model = _follow(model, hop, queryset)
        name = parts[-1]
        field = model._meta.get_field(name) if name != "pk" else model._meta.pk
        attname = field.attname if field.is_relation and field.many_to_one else field.name
        if model not in PUBLIC_FIELDS or attname not in PUBLIC_FIELDS[model]:
            raise PermissionError(f"{model.__name__}.{name} is not public: it cannot leave through a public output.")
    return queryset.values_list(*paths)


def _follow(model, hop: str, queryset):
    relation = queryset.query._filtered_relations.get(hop)
    if relation is not None:  # an annotated FilteredRelation: follow the relation it filters
        target = model
        for part in relation.relation_name.split("__"):
            target = target._meta.get_field(part).related_model
        return target
    return model._meta.get_field(hop).related_model
