"""Versions of a resource (`_history`, vread), from the registry's history of changes.

A resource's versions are the moments its records changed: the object behind it, its parts and the
objects it follows (rpps.registry.history: PART_OF, FOLLOWS). A past version is the resource built
as the registry was at that moment (past.as_of, undoing in memory only that resource's changes
since: nothing is written); its versionId is the moment in milliseconds, like the current version's.
Records written in bulk (generator, loader) may have no creation record of their own: their first
version is named after their creation moment (``created_at``).
"""

import datetime

from django.db.models import Q

from rpps.registry import history, past
from rpps.registry.models import ChangeRecord, Mailbox

from .resources import BUILDERS, MODELS, version_id


def _records(resource_type: str, pk: int):
    model = MODELS[resource_type]
    if model._base_manager.filter(pk=pk).exists():
        return ChangeRecord.objects.filter(history.changes_of(model, pk))
    # a deleted object: its own records only (its parts are gone with it)
    return ChangeRecord.objects.filter(Q(object_type=history.object_type(model), object_id=pk), public=True)


def _creation(resource_type: str, pk: int, own):
    """When the object behind the resource was created: its creation record, else (written in bulk)
    its created_at, kept by its deletion record once it is tombstones."""
    created = own.filter(action="create").values_list("at", flat=True).first()
    if created is not None:
        return created
    created = MODELS[resource_type]._base_manager.filter(pk=pk).values_list("created_at", flat=True).first()
    if created is None:
        before = own.filter(action="delete").values_list("before", flat=True).first() or {}
        created = datetime.datetime.fromisoformat(before["created_at"]) if before.get("created_at") else None
    return created


def moments(resource_type: str, pk: int) -> list:
    """The moments the resource changed since its creation, newest first."""
    own = ChangeRecord.objects.filter(object_type=history.object_type(MODELS[resource_type]), object_id=pk)
    created = _creation(resource_type, pk, own)
    found = _records(resource_type, pk).order_by("-at").values_list("at", flat=True).distinct()
    found = list(found.filter(at__gte=created) if created else found)
    if created is not None and (not found or found[-1] > created):
        found.append(created)  # a bulk-written object's first version
    return found


def as_of(resource_type: str, pk: int, moment) -> dict | None:
    """The resource as it was at ``moment`` (None: it did not exist then), less what is opposed today."""
    with past.as_of(moment, records=_records(resource_type, pk)):
        resource = BUILDERS[resource_type]([pk]).get(pk)
    return _without_current_oppositions(resource)


def _without_current_oppositions(resource: dict | None) -> dict | None:
    """An opposition applies to every output from the moment it is set: a mailbox put on the red list
    since leaves the past versions too (read now, outside the past, from the registry as it is)."""
    addresses = [t["value"] for t in (resource or {}).get("telecom", ()) if t.get("system") == "email"]
    if not addresses:
        return resource
    opposed = set(Mailbox.objects.filter(address__in=addresses, red_list=True).values_list("address", flat=True))
    if opposed:
        kept = [t for t in resource["telecom"] if not (t.get("system") == "email" and t["value"] in opposed)]
        resource = dict(resource, telecom=kept)  # in place in the key order
        if not kept:
            del resource["telecom"]
    return resource


def find(resource_type: str, pk: int, vid: str):
    """The moment of version ``vid``, or None."""
    return next((m for m in moments(resource_type, pk) if version_id(m) == vid), None)
