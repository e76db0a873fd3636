"""Hostile requests against the production server (run by bench/run.py, `--only hostile`).

Each kind of request issue 21 reproduced is sent three times to gunicorn running the production
settings on the populated rpps_bench; the figure is the worst answer time of each kind, with its
status. Meanwhile a client thread searches the public site, and its p95 is compared with the same
searches run before, alone. Uploaded files are read the way an upload is (bulk.read_rows in the
limited child, rpps.runtime.sandbox), in this process: the portal's sign-in is not part of what is
measured. Prints one JSON line.
"""

import http.client
import io
import json
import random
import sys
import threading
import time
import zipfile
from urllib.parse import quote, urlencode

import django

django.setup()

from django.conf import settings  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from rpps.directory.models import Entry  # noqa: E402
from rpps.portal import bulk  # noqa: E402
from rpps.runtime import sandbox  # noqa: E402

REPEAT = 3


def _request(port: int, method: str, path: str, headers=(), body: bytes | None = None) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, (time.perf_counter() - started) * 1000


def _http_kinds(key: str) -> dict:
    api = [("ESANTE-API-KEY", key)]
    alternatives = ",".join(["a"] * 2000)
    return {
        "Cookie: ten headers of 8 KB of backslashes (public search)": (
            "GET",
            "/recherche/?nom=MARTIN",
            [("Cookie", "a=" + "\\" * 8000)] * 10,
            None,
        ),
        "FHIR Organization?address= 2,000 alternatives (GET)": (
            "GET",
            "/fhir/v2/Organization?address=" + alternatives,
            api,
            None,
        ),
        "FHIR Organization/_search address= 2,000 alternatives (POST)": (
            "POST",
            "/fhir/v2/Organization/_search",
            [*api, ("Content-Type", "application/x-www-form-urlencoded")],
            ("address=" + alternatives).encode(),
        ),
        "FHIR _count=² (non-ASCII digit)": ("GET", "/fhir/v2/Practitioner?_count=" + quote("²"), api, None),
        "FHIR Practitioner/003-١ (non-ASCII digit in an id)": (
            "GET",
            "/fhir/v2/Practitioner/003-" + quote("١"),
            api,
            None,
        ),
        "FHIR _lastUpdated=9999-12-31 (date out of range)": (
            "GET",
            "/fhir/v2/Practitioner?_lastUpdated=9999-12-31",
            api,
            None,
        ),
        "FHIR _lastUpdated=ap0001-01-01 (date out of range)": (
            "GET",
            "/fhir/v2/Practitioner?_lastUpdated=ap0001-01-01",
            api,
            None,
        ),
        "FHIR NUL byte in a parameter": ("GET", "/fhir/v2/Practitioner?family=A%00B", api, None),
        "public page with a NUL byte (/structure/%00/)": ("GET", "/structure/%00/", [], None),
        "FHIR $export?_since=0001-01-01": (
            "GET",
            "/fhir/v2/$export?_since=0001-01-01",
            [*api, ("Accept", "application/fhir+json"), ("Prefer", "respond-async")],
            None,
        ),
    }


def _export_flood(port: int, key: str) -> dict:
    """17 kick-offs in one burst from one key: beyond the caps, 429 with Retry-After; the accepted ones
    are cancelled (DELETE on their status URL)."""
    headers = [("ESANTE-API-KEY", key), ("Accept", "application/fhir+json"), ("Prefer", "respond-async")]
    statuses, worst, accepted = [], 0.0, []
    for _ in range(17):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        connection.putrequest("GET", "/fhir/v2/$export?_type=Organization")
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        worst = max(worst, (time.perf_counter() - started) * 1000)
        statuses.append(response.status)
        if response.status == 202:
            accepted.append(response.getheader("Content-Location"))
        connection.close()
    for location in accepted:
        path = location.split("://", 1)[-1].split("/", 1)[-1]
        _request(port, "DELETE", "/" + path, [("ESANTE-API-KEY", key)])
    return {"worst_ms": worst, "statuses": sorted(set(statuses))}


def _xlsx_far_row() -> bytes:
    book = Workbook()
    book.active["A1"] = "nom_naissance"
    book.active["A1048576"] = "x"
    raw = io.BytesIO()
    book.save(raw)
    return _rewrite(
        raw.getvalue(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'ref="A1:A1048576"', b'ref="A1:XFD1048576"'),
    )


def _xlsx_huge_strings() -> bytes:
    book = Workbook()
    book.active.append(list(bulk.COLUMNS))
    for row in range(2, 212):
        book.active.cell(row=row, column=1, value=f"{row}" + "A" * 300_000)
    raw = io.BytesIO()
    book.save(raw)
    return raw.getvalue()


def _xlsx_entities() -> bytes:
    book = Workbook()
    book.active["A1"] = "x"
    raw = io.BytesIO()
    book.save(raw)
    nested = b"".join(b'<!ENTITY e%d "&e%d;&e%d;">' % (i, i - 1, i - 1) for i in range(1, 60))
    doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e0 "x">' + nested + b"]>"
    return _rewrite(raw.getvalue(), "xl/worksheets/sheet1.xml", lambda xml: doctype + xml.split(b"?>", 1)[-1])


def _rewrite(content: bytes, member: str, change) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            out.writestr(info.filename, change(data) if info.filename == member else data)
    return target.getvalue()


def _upload_kinds() -> dict:
    header = ";".join(bulk.COLUMNS).encode() + b"\n"
    return {
        "XLSX declaring A1:XFD1048576 with one far row": ("f.xlsx", _xlsx_far_row()),
        "XLSX of 210 cells of 300,000 characters (63 MB unzipped)": ("f.xlsx", _xlsx_huge_strings()),
        "XLSX with 60 nested entities": ("f.xlsx", _xlsx_entities()),
        "CSV of 2,400,000 one-character lines": ("f.csv", header + b"a\n" * 2_400_000),
        "CSV with a cell of 200,000 characters": ("f.csv", header + b"a" * 200_000 + b"\n"),
    }


def _read(filename: str, content: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        sandbox.run(
            bulk.read_rows,
            filename,
            content,
            cpu_seconds=settings.PORTAL_PARSE_CPU_SECONDS,
            memory_bytes=settings.PORTAL_PARSE_MEMORY_MB * 1_048_576,
            wall_seconds=settings.PORTAL_PARSE_WALL_SECONDS,
        )
        outcome = "read"
    except bulk.FileRefused as exc:
        outcome = f"refused: {str(exc)[:80]}"
    except sandbox.SandboxFailed as exc:
        outcome = f"stopped: {exc.reason}"
    return outcome, (time.perf_counter() - started) * 1000


def _searches(count: int) -> list[str]:
    rng = random.Random(21)
    names = list(Entry.objects.order_by("?").values_list("last_name", flat=True)[: count * 2])
    rng.shuffle(names)
    return ["/recherche/?" + urlencode({"nom": n[: rng.randint(3, max(3, len(n)))]}) for n in names[:count]]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _search_loop(port: int, paths: list[str], timings: list[float], failures: list, stop: threading.Event) -> None:
    i = 0
    while not stop.is_set():
        status, elapsed = _request(port, "GET", paths[i % len(paths)])
        timings.append(elapsed)
        if status != 200:
            failures.append(status)
        i += 1


def main():
    port, key = int(sys.argv[1]), sys.argv[2]
    paths = _searches(300)
    failures: list[int] = []
    alone = []
    for path in paths:
        status, elapsed = _request(port, "GET", path)
        alone.append(elapsed)
        if status != 200:
            failures.append(status)
    timings: list[float] = []
    stop = threading.Event()
    searcher = threading.Thread(target=_search_loop, args=(port, paths, timings, failures, stop))
    searcher.start()
    kinds = {}
    try:
        for name, (method, path, headers, body) in _http_kinds(key).items():
            runs = [_request(port, method, path, headers, body) for _ in range(REPEAT)]
            kinds[name] = {"worst_ms": max(t for _, t in runs), "statuses": sorted({s for s, _ in runs})}
        kinds["FHIR $export: 17 kick-offs in a burst from one key"] = _export_flood(port, key)
        for name, (filename, content) in _upload_kinds().items():
            runs = [_read(filename, content) for _ in range(REPEAT)]
            kinds[name] = {"worst_ms": max(t for _, t in runs), "statuses": sorted({o for o, _ in runs})}
        while len(timings) < len(paths):  # as many searches under hostile load as alone
            time.sleep(0.1)
    finally:
        stop.set()
        searcher.join()
    result = {"kinds": kinds, "search_alone_p95_ms": _p95(alone), "search_during_p95_ms": _p95(timings)}
    print(json.dumps(result | {"search_failures": len(failures)}))


if __name__ == "__main__":
    main()
