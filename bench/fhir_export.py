"""Bulk export benchmark (run by bench/run.py): one system-level $export of every resource, run as a job
by the job runner in this process, as a worker runs it (with its FHIR_EXPORT_WORKERS part processes,
files written to the export storage); then, as the floor, the base rows of the same resources read by
hand-written SQL (COPY … TO STDOUT, discarded). Prints one JSON line."""

import json
import resource
import sys
import time

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from rpps.fhir import export  # noqa: E402
from rpps.fhir.models import ApiKey, Export  # noqa: E402
from rpps.runtime import files, jobs  # noqa: E402

FLOOR = [
    "SELECT s.* FROM registry_structure s",
    "SELECT e.*, p.rpps, p.civility_code, p.merged_into_id, x.type_code, x.code, d.type_code, d.code, d.label, "
    "m.address FROM registry_exercise e JOIN registry_person p ON p.id = e.person_id "
    "LEFT JOIN registry_expertise x ON x.exercise_id = e.id LEFT JOIN registry_diploma d ON d.exercise_id = e.id "
    "LEFT JOIN registry_mailbox m ON m.person_id = p.id AND NOT m.red_list",
    "SELECT a.* FROM registry_activity a",
]


def main():
    key, _ = ApiKey.issue("bench export")
    job = Export.objects.create(key=key, request_url="bench", types=list(export.TYPES))
    started = time.perf_counter()
    ran = jobs.enqueue("fhir.export", export_id=str(job.pk))  # JOBS_IMMEDIATE: run here, as a worker would
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    ran.refresh_from_db()
    assert job.state == Export.State.DONE, (ran.state, ran.message)
    store = export.store()
    size = sum(store.size(f"{job.pk}/{name}") for name in files.listdir(store, str(job.pk))[1])
    # the coordinator and its largest worker process (FHIR_EXPORT_WORKERS of them)
    rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) * 1024
    export.remove(job)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.connection
        for sql in FLOOR:
            with raw.cursor().copy(f"COPY ({sql}) TO STDOUT") as copy:
                for _ in copy:
                    pass
    floor = time.perf_counter() - started
    print(
        json.dumps(
            {
                "workers": settings.FHIR_EXPORT_WORKERS,
                "resources": job.written,
                "seconds": seconds,
                "bytes": size,
                "rss": rss,
                "floor": floor,
                "outputs": job.outputs,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
