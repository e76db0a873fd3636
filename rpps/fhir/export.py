"""Bulk export (FHIR Bulk Data, system level `$export`): every resource of the asked types in NDJSON
files, written from one consistent view of the registry, in chunks (memory bounded).

An export is a job (`runtime.jobs`, kind "fhir.export") run by a worker: the web process that
accepted it only records it, and any server answers its status and serves its files, which go to the
shared export storage (settings.STORAGES["exports"]) under `<export id>/`. The export reads in one
transaction (REPEATABLE READ on PostgreSQL: the registry as of its start, however long it runs); a
worker that dies mid-way stops beating, and the job is run again from the start (its partial files
removed) or, after its attempts, failed with a message the client reads in the status.
"""

import datetime
import multiprocessing
import threading

import orjson
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from rpps.registry.memory import without_cycle_collector
from rpps.runtime import files, jobs

from . import export_worker
from .models import Export, Tombstone
from .resources import BUILDERS, MODELS, technical_id

CHUNK = 2000
TYPES = ("Organization", "Practitioner", "PractitionerRole")
REPORT_SECONDS = 2.0


def store():
    return files.storage("exports")


def file_name(export: Export, name: str) -> str:
    return f"{export.pk}/{name}"


def start(export: Export, requested_by: str = "") -> None:
    jobs.enqueue(
        "fhir.export",
        label=f"Export FHIR {', '.join(export.types)}",
        requested_by=requested_by,
        export_id=str(export.pk),
    )


def _ids(queryset):
    """The ids of a queryset by chunks, in id order (keyset: no OFFSET, no list of everything)."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def run(job, export_id: str) -> None:
    export = Export.objects.filter(pk=export_id).first()
    if export is None:
        return  # cancelled (DELETE) before a worker took it
    files.remove_folder(store(), str(export.pk))  # an earlier, interrupted attempt's files
    export.transaction_time = timezone.now()
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.RUNNING, transaction_time=export.transaction_time, written=0, error=""
    )
    try:
        outputs = _write(job, export)
    except Exception:  # the client reads the failure in the status; the files are removed
        files.remove_folder(store(), str(export.pk))
        Export.objects.filter(pk=export.pk).update(
            state=Export.State.FAILED, finished_at=timezone.now(), error="erreur pendant l'écriture des fichiers"
        )
        raise
    if outputs is None or not Export.objects.filter(pk=export.pk).exists():  # cancelled meanwhile
        files.remove_folder(store(), str(export.pk))
        return
    written = sum(o["count"] for o in outputs)
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.DONE, outputs=outputs, written=written, expected=written, finished_at=timezone.now()
    )


def failed(job, message: str) -> None:
    """The job could not finish (its worker died too often): the client reads why, and starts again."""
    export_id = job.args.get("export_id")
    files.remove_folder(store(), str(export_id))
    Export.objects.filter(pk=export_id).update(state=Export.State.FAILED, finished_at=timezone.now(), error=message)


class _Reporter(threading.Thread):
    """In the worker, beside the export: every REPORT_SECONDS, writes how many resources the parts
    wrote (the export's own transaction only commits at its end) and sees a cancellation (DELETE)."""

    def __init__(self, job, export_id, expected: int, counters, cancel):
        super().__init__(daemon=True, name=f"rpps-export-report-{export_id}")
        self.job, self.export_id, self.expected = job, export_id, expected
        self.counters, self.cancel = counters, cancel
        self.finished = threading.Event()

    def run(self):
        try:
            while not self.finished.wait(REPORT_SECONDS):
                close_old_connections()
                written = sum(self.counters)
                if not Export.objects.filter(pk=self.export_id).update(
                    written=written, expected=self.expected, heartbeat=timezone.now()
                ):
                    self.cancel.set()
                    return
                jobs.progress(self.job, written, self.expected)
        finally:
            connection.close()

    def stop(self):
        self.finished.set()
        self.join()


def _querysets(types, since) -> dict:
    result = {}
    for resource_type in types:
        queryset = MODELS[resource_type].objects.all()
        if since:
            queryset = queryset.filter(updated_at__gte=since)
        result[resource_type] = queryset
    return result


def _ranges(querysets: dict) -> list[tuple[str, int, int]]:
    """The export's work as (resource type, first id, id past the last) ranges of RANGE ids."""
    tasks = []
    for resource_type, queryset in querysets.items():
        bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is not None:
            tasks += [(resource_type, low, low + RANGE) for low in range(bounds["low"], bounds["high"] + 1, RANGE)]
    return tasks


def _in_processes(context, workers: int, snapshot: str, export: Export, tasks: list, shared: tuple) -> list:
    """Every ``workers``-th range to each process, all reading the exporting transaction's snapshot."""
    database = connection.settings_dict["NAME"]
    with context.Pool(workers, initializer=export_worker.share, initargs=shared) as pool:
        return pool.starmap(
            export_worker.work,
            [(database, str(export.pk), snapshot, export.since, tasks[i::workers], i + 1) for i in range(workers)],
        )


def _write(job, export: Export) -> list[dict] | None:
    """Write the files; None when cancelled. On PostgreSQL, FHIR_EXPORT_WORKERS processes share one
    snapshot (pg_export_snapshot, as pg_dump does): each takes every N-th range of ids."""
    own_transaction = not connection.in_atomic_block  # run inline inside another one (tests): that one holds
    parallel = connection.vendor == "postgresql" and own_transaction and settings.FHIR_EXPORT_WORKERS > 1
    workers = settings.FHIR_EXPORT_WORKERS if parallel else 1
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no fork of a threaded worker
    counters, cancel = context.Array("q", workers, lock=False), context.Event()
    with transaction.atomic():
        snapshot = None
        if connection.vendor == "postgresql" and own_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if parallel:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
        querysets = _querysets(export.types, export.since)
        # Written by the reporter, on its own connection: a row updated here would stay locked until the end.
        expected = sum(q.count() for q in querysets.values())
        tasks = _ranges(querysets)
        # Inside a caller's transaction (tests) no other connection sees the export: nothing to report.
        reporter = _Reporter(job, export.pk, expected, counters, cancel) if own_transaction else None
        if reporter is not None:
            reporter.start()
        try:
            if snapshot is None:
                export_worker.share(counters, cancel)
                counts = [_work(str(export.pk), export.since, tasks, 1)]
            else:
                counts = _in_processes(context, workers, snapshot, export, tasks, (counters, cancel))
        finally:
            if reporter is not None:
                reporter.stop()
        deleted = _write_deletions(export) if export.since and not any(c is None for c in counts) else 0
    Export.objects.filter(pk=export.pk).update(expected=expected)
    if any(c is None for c in counts):
        return None
    outputs = [
        {"type": t, "file": f"{t}-{i}.ndjson", "count": c[t]}
        for t in export.types
        for i, c in enumerate(counts, start=1)
        if c.get(t)
    ]
    if deleted:
        outputs.append({"type": "Bundle", "file": DELETED_FILE, "count": deleted, "deleted": True})
    return outputs


DELETED_FILE = "deleted.ndjson"
DELETIONS_PER_BUNDLE = 1000


def _write_deletions(export: Export) -> int:
    """Bulk Data 2.0, ``_since``: the resources of the asked types deleted since then, as NDJSON lines of
    transaction Bundles whose entries are DELETE requests (read in the export's own snapshot)."""
    gone = Tombstone.objects.filter(
        resource_type__in=export.types, deleted_at__gte=export.since, deleted_at__lte=export.transaction_time
    ).order_by("pk")
    rows = list(gone.values_list("resource_type", "resource_id"))
    if not rows:
        return 0
    with files.open_for_writing(store(), file_name(export, DELETED_FILE)) as handle:
        for start in range(0, len(rows), DELETIONS_PER_BUNDLE):
            entries = [
                {"request": {"method": "DELETE", "url": f"{kind}/{technical_id(kind, pk)}"}}
                for kind, pk in rows[start : start + DELETIONS_PER_BUNDLE]
            ]
            handle.write(
                orjson.dumps(
                    {"resourceType": "Bundle", "type": "transaction", "entry": entries},
                    option=orjson.OPT_APPEND_NEWLINE,
                )
            )
    return len(rows)


RANGE = 50_000  # ids per task: workers take every N-th range, so each gets a share of every type


def _work(folder: str, since, tasks, index: int) -> dict | None:
    """Write this part's files (one per type) under ``folder``; its count per type, or None when cancelled."""
    types = {t for t, _, _ in tasks}
    querysets = _querysets(types, since)
    counts = dict.fromkeys(types, 0)
    handles = {t: files.open_for_writing(store(), f"{folder}/{t}-{index}.ndjson") for t in types}
    try:
        for resource_type, low, high in tasks:
            for chunk in _ids(querysets[resource_type].filter(pk__gte=low, pk__lt=high)):
                with without_cycle_collector():
                    resources = BUILDERS[resource_type](chunk)
                    handles[resource_type].write(
                        b"".join(
                            orjson.dumps(resources[pk], option=orjson.OPT_APPEND_NEWLINE)
                            for pk in chunk
                            if pk in resources
                        )
                    )
                    counts[resource_type] += len(resources)
                    del resources  # freed here, while the collector is still off
                if not export_worker.report(index, sum(counts.values())):
                    return None
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def remove(export: Export) -> None:
    """Cancels (DELETE) or expires an export: its record and files go; a running job stops."""
    export_id = str(export.pk)
    export.delete()
    files.remove_folder(store(), export_id)


def clean_expired() -> int:
    """Remove the exports (and files) older than FHIR_EXPORT_KEEP_HOURS; returns how many."""
    limit = timezone.now() - datetime.timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)
    old = list(Export.objects.filter(created_at__lt=limit))
    for export in old:
        remove(export)
    return len(old)
