"""Versions of a resource (`_history`, vread), from the registry's history of changes.

A resource's versions are the moments its records changed: the object behind it, its parts and the
objects it follows (rpps.registry.history: PART_OF, FOLLOWS). A past version is the resource built
as the registry was at that moment (history.as_of, undoing only that resource's changes since);
its versionId is the moment in milliseconds, like the current version's.
"""

from django.db.models import Q

from rpps.registry import history
from rpps.registry.models import ChangeRecord

from .resources import BUILDERS, MODELS, version_id


def _records(resource_type: str, pk: int):
    model = MODELS[resource_type]
    if model._base_manager.filter(pk=pk).exists():
        return ChangeRecord.objects.filter(history.changes_of(model, pk))
    # a deleted object: its own records only (its parts are gone with it)
    return ChangeRecord.objects.filter(Q(object_type=history.object_type(model), object_id=pk))


def moments(resource_type: str, pk: int) -> list:
    """The moments the resource changed since its creation, newest first."""
    own = ChangeRecord.objects.filter(object_type=history.object_type(MODELS[resource_type]), object_id=pk)
    created = own.filter(action="create").values_list("at", flat=True).first()
    found = _records(resource_type, pk).order_by("-at").values_list("at", flat=True).distinct()
    return list(found.filter(at__gte=created) if created else found)


def as_of(resource_type: str, pk: int, moment) -> dict | None:
    """The resource as it was at ``moment`` (None: it did not exist then)."""
    with history.as_of(moment, records=_records(resource_type, pk)):
        return BUILDERS[resource_type]([pk]).get(pk)


def find(resource_type: str, pk: int, vid: str):
    """The moment of version ``vid``, or None."""
    return next((m for m in moments(resource_type, pk) if version_id(m) == vid), None)
