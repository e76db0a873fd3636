"""Bulk export (FHIR Bulk Data, system level `$export`): every resource of the asked types in NDJSON
files, written from one consistent view of the registry, in chunks (memory bounded).

The export reads in one transaction (REPEATABLE READ on PostgreSQL: the registry as of its start,
however long it runs); it runs in a background thread of the server that accepted it, writes its
progress, and leaves its files for FHIR_EXPORT_KEEP_HOURS.
"""

import datetime
import shutil
import threading
from pathlib import Path

import orjson
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from .models import Export
from .resources import BUILDERS, MODELS

CHUNK = 2000
TYPES = ("Organization", "Practitioner", "PractitionerRole")


def directory(export: Export) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(export.pk)


def start(export: Export) -> None:
    if not settings.FHIR_EXPORT_BACKGROUND:
        run(export.pk)
        return

    def work():
        close_old_connections()
        try:
            run(export.pk)
        finally:
            connection.close()

    threading.Thread(target=work, daemon=True, name=f"rpps-fhir-export-{export.pk}").start()


def _ids(queryset):
    """The ids of a queryset by chunks, in id order (keyset: no OFFSET, no list of everything)."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def run(export_id) -> None:
    export = Export.objects.get(pk=export_id)
    out = directory(export)
    out.mkdir(parents=True, exist_ok=True)
    try:
        export.transaction_time = timezone.now()
        Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING, transaction_time=export.transaction_time)
        outputs = _write(export, out)
    except Exception as exc:  # the client reads the failure in the status; the files are removed
        shutil.rmtree(out, ignore_errors=True)
        Export.objects.filter(pk=export.pk).update(state=Export.State.FAILED, error=type(exc).__name__,
                                                   finished_at=timezone.now())  # fmt: skip
        raise
    if not out.exists():  # cancelled meanwhile (DELETE removed the job and its directory)
        return
    written = sum(o["count"] for o in outputs)
    Export.objects.filter(pk=export.pk).update(state=Export.State.DONE, outputs=outputs, written=written,
                                               expected=written, finished_at=timezone.now())  # fmt: skip


def _write(export: Export, out: Path) -> list[dict]:
    outputs, written = [], 0
    own_transaction = not connection.in_atomic_block  # run inline inside another one (tests): that one holds
    with transaction.atomic():
        if connection.vendor == "postgresql" and own_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        querysets = {}
        for resource_type in export.types:
            queryset = MODELS[resource_type].objects.all()
            if export.since:
                queryset = queryset.filter(updated_at__gte=export.since)
            querysets[resource_type] = queryset
        expected = sum(q.count() for q in querysets.values())
        _progress(export, 0, expected)
        for resource_type, queryset in querysets.items():
            count = 0
            path = out / f"{resource_type}.ndjson"
            with open(path, "wb") as handle:
                for chunk in _ids(queryset):
                    resources = BUILDERS[resource_type](chunk)
                    handle.write(b"".join(orjson.dumps(resources[pk], option=orjson.OPT_APPEND_NEWLINE)
                                          for pk in chunk if pk in resources))  # fmt: skip
                    count += len(resources)
                    if not _progress(export, written + count, expected):
                        return []
            written += count
            outputs.append({"type": resource_type, "file": path.name, "count": count})
    return outputs


def _progress(export: Export, written: int, expected: int) -> bool:
    """Record progress in a file beside the output (the export's transaction commits only at its end,
    so the database cannot show it); False when the export was cancelled (its directory removed)."""
    out = directory(export)
    if not out.exists():
        return False
    temporary = out / ".progress.tmp"
    temporary.write_text(f"{written} {expected}")
    temporary.replace(out / "progress")
    return True


def progress(export: Export) -> tuple[int, int]:
    """(resources written, resources to write) of a running export."""
    try:
        written, expected = (directory(export) / "progress").read_text().split()
        return int(written), int(expected)
    except (OSError, ValueError):
        return 0, 0


def remove(export: Export) -> None:
    shutil.rmtree(directory(export), ignore_errors=True)
    export.delete()


def clean_expired() -> int:
    """Remove the exports (and files) older than FHIR_EXPORT_KEEP_HOURS; returns how many."""
    limit = timezone.now() - datetime.timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)
    old = list(Export.objects.filter(created_at__lt=limit))
    for export in old:
        remove(export)
    return len(old)
