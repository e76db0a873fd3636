"""RPPS number allocation: the next free, Luhn-valid number of the configured range.

A number is never handed out twice: callers serialise on the range's counter row (the UPDATE
takes its lock until their transaction ends), and a number that already exists in the registry —
loaded from a national file, say — is skipped. Persons are never deleted, so the registry holds
every number that ever existed.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from . import identifiers
from .models import Person, RppsCounter


class RangeExhausted(RuntimeError):
    pass


def _range_name(low: int, high: int) -> str:
    return f"{low}-{high}"


def _ensure_counter(name: str, low: int) -> None:
    if not RppsCounter.objects.filter(range_name=name).exists():
        try:
            with transaction.atomic():
                RppsCounter.objects.create(range_name=name, next_body=low)
        except IntegrityError:
            pass  # another caller created it first


def allocate_rpps(bounds: tuple[int, int] | None = None) -> str:
    low, high = bounds or settings.RPPS_ALLOCATION_BOUNDS
    name = _range_name(low, high)
    with transaction.atomic():
        _ensure_counter(name, low)
        while True:
            RppsCounter.objects.filter(range_name=name).update(next_body=F("next_body") + 1)
            body = RppsCounter.objects.values_list("next_body", flat=True).get(range_name=name) - 1
            if body > high:
                raise RangeExhausted(f"La plage de numéros RPPS {name} est épuisée.")
            number = identifiers.rpps_from_body(body)
            if not Person.objects.filter(rpps=number).exists():
                return number


def allocate_many(count: int, bounds: tuple[int, int] | None = None) -> list[str]:
    """``count`` numbers at once (a file's new persons): the range's counter moves once per pass, under
    the same row lock as ``allocate_rpps``, and numbers the registry already holds are skipped."""
    low, high = bounds or settings.RPPS_ALLOCATION_BOUNDS
    name = _range_name(low, high)
    numbers: list[str] = []
    with transaction.atomic():
        _ensure_counter(name, low)
        while len(numbers) < count:
            wanted = count - len(numbers)
            RppsCounter.objects.filter(range_name=name).update(next_body=F("next_body") + wanted)
            end = RppsCounter.objects.values_list("next_body", flat=True).get(range_name=name)
            if end - 1 > high:
                raise RangeExhausted(f"La plage de numéros RPPS {name} est épuisée.")
            batch = [identifiers.rpps_from_body(body) for body in range(end - wanted, end)]
            taken = set(Person.objects.filter(rpps__in=batch).values_list("rpps", flat=True))
            numbers += [number for number in batch if number not in taken]
    return numbers
