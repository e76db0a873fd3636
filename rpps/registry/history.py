"""Recording every change to registry objects: who, when, what (before/after) and why.

Writers declare who they are with ``acting_as(...)`` (web requests get it from ActorMiddleware);
every save/delete of a registry object then writes a ChangeRecord in the same transaction. A write
with no declared actor is refused: nothing reaches the registry anonymously.
"""

import contextvars
import datetime
import decimal
from contextlib import contextmanager
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save, pre_save


class UnattributedWrite(RuntimeError):
    pass


@dataclass(frozen=True)
class Actor:
    kind: str  # ChangeRecord.ActorKind
    label: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls("user", user.get_username(), user.pk)

    @classmethod
    def loader(cls, name: str) -> "Actor":
        return cls("loader", name)

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls("system", name)


_current: contextvars.ContextVar[tuple[Actor, str] | None] = contextvars.ContextVar("registry_actor", default=None)


@contextmanager
def acting_as(actor: Actor, reason: str):
    if not reason:
        raise ValueError("a reason is required")
    token = _current.set((actor, reason))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> tuple[Actor, str]:
    value = _current.get()
    if value is None:
        raise UnattributedWrite("Écriture refusée : aucun auteur déclaré (utiliser rpps.registry.history.acting_as).")
    return value


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


IGNORED_FIELDS = {"created_at", "updated_at"}


def snapshot(instance) -> dict:
    return {
        f.attname: _jsonable(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if f.attname not in IGNORED_FIELDS
    }


def object_type(model) -> str:
    return model._meta.label_lower


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    current()  # refuse before anything is written
    before = None
    if instance.pk is not None and not instance._state.adding:
        attnames = [f.attname for f in sender._meta.concrete_fields if f.attname not in IGNORED_FIELDS]
        before = sender._base_manager.filter(pk=instance.pk).values(*attnames, "updated_at").first()
        if before is not None:
            instance._history_updated_at = before.pop("updated_at")
            before = {k: _jsonable(v) for k, v in before.items()}
    instance._history_before = before


def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from .models import ChangeRecord

    before = getattr(instance, "_history_before", None)
    after = snapshot(instance)
    if created or before is None:
        action, before_out, after_out = ChangeRecord.Action.CREATE, None, after
    else:
        changed = [k for k in after if before.get(k) != after[k]]
        if not changed:
            return
        action = ChangeRecord.Action.UPDATE
        before_out = {k: before.get(k) for k in changed}
        after_out = {k: after[k] for k in changed}
        if not projection().public_change(sender, before, after):
            _write(instance, action, before_out, after_out, public=False)
            return
    _write(instance, action, before_out, after_out)


def projection():
    from . import projection as module  # it imports the models, which import this module

    return module


def deleted_snapshot(instance) -> dict:
    """What a deletion record keeps of the object: its fields, with its creation moment (the first
    version of a resource written in bulk, without a creation record, is named after it:
    rpps.fhir.versions)."""
    return {**snapshot(instance), "created_at": _jsonable(instance.created_at)}


def _post_delete(sender, instance, **kwargs):
    from .models import ChangeRecord

    _write(instance, ChangeRecord.Action.DELETE, deleted_snapshot(instance), None)


def _declared(model, declaration: str) -> list[tuple]:
    """(model, its foreign key's attname) for the recorded models whose ``declaration`` names ``model``."""
    from .models import RECORDED_MODELS

    return [
        (m, m._meta.get_field(n).attname)
        for m in RECORDED_MODELS
        for n in getattr(m, declaration)
        if m._meta.get_field(n).related_model is model
    ]


def _parts(model) -> list[tuple]:
    """The models declared parts of ``model`` (PART_OF)."""
    return _declared(model, "PART_OF")


def followers(model) -> list[tuple]:
    """The models that follow ``model`` (FOLLOWS)."""
    return _declared(model, "FOLLOWS")


def wholes(model, values: dict) -> list[tuple]:
    """(model, pk) of the objects ``values`` (an object's fields) is a part of."""
    found = []
    for name in model.PART_OF:
        field = model._meta.get_field(name)
        if values.get(field.attname) is not None:
            found.append((field.related_model, values[field.attname]))
    return found


def touch_wholes(model, values: dict, when) -> None:
    """A change to an object is a change to the wholes it is part of and to their followers
    (Recorded.PART_OF, Recorded.FOLLOWS): their updated_at becomes ``when``."""
    for whole, pk in wholes(model, values):
        whole._base_manager.filter(pk=pk).update(updated_at=when)
    for changed, pk in [(model, values.get("id")), *wholes(model, values)]:
        for follower, attname in followers(changed):
            follower._base_manager.filter(**{attname: pk}).update(updated_at=when)


def _write(instance, action, before, after, *, public: bool = True):
    from .models import ChangeRecord

    actor, reason = current()
    record = ChangeRecord.objects.create(
        actor_kind=actor.kind,
        actor_label=actor.label,
        user_id=actor.user_id,
        reason=reason,
        action=action,
        object_type=object_type(type(instance)),
        object_id=instance.pk,
        person_id=instance.history_person_id(),
        before=before,
        after=after,
        public=public,
    )
    if not public:
        # a private change: the object keeps the public moment of its last public change (save() moved it)
        instance.updated_at = instance._history_updated_at
        type(instance)._base_manager.filter(pk=instance.pk).update(updated_at=instance.updated_at)
        return
    # the object's updated_at is the moment of its change record (versions are named after them)
    if action != ChangeRecord.Action.DELETE:
        type(instance)._base_manager.filter(pk=instance.pk).update(updated_at=record.at)
    touch_wholes(
        type(instance), {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}, record.at
    )


# The columns of a change record as the bulk writers write them (change_row's order).
CHANGE_COLUMNS = (
    "id",
    "at",
    "actor_kind",
    "actor_label",
    "user_id",
    "reason",
    "action",
    "object_type",
    "object_id",
    "person_id",
    "before",
    "after",
    "public",
)


def change_row(
    record_id: int,
    at,
    actor: Actor,
    reason: str,
    action: str,
    kind: str,
    object_id: int,
    person_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
    public: bool = True,
) -> tuple:
    """A change record as a row for the bulk writers (CHANGE_COLUMNS): what ``_write`` records for a
    write through the models, for the rows they write without them."""
    return (
        record_id,
        at,
        actor.kind,
        actor.label,
        actor.user_id,
        reason,
        action,
        kind,
        object_id,
        person_id,
        before,
        after,
        public,
    )


def record_bulk(changes, *, public: bool = True, at=None) -> None:
    """Change records for objects written in bulk (``bulk_create``, ``bulk_update``), as ``_write``
    records a write through the models: ``changes`` holds (instance, action, before, after, person
    id); each record is dated by its object's updated_at (versions are named after them), or ``at``
    for a private change (which leaves updated_at where it was). Ids come
    from the table's sequence: other writers may be recording at the same moment."""
    from .bulkwrite.writer import BulkWriter
    from .models import ChangeRecord

    actor, reason = current()
    rows = [
        change_row(None, at or instance.updated_at, actor, reason, action, object_type(type(instance)), instance.pk,
                   person_id, before, after, public)[1:]
        for instance, action, before, after, person_id in changes
    ]  # fmt: skip
    BulkWriter().write(ChangeRecord, CHANGE_COLUMNS[1:], rows)


def touch_wholes_of(model, objects: list[dict], when) -> None:
    """``touch_wholes`` for many objects of one model at once (a bulk writer's changes): one UPDATE per
    whole or follower model and batch of keys, instead of a few per object."""
    targets: dict[tuple, set] = {}
    for values in objects:
        for whole, pk in wholes(model, values):
            targets.setdefault((whole, "pk"), set()).add(pk)
        for changed, pk in [(model, values.get("id")), *wholes(model, values)]:
            for follower, attname in followers(changed):
                targets.setdefault((follower, attname), set()).add(pk)
    for (target, attname), keys in targets.items():
        keys = sorted(keys)
        for start in range(0, len(keys), 5000):
            target._base_manager.filter(**{f"{attname}__in": keys[start : start + 5000]}).update(updated_at=when)


def connect(models) -> None:
    for model in models:
        uid = f"registry-history-{model._meta.label_lower}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
        post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")


def person_history(person_id: int):
    from .models import ChangeRecord

    return ChangeRecord.objects.filter(person_id=person_id).order_by("at", "id")


class ActorMiddleware:
    """Signed-in users are the authors of the writes their requests make."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # The history is read by the professionals concerned: the reason says where the write was made.
            reason = "Saisie en ligne"
            if request.path.startswith("/admin/"):
                reason = "Saisie d'un opérateur dans l'administration"
            elif request.path.startswith("/portail/"):
                reason = "Saisie sur le portail RPPS+"
            with acting_as(Actor.for_user(user), reason):
                return self.get_response(request)
        return self.get_response(request)


def changes_of(model, pk, *, follow: bool = True):
    """The change records (a condition on ChangeRecord) that move this object's updated_at: its own,
    its parts', and (``follow``) those of the objects it follows."""
    from django.db.models import Q

    condition = Q(object_type=object_type(model), object_id=pk)
    for part, attname in _parts(model):
        ids = part._base_manager.filter(**{attname: pk}).values("pk")
        condition |= Q(object_type=object_type(part), object_id__in=ids)
    condition &= Q(public=True)
    if follow:
        for name in model.FOLLOWS:
            field = model._meta.get_field(name)
            whole = model._base_manager.filter(pk=pk).values_list(field.attname, flat=True).first()
            if whole is not None:
                condition |= changes_of(field.related_model, whole, follow=False)
    return condition


def last_changes(model, pks, until, *, follow: bool = True) -> dict:
    """pk -> the moment of the last change up to ``until`` that moved each object's updated_at: its
    own, its parts' and (``follow``) those of the objects it follows — the records of ``changes_of``,
    for many objects in a few queries."""
    from django.db.models import Max, Q

    from .models import ChangeRecord

    found: dict = {}

    def keep(owner, at):
        if at is not None and (owner not in found or at > found[owner]):
            found[owner] = at

    pks = set(pks)
    # object type -> {object id: the object of ``pks`` it counts for}; then one query for them all
    targets = {object_type(model): {pk: pk for pk in pks}}
    for part, attname in _parts(model):
        owners = dict(part._base_manager.filter(**{f"{attname}__in": pks}).values_list("pk", attname))
        if owners:
            targets[object_type(part)] = owners
    condition = Q(pk__in=[])
    for kind, owners in targets.items():
        condition |= Q(object_type=kind, object_id__in=list(owners))
    rows = ChangeRecord.objects.filter(condition, at__lte=until, public=True)
    rows = rows.order_by().values("object_type", "object_id")
    for kind, object_id, at in rows.annotate(last=Max("at")).values_list("object_type", "object_id", "last"):
        keep(targets[kind][object_id], at)
    if follow:
        for name in model.FOLLOWS:
            field = model._meta.get_field(name)
            followed = dict(model._base_manager.filter(pk__in=pks).values_list("pk", field.attname))
            theirs = last_changes(field.related_model, set(followed.values()) - {None}, until, follow=False)
            for pk, whole in followed.items():
                keep(pk, theirs.get(whole))
    return found
