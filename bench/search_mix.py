"""Public search benchmark (run by bench/run.py in its own process, on the populated rpps_bench).

A realistic mix drawn from the registry with a fixed seed: names (prefixes of existing names of
exercise), name + city, profession + department, and "contains" (a piece inside a name). Each
request goes through Django's full stack in-process (middleware, view, template): that is the
server time. Baseline: the very SQL statements the view ran for that request, replayed through
the same connection with no Django around them (the floor for the same work). Both are measured
warm, request after request, after a preparation pass that records the SQL.
"""

import json
import random
import statistics
import sys
import time
from urllib.parse import urlencode

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from rpps.directory.models import Entry  # noqa: E402

PER_KIND = int(sys.argv[1]) if len(sys.argv) > 1 else 200


def sample_lines(rng: random.Random, n: int) -> list[dict]:
    top = Entry.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rng.sample(range(1, top + 1), n * 3)
    rows = list(
        Entry.objects.filter(id__in=ids, structure__isnull=False).values(
            "last_name", "first_name", "profession_code", "department_code", "structure__commune_label"
        )
    )
    rng.shuffle(rows)
    return rows


def mix(rng: random.Random) -> list[tuple[str, dict]]:
    rows = sample_lines(rng, PER_KIND * 4)
    queries = []
    for i, row in enumerate(rows[: PER_KIND * 4]):
        name = row["last_name"].replace("'", " ")
        kind = ("names", "name + city", "profession + department", "contains")[i % 4]
        if kind == "names":
            params = {"nom": name[: rng.randint(3, max(3, len(name)))]}
        elif kind == "name + city":
            params = {"nom": name[: rng.randint(3, max(3, len(name)))], "lieu": row["structure__commune_label"]}
        elif kind == "profession + department":
            params = {"profession": row["profession_code"], "lieu": row["department_code"]}
        else:
            start = rng.randint(0, max(0, len(name) - 4))
            params = {"nom": name[start : start + rng.randint(4, 6)], "mode": "contient"}
        queries.append((kind, params))
    return queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main():
    rng = random.Random(2026)
    client = Client(HTTP_HOST="127.0.0.1")
    queries = mix(rng)
    recorded = []
    for _, params in queries:  # preparation: record the SQL of each request (and warm the caches)
        connection.queries_log.clear()  # it keeps 9,000 queries: past that a capture would be empty
        with CaptureQueriesContext(connection) as context:
            assert client.get("/recherche/?" + urlencode(params)).status_code == 200
        recorded.append([q["sql"] for q in context.captured_queries])
    server, floor = [], []
    with connection.cursor() as cursor:
        for (_, params), statements in zip(queries, recorded, strict=True):
            started = time.perf_counter()
            client.get("/recherche/?" + urlencode(params))
            server.append(time.perf_counter() - started)
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:  # (SET / RESET statement_timeout return no rows)
                    cursor.fetchall()
            floor.append(time.perf_counter() - started)
    by_kind = {}
    for kind in dict.fromkeys(k for k, _ in queries):
        picked = [i for i, (k, _) in enumerate(queries) if k == kind]
        by_kind[kind] = {
            "n": len(picked),
            "p50_ms": statistics.median(server[i] for i in picked) * 1000,
            "p95_ms": percentile([server[i] for i in picked], 95) * 1000,
            "max_ms": max(server[i] for i in picked) * 1000,
            "sql_p95_ms": percentile([floor[i] for i in picked], 95) * 1000,
        }
    slowest = max(range(len(queries)), key=lambda i: server[i])
    print(
        json.dumps(
            {
                "requests": len(queries),
                "p50_ms": statistics.median(server) * 1000,
                "p95_ms": percentile(server, 95) * 1000,
                "p99_ms": percentile(server, 99) * 1000,
                "sql_p95_ms": percentile(floor, 95) * 1000,
                "sql_p50_ms": statistics.median(floor) * 1000,
                "by_kind": by_kind,
                "slowest": {
                    "params": queries[slowest][1],
                    "kind": queries[slowest][0],
                    "ms": server[slowest] * 1000,
                    "sql_ms": floor[slowest] * 1000,
                    "statements": recorded[slowest],
                },
                "lines": Entry.objects.count(),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
