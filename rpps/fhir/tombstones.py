"""Tombstones: resources whose registry record was deleted stay readable and searchable (deltas) with
active=false and their identifiers only (reference/fhir.md §1.6)."""

import datetime
import time

from django.conf import settings
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.utils import timezone

from .models import Tombstone
from .resources import BUILDERS, MODELS, PROFILES, SOURCE, instant, parse_id, technical_id, version_id
from .search import RESULT_PARAMETERS, _split, _token, any_of, date_condition

# The parameters a tombstone can answer: it holds nothing else.
APPLICABLE = {"_id", "_lastUpdated", "identifier", "active"}


def record(resource_type: str, pk: int) -> None:
    resource = BUILDERS[resource_type]([pk]).get(pk)
    if resource is None:
        return
    identifiers = resource.get("identifier", [])
    Tombstone.objects.update_or_create(
        resource_type=resource_type,
        resource_id=pk,
        defaults={
            "identifiers": identifiers,
            "deleted_at": timezone.now(),
            "identifier_values": " " + " ".join(i["value"] for i in identifiers) + " ",
        },
    )
    _any_since.pop(resource_type, None)


def purge(now=None) -> int:
    """Tombstones past FHIR_TOMBSTONE_DAYS (30 at least) are removed (a daily job); how many."""
    keep = datetime.timedelta(days=max(settings.FHIR_TOMBSTONE_DAYS, 30))
    deleted, _ = Tombstone.objects.filter(deleted_at__lt=(now or timezone.now()) - keep).delete()
    return deleted


def resource(tombstone: Tombstone) -> dict:
    when = instant(tombstone.deleted_at)
    return {
        "resourceType": tombstone.resource_type,
        "id": technical_id(tombstone.resource_type, tombstone.resource_id),
        "meta": {
            "versionId": version_id(tombstone.deleted_at),
            "lastUpdated": when,
            "source": SOURCE,
            "profile": PROFILES[tombstone.resource_type],
        },
        "language": "fr",
        "identifier": tombstone.identifiers,
        "active": False,
    }


def read(resource_type: str, pk: int) -> dict | None:
    found = Tombstone.objects.filter(resource_type=resource_type, resource_id=pk).first()
    return resource(found) if found else None


_any_since: dict[str, float] = {}


def _none_yet(resource_type: str) -> bool:
    """No tombstone of this type at all (checked at most every 5 s per process: deletions are rare,
    and most searches would otherwise pay two queries for nothing)."""
    checked = _any_since.get(resource_type)
    if checked is not None and time.monotonic() - checked < 5:
        return True
    if Tombstone.objects.filter(resource_type=resource_type).exists():
        _any_since.pop(resource_type, None)
        return False
    _any_since[resource_type] = time.monotonic()
    return True


def conditions(resource_type: str, params) -> Q | None:
    """The tombstones a search also finds, or None when one of its parameters cannot apply to them."""
    if _none_yet(resource_type):
        return None
    where = Q(resource_type=resource_type)
    for raw_name, raw_value in params:
        if raw_name.partition(":")[0] in RESULT_PARAMETERS:
            continue
        name, _, modifier = raw_name.partition(":")
        if name not in APPLICABLE or modifier:
            return None
        alternatives = []
        for value in _split(raw_value):
            if name == "_id":
                pk = parse_id(resource_type, value)
                alternatives.append(Q(resource_id=pk) if pk is not None else Q(pk__in=[]))
            elif name == "identifier":
                alternatives.append(Q(identifier_values__contains=f" {_token(value).code} "))
            elif name == "active":
                alternatives.append(Q() if value == "false" else Q(pk__in=[]))
            else:
                alternatives.append(date_condition("deleted_at", value))
        where &= any_of(alternatives)
    return where


def _deleted(resource_type: str):
    def receiver(sender, instance, **kwargs):
        record(resource_type, instance.pk)

    return receiver


def connect() -> None:
    for resource_type, model in MODELS.items():
        pre_delete.connect(
            _deleted(resource_type), sender=model, dispatch_uid=f"fhir-tombstone-{resource_type}", weak=False
        )
