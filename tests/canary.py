"""Private-field canaries: a recognisable value planted in every private column of a registry object.

A public output (projection, extraction files, search site, PDF) must never show one.
"""

import datetime

from django.db import DataError, IntegrityError, models, transaction

from rpps.registry import projection

CANARY = "CANARI-PRIVE"
CANARY_DATE = datetime.date(1901, 2, 3)
CANARY_CODE = "99999"  # fits the 5-character INSEE code constraint, appears nowhere else
# Fields whose database constraint admits no recognisable value (F/M): checked by review of the allow-list.
UNPLANTABLE = {"sex_code"}


def _private_fields(model):
    public = set(projection.PUBLIC_FIELDS[model])
    return [f for f in model._meta.concrete_fields if f.attname not in public and not f.primary_key]


def plant_canaries(obj):
    """Put a recognisable value in every private field that can hold one; return what was planted."""
    planted = []
    for f in _private_fields(type(obj)):
        if isinstance(f, (models.ForeignKey, models.BooleanField)) or f.attname in {"created_at"}:
            continue
        if isinstance(f, models.EmailField):
            value = "canari-prive@example.org"
        elif isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField):
            value = CANARY_DATE
        elif isinstance(f, models.CharField):
            value = CANARY[: f.max_length]
        else:
            continue
        candidates = [value] + ([CANARY_CODE] if getattr(f, "max_length", 0) and f.max_length >= 5 else [])
        for candidate in candidates:
            try:
                with transaction.atomic():
                    type(obj).objects.filter(pk=obj.pk).update(**{f.attname: candidate})
            except (IntegrityError, DataError):
                continue
            planted.append(f.attname)
            break
        else:
            assert f.attname in UNPLANTABLE, f"no canary fits {type(obj).__name__}.{f.attname}"
    return planted


def assert_no_canary(text: str) -> None:
    assert CANARY not in text
    assert "canari-prive" not in text
    assert CANARY_CODE not in text
    assert CANARY_DATE.isoformat() not in text and f"{CANARY_DATE:%d/%m/%Y}" not in text
