"""Django field validators built on the identifier rules (rpps.registry.identifiers)."""

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from . import identifiers


@deconstructible
class IdentifierValidator:
    def __init__(self, function_name: str):
        self.function_name = function_name

    def __call__(self, value):
        if value in (None, ""):
            return
        try:
            getattr(identifiers, self.function_name)(value)
        except identifiers.InvalidIdentifier as exc:
            raise ValidationError(str(exc), code="invalid_identifier") from exc

    def __eq__(self, other):
        return isinstance(other, IdentifierValidator) and other.function_name == self.function_name


validate_rpps = IdentifierValidator("validate_rpps")
validate_finess = IdentifierValidator("validate_finess")
validate_siren = IdentifierValidator("validate_siren")
validate_siret = IdentifierValidator("validate_siret")
validate_rpps_rang = IdentifierValidator("validate_rpps_rang")
validate_birth_place_code = IdentifierValidator("validate_birth_place_code")
validate_name = IdentifierValidator("validate_name")
