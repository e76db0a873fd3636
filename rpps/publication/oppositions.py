"""Oppositions reach the files already published.

A mailbox put on the red list (an opposition to its publication) leaves every output served from that
moment: the extraction that carries mailboxes is withdrawn from every publication made before it (410),
and a new publication is asked for at once, so the latest file is back within one publication's time.
"""

from django.db.models.signals import post_save

from rpps.registry import history
from rpps.registry.models import ChangeRecord, Mailbox
from rpps.runtime import jobs
from rpps.runtime.models import Job

from . import formats

# The extractions that carry mailboxes (formats.md §3): the others hold nothing a red list hides.
OPPOSABLE = frozenset({formats.MSSANTE_EXTRACTION.name})
WITHDRAWN = (
    "Fichier retiré : une opposition à la publication d'une messagerie a été enregistrée depuis cette "
    "publication. Une nouvelle publication est en préparation ; elle remplacera ce fichier."
)


def _oppositions():
    # an update that put a mailbox on the red list (a mailbox created on it was never published)
    return ChangeRecord.objects.filter(
        object_type=history.object_type(Mailbox), action=ChangeRecord.Action.UPDATE, after__red_list=True
    )


def withdrawn(publication, extraction_name: str) -> bool:
    """Whether this extraction of this publication still shows a mailbox opposed since."""
    return extraction_name in OPPOSABLE and _oppositions().filter(at__gt=publication.published_at).exists()


def withdrawn_names(publications) -> set[tuple[str, str]]:
    """(stamp, extraction name) of every withdrawn file among ``publications`` (one query)."""
    last = _oppositions().order_by("-at").values_list("at", flat=True).first()
    if last is None:
        return set()
    return {(p.stamp, name) for p in publications if p.published_at < last for name in OPPOSABLE}


def _republish(sender, instance, created, **kwargs):
    if not created or instance.object_type != history.object_type(Mailbox):
        return
    if instance.action != ChangeRecord.Action.UPDATE or (instance.after or {}).get("red_list") is not True:
        return
    if Job.objects.filter(kind="publication.publish", state=Job.State.QUEUED).exists():
        return  # one waiting publication will carry every opposition made before it starts
    jobs.enqueue("publication.publish", requested_by="opposition (liste rouge)", after_commit=True)


def connect():
    post_save.connect(_republish, sender=ChangeRecord, dispatch_uid="publication.oppositions")
