"""FHIR API load benchmark (run by bench/run.py): the API served by gunicorn (2 workers) on loopback,
load from this separate process, then the same SQL statements replayed directly as the floor.

Usage: fhir_load.py <base url> <api key> <scenarios.json> <threads>
scenarios.json: {"name": {"urls": [...], "sql": [[statements of url 0], ...]}}
"""

import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(base: str, key: str, urls: list[str], threads: int) -> dict:
    """Each client thread keeps its connection open (HTTP/1.1 keep-alive), as API clients do."""
    target = urlsplit(base)
    timings, errors, lock = [], [], threading.Lock()
    queue = list(enumerate(urls))

    def worker():
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        while True:
            with lock:
                if not queue:
                    conn.close()
                    return
                _, url = queue.pop()
            started = time.perf_counter()
            try:
                conn.request("GET", url, headers={"ESANTE-API-KEY": key, "Accept": "application/fhir+json"})
                response = conn.getresponse()
            except (http.client.HTTPException, ConnectionError):  # the server closed a kept-alive connection
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                started = time.perf_counter()
                conn.request("GET", url, headers={"ESANTE-API-KEY": key, "Accept": "application/fhir+json"})
                response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                (timings if response.status == 200 else errors).append(
                    elapsed if response.status == 200 else response.status
                )

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(urls),
        "errors": len(errors),
        "rate": len(timings) / wall,
        "p50_ms": statistics.median(timings) * 1000,
        "p99_ms": percentile(timings, 99) * 1000,
        "max_ms": max(timings) * 1000,
    }


def floor(dsn: str, statements: list[list[str]]) -> dict:
    """The recorded statements of each request replayed directly; a count the API ran under its time
    budget (SET LOCAL statement_timeout) is replayed under the same budget."""
    timings = []
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        for group in statements:
            started = time.perf_counter()
            budget = None
            for sql in group:
                if sql.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                    continue
                if sql.startswith("SET LOCAL statement_timeout"):
                    budget = sql
                    continue
                if budget is None:
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()
                    continue
                cursor.execute(budget.replace("SET LOCAL", "SET"))
                try:
                    cursor.execute(sql)
                    cursor.fetchall()
                except psycopg.errors.QueryCanceled:
                    pass
                _reset_timeout(cursor)
                budget = None
            timings.append(time.perf_counter() - started)
    return {"p50_ms": statistics.median(timings) * 1000, "p99_ms": percentile(timings, 99) * 1000}


def _reset_timeout(cursor) -> None:
    """Back to no timeout. A timeout that fires just as its statement ends is delivered to the next
    one (a known PostgreSQL race): that next statement, this SET, is then cancelled — run it again."""
    for attempt in range(3):
        try:
            cursor.execute("SET statement_timeout = 0")
            return
        except psycopg.errors.QueryCanceled:
            if attempt == 2:
                raise


def main():
    base, key, path, threads, dsn = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    scenarios = json.loads(Path(path).read_text())
    out = {}
    for name, scenario in scenarios.items():
        run(base, key, scenario["urls"][: max(10, len(scenario["urls"]) // 10)], threads)  # warm-up
        # Latency with one request in flight per server worker; throughput with more clients than workers.
        out[name] = run(base, key, scenario["urls"], 1 if scenario.get("sequential") else threads)
        out[name]["sql"] = floor(dsn, scenario["sql"])
        if name == "identifier":
            out[name]["loaded"] = run(base, key, scenario["urls"], 4 * threads)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
