from django.core.exceptions import ValidationError
from django.db import models

from rpps.nomenclatures import lookup


class Recorded(models.Model):
    """Base of every registry object: timestamps, coded-field validation, history link.

    Every save and delete of a subclass is written to the history (rpps.registry.history).
    """

    # field name -> nomenclature table name (rpps.nomenclatures.catalog)
    CODED_FIELDS: dict[str, str] = {}
    # foreign keys to the objects this one is a part of: a change to a part is a change to the whole
    # (its updated_at moves: outputs' "last updated", versions and deltas see it; rpps.registry.history)
    PART_OF: tuple[str, ...] = ()
    # foreign keys to objects whose changes (and their parts') are changes to this one too
    FOLLOWS: tuple[str, ...] = ()

    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def history_person_id(self) -> int | None:
        """The person whose history this object belongs to (None for structures)."""
        return None

    def coded_fields(self) -> dict[str, str]:
        return dict(self.CODED_FIELDS)

    def clean(self):
        super().clean()
        errors: dict[str, list[str]] = {}
        self.collect_errors(errors)
        if errors:
            raise ValidationError(errors)

    def collect_errors(self, errors: dict[str, list[str]]) -> None:
        """Add French messages per field; subclasses extend this with their own rules."""
        self.validate_codes(errors)

    def validate_codes(self, errors: dict[str, list[str]], stored: dict | None = None) -> None:
        """Each code known to its table and valid; ``stored``: the values the database holds (read
        here when not given), whose deprecated codes stay acceptable."""
        fields = self.coded_fields()
        if stored is None and self.pk and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values(*fields).first()
        stored = stored or {}
        for name, table in fields.items():
            value = getattr(self, name)
            if value in (None, ""):
                continue
            # A deprecated code stays acceptable on a record that already had it.
            allow_deprecated = stored.get(name) == value
            try:
                lookup.check(table, value, allow_deprecated=allow_deprecated)
            except ValidationError as exc:
                verbose = self._meta.get_field(name).verbose_name
                errors.setdefault(name, []).extend(f"{verbose[:1].upper()}{verbose[1:]} : {m}" for m in exc.messages)


def digits_check(field: str, length: int, name: str, message: str) -> models.CheckConstraint:
    """Database-level format check: exactly ``length`` ASCII digits, or empty/NULL."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__regex": rf"^[0-9]{{{length}}}$"})
        | models.Q(**{field: ""})
        | models.Q(**{f"{field}__isnull": True}),
        name=name,
        violation_error_message=message,
    )
