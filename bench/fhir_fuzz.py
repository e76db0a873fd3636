"""The seeded fuzz of the FHIR search API (tests/fhir/fuzz.py) at national scale (run by bench/run.py):
thousands of generated requests through Django's full stack in-process, against the populated
registry. Prints one JSON line: how many requests, how many answered 5xx (must be 0), by status,
and the time per request.

Usage: fhir_fuzz.py <requests> <seed>
"""

import collections
import json
import sys
import time

import django

django.setup()

from django.test import Client  # noqa: E402

from rpps.fhir.models import ApiKey  # noqa: E402
from tests.fhir import fuzz  # noqa: E402


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_ESANTE_API_KEY=ApiKey.issue("bench fuzz")[1], raise_request_exception=False
    )
    statuses, timings, failures = collections.Counter(), [], []
    for method, path, body in fuzz.urls(seed=seed, count=count):
        started = time.perf_counter()
        response = client.post(path, body) if method == "POST" else client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] += 1
        if response.status_code >= 500 and len(failures) < 10:
            failures.append([method, path[:300], response.status_code])
    timings.sort()
    print(
        json.dumps(
            {
                "requests": count,
                "server_errors": sum(n for s, n in statuses.items() if s >= 500),
                "statuses": dict(statuses),
                "p50_ms": timings[len(timings) // 2],
                "p99_ms": timings[int(len(timings) * 0.99)],
                "max_ms": timings[-1],
                "failures": failures,
            }
        )
    )


if __name__ == "__main__":
    main()
