"""Bulk export (FHIR Bulk Data, system level `$export`): every resource of the asked types in NDJSON
files, written from one consistent view of the registry, in chunks (memory bounded).

The export reads in one transaction (REPEATABLE READ on PostgreSQL: the registry as of its start,
however long it runs); it runs in a background thread of the server that accepted it, writes its
progress, and leaves its files for FHIR_EXPORT_KEEP_HOURS.
"""

import contextlib
import datetime
import multiprocessing
import shutil
import threading
from pathlib import Path

import orjson
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from rpps.registry.memory import without_cycle_collector

from . import export_worker
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
    if outputs is None or not out.exists():  # cancelled meanwhile (DELETE removed the job and its directory)
        return
    written = sum(o["count"] for o in outputs)
    Export.objects.filter(pk=export.pk).update(state=Export.State.DONE, outputs=outputs, written=written,
                                               expected=written, finished_at=timezone.now())  # fmt: skip


def _querysets(types, since) -> dict:
    result = {}
    for resource_type in types:
        queryset = MODELS[resource_type].objects.all()
        if since:
            queryset = queryset.filter(updated_at__gte=since)
        result[resource_type] = queryset
    return result


def _write(export: Export, out: Path) -> list[dict] | None:
    """Write the files; None when cancelled. On PostgreSQL, FHIR_EXPORT_WORKERS processes share one
    snapshot (pg_export_snapshot, as pg_dump does): each takes every N-th range of ids."""
    own_transaction = not connection.in_atomic_block  # run inline inside another one (tests): that one holds
    with transaction.atomic():
        snapshot = None
        if connection.vendor == "postgresql" and own_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if settings.FHIR_EXPORT_WORKERS > 1:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
        querysets = _querysets(export.types, export.since)
        (out / "expected").write_text(str(sum(q.count() for q in querysets.values())))
        tasks = []
        for resource_type, queryset in querysets.items():
            bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
            if bounds["low"] is not None:
                tasks += [(resource_type, low, low + RANGE)
                          for low in range(bounds["low"], bounds["high"] + 1, RANGE)]  # fmt: skip
        if snapshot is None:
            counts = [_work(str(out), export.since, tasks, 1)]
        else:
            workers = settings.FHIR_EXPORT_WORKERS
            context = multiprocessing.get_context("spawn")  # a fresh interpreter: no fork of a threaded server
            with context.Pool(workers) as pool:
                counts = pool.starmap(export_worker.work, [(connection.settings_dict["NAME"], str(out), snapshot, export.since,
                                                          tasks[i::workers], i + 1)
                                                         for i in range(workers)])  # fmt: skip
    if any(c is None for c in counts):
        return None
    return [{"type": t, "file": f"{t}-{i}.ndjson", "count": c[t]} for t in export.types
            for i, c in enumerate(counts, start=1) if c.get(t)]  # fmt: skip


RANGE = 50_000  # ids per task: workers take every N-th range, so each gets a share of every type


def _work(out: str, since, tasks, index: int) -> dict | None:
    """Write this worker's files (one per type) into ``out``; its count per type, or None when cancelled."""
    out = Path(out)
    types = {t for t, _, _ in tasks}
    querysets = _querysets(types, since)
    counts = dict.fromkeys(types, 0)
    handles = {t: open(out / f"{t}-{index}.ndjson", "wb") for t in types}  # noqa: SIM115 — closed below
    try:
        for resource_type, low, high in tasks:
            for chunk in _ids(querysets[resource_type].filter(pk__gte=low, pk__lt=high)):
                with without_cycle_collector():
                    resources = BUILDERS[resource_type](chunk)
                    handles[resource_type].write(b"".join(orjson.dumps(resources[pk], option=orjson.OPT_APPEND_NEWLINE)
                                                          for pk in chunk if pk in resources))  # fmt: skip
                    counts[resource_type] += len(resources)
                    del resources  # freed here, while the collector is still off
                if not _progress(out, index, sum(counts.values())):
                    return None
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def _progress(out: Path, index: int, written: int) -> bool:
    """Record a worker's progress in a file beside the output (the export's transaction commits only at
    its end, so the database cannot show it); False when the export was cancelled (directory removed)."""
    if not out.exists():
        return False
    temporary = out / f".progress-{index}.tmp"
    temporary.write_text(str(written))
    temporary.replace(out / f"progress-{index}")
    return True


def progress(export: Export) -> tuple[int, int]:
    """(resources written, resources to write) of a running export."""
    out = directory(export)
    try:
        expected = int((out / "expected").read_text())
        written = sum(int(p.read_text()) for p in out.glob("progress-*"))
        return written, expected
    except (OSError, ValueError):
        return 0, 0


STALLED_AFTER = datetime.timedelta(minutes=10)  # a chunk is written every second or so


def stalled(export: Export) -> bool:
    """Whether a queued or running export has stopped moving: nothing written for STALLED_AFTER (the
    server process that ran it was stopped or restarted)."""
    if export.state not in (Export.State.QUEUED, Export.State.RUNNING):
        return False
    moments = [export.heartbeat]
    with contextlib.suppress(OSError):  # no directory yet, or removed meanwhile
        moments += [
            datetime.datetime.fromtimestamp(f.stat().st_mtime, datetime.UTC) for f in directory(export).iterdir()
        ]
    return timezone.now() - max(moments) > STALLED_AFTER


def abandon(export: Export) -> None:
    """An export that stalled: failed, its partial files removed; the client starts it again."""
    shutil.rmtree(directory(export), ignore_errors=True)
    minutes = int(STALLED_AFTER.total_seconds() // 60)
    Export.objects.filter(pk=export.pk).update(state=Export.State.FAILED, finished_at=timezone.now(),
                                               error=f"interrompu : plus rien d'écrit depuis {minutes} min")  # fmt: skip
    export.refresh_from_db()


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
