"""The columns of the registry rows the bulk writers give, per table, in order."""

from .. import models
from ..history import CHANGE_COLUMNS

COLUMNS: dict[type, tuple[str, ...]] = {
    models.Structure: (
        "id", "technical_id", "finess", "siret", "siren", "rpps_rang", "legal_entity_id", "is_legal_entity", "name",
        "trade_name", "sector_code", "recipient_complement", "place_complement", "street_number", "repetition_index",
        "street_type_code", "street_type_label", "street_name", "distribution_mention", "cedex_office", "postal_code",
        "commune_code", "commune_label", "country_code", "country_label", "department_code", "department_label",
        "phone", "phone2", "fax", "email", "created_at", "updated_at",
    ),
    models.Person: (
        "id", "rpps", "civility_code", "sex_code", "birth_name", "given_names", "usage_name", "birth_date",
        "birth_place_code", "birth_city_abroad", "nationality_code", "email", "phone", "created_at", "updated_at",
    ),
    models.Exercise: (
        "id", "person_id", "profession_code", "category_code", "exercise_civility_code", "last_name", "first_name",
        "registration_authority", "created_at", "updated_at",
    ),
    models.Expertise: ("id", "exercise_id", "type_code", "code", "created_at", "updated_at"),
    models.Diploma: (
        "id", "exercise_id", "type_code", "code", "label", "number", "obtained_on", "place", "created_at", "updated_at",
    ),
    models.Authorization: (
        "id", "exercise_id", "type_code", "discipline_code", "discipline_label", "number", "granted_on", "created_at",
        "updated_at",
    ),
    models.Activity: (
        "id", "exercise_id", "structure_id", "mode_code", "function_code", "genre_code", "role_code",
        "pharmacist_section_code", "start_date", "end_date", "end_reason_code", "registration_authority", "created_at",
        "updated_at",
    ),
    models.Mailbox: (
        "id", "address", "type_code", "person_id", "structure_id", "service", "dematerialization", "red_list",
        "created_at", "updated_at",
    ),
    models.Card: (
        "id", "person_id", "type_code", "number", "national_id", "valid_from", "valid_until", "opposition_date",
        "created_at", "updated_at",
    ),
    models.ChangeRecord: CHANGE_COLUMNS,
}  # fmt: skip
