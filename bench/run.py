"""National-scale benchmarks (`make bench`). Results: bench/results.json and bench/results.md.

Each figure is reported next to a baseline measured in the same run on the same machine, so the
ratio says how far the product is from what the database itself needs for the same work.

1. generate_population: N persons (default 2,000,000) written into an empty PostgreSQL registry,
   wall time and peak RSS of the command. Baseline: PostgreSQL alone copying the same rows into
   tables of the same shape and building the same indexes (INSERT … SELECT + CREATE INDEX), i.e.
   the floor for writing that data, with no Python at all.

2. Identity resolution against that registry: building the identity index (index_identities), then
   labelled cases drawn from the registry (rpps.identity.evaluation: duplicates with realistic
   corruptions, hard distinct people, new people) resolved one by one in a single process: MATCH
   precision, recall (MATCH + POSSIBLE over true duplicates), review share, false merges, and
   resolutions per second. Baseline for the rate: the candidate-search SQL alone for the same requests.

3. Publication of the extraction files, then load_extraction of the published PS_LibreAcces zip into
   an empty registry at 10 %, 50 % and 100 % of the persons (bench/extraction_variants.py subsets),
   each next to a pandas parse of the same files, and a delta load of the next day's file (1 % of
   lines changed, 0.1 % removed) into the loaded registry (see bench_publish, bench_load; `--only load
   --zip PATH` loads a zip already published).

8. RPPS+ file import (bench_bulk): 10,000 rows (60 % new persons, 40 % known ones) checked, then
   confirmed, against the populated registry; the confirmation next to the check of the same rows.

4. Public search (bench/search_mix.py): building the search index, then a seeded mix of searches
   (names, name + city, profession + department, contains) through Django's full stack in-process;
   server-time percentiles next to the same SQL statements replayed alone.

5. FHIR API (bench/fhir_scenarios.py, bench/fhir_load.py): gunicorn with 2 workers on loopback, load
   from a separate process (identifier, family prefix, name:contains, pages of 1000), each next to
   the same SQL statements replayed directly.

7. FHIR search fuzz (bench/fhir_fuzz.py): 5,000 seeded requests with hostile values; none may answer 5xx.

6. FHIR later pages (bench/fhir_paging.py): the next page of family-prefix searches, with no change
   and with 100 registry changes since the first page, against the first pages' p99.

The populated database (`rpps_bench`) is kept for later benchmarks.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "results.md"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "rpps_bench")


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def run_measured(args: list[str], env: dict) -> tuple[float, int, str]:
    """Run a command; return (wall seconds, peak RSS in bytes of that process, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode})")
    return elapsed, usage.ru_maxrss * 1024, out


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        conn.execute(f'CREATE DATABASE "{DB}"')


REGISTRY_TABLES = [
    "registry_structure",
    "registry_person",
    "registry_exercise",
    "registry_expertise",
    "registry_diploma",
    "registry_authorization",
    "registry_activity",
    "registry_mailbox",
    "registry_card",
    "registry_changerecord",
]


def baseline_copy_same_rows() -> tuple[float, int]:
    """PostgreSQL writing the same rows into same-shaped tables and building the same indexes."""
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        rows = 0
        started = time.perf_counter()
        for table in REGISTRY_TABLES:
            copy = f"bench_{table}"
            conn.execute(f'DROP TABLE IF EXISTS "{copy}"')
            conn.execute(f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
            rows += conn.execute(f'INSERT INTO "{copy}" SELECT * FROM "{table}"').rowcount
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            ).fetchall()
            for number, (name, definition) in enumerate(indexes):
                definition = definition.replace(
                    f"INDEX {name} ON public.{table} ", f'INDEX "{copy}_{number}" ON "{copy}" '
                )
                conn.execute(definition)
        elapsed = time.perf_counter() - started
        for table in REGISTRY_TABLES:
            conn.execute(f'DROP TABLE "bench_{table}"')
    return elapsed, rows


def database_size() -> int:
    with psycopg.connect(f"{PG}/{DB}") as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def bench_generation(persons: int, env: dict) -> list[dict]:
    recreate_database()
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    seconds, rss, out = run_measured(
        [sys.executable, "manage.py", "generate_population", "--personnes", str(persons), "--graine", "1"], env
    )
    print(out.strip())
    rows_line = out.strip().rsplit(":", 1)[-1]
    baseline, rows = baseline_copy_same_rows()
    # What autovacuum does to a production database after a load (visibility map, hint bits, statistics):
    # done now, so that the read benchmarks do not pay for it, nor race it.
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return [
        {
            "figure": f"generate_population, {thousands(persons)} persons (PostgreSQL)",
            "value": round(seconds, 1),
            "unit": "s",
            "baseline": round(baseline, 1),
            "baseline_what": f"PostgreSQL alone copying the same {thousands(rows)} rows and building the same indexes",
            "ratio": round(seconds / baseline, 2),
            "target": "< 600 s",
        },
        {
            "figure": "generate_population rate",
            "value": round(persons / seconds),
            "unit": "persons/s",
            "baseline": None,
            "ratio": None,
            "target": f"> {round(persons / 600)} persons/s",
        },
        {
            "figure": "generate_population peak RSS",
            "value": round(rss / 2**20),
            "unit": "MiB",
            "baseline": None,
            "ratio": None,
            "target": "< 1024 MiB",
        },
        {
            "figure": "registry database size after generation",
            "value": round(database_size() / 2**20),
            "unit": "MiB",
            "baseline": None,
            "ratio": None,
            "target": "",
            "note": rows_line.strip(),
        },
    ]


IDENTITY_SCRIPT = """
import json, time
import django
django.setup()
from rpps.identity.evaluation import evaluate, labelled_cases
from rpps.identity.resolver import candidates
from rpps.identity.traits import Traits
from rpps.identity.variation import variation_cases
from rpps.registry.models import Person

def summary(report):
    return {{"requests": report.requests, "duplicates": report.duplicates, "precision": report.precision,
             "recall": report.recall, "review_share": report.review_share, "false_merges": report.false_merges,
             "match_decisions": report.match_decisions, "seconds": report.seconds,
             "by_kind": {{f"{{k}}/{{o}}": n for (k, o), n in report.by_kind.items()}},
             "by_corruption": {{k: dict(v) for k, v in report.by_corruption.items()}}}}

cases = labelled_cases({cases}, 2026)
traits = [Traits.parse(**c.raw) for c in cases]
first = evaluate(cases)
started = time.perf_counter()  # after the evaluation, so that both runs find the same warm cache
for t in traits:
    candidates(t, "")
sql_seconds = time.perf_counter() - started
second = evaluate(variation_cases({cases}, 2027))
print(json.dumps({{"sets": {{"first": summary(first), "second": summary(second)}}, "sql_seconds": sql_seconds,
    "registry_persons": Person.objects.current().count()}}))
"""

# The two labelled sets: the first from evaluation.py's corruptions, the second from variation.py's classes.
IDENTITY_SETS = {
    "first": "labelled set 1 (evaluation.py: corruptions, twins, homonyms)",
    "second": "labelled set 2 (variation.py: abbreviations, misreadings, places, look-alikes)",
}


def run_script(args: list[str], env: dict) -> dict:
    """Runs a bench script from the project's root; its last line of output is its JSON result."""
    out = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env | {"PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_identity(env: dict, cases: int) -> list[dict]:
    seconds, rss, out = run_measured([sys.executable, "manage.py", "index_identities", "--reconstruire"], env)
    print(out.strip())
    _, _, out = run_measured([sys.executable, "-c", IDENTITY_SCRIPT.format(cases=cases)], env)
    r = json.loads(out.strip().splitlines()[-1])
    persons = thousands(r["registry_persons"])
    first = r["sets"]["first"]
    rate, sql_rate = first["requests"] / first["seconds"], first["requests"] / r["sql_seconds"]
    figures = [
        {
            "figure": f"index_identities, {persons} persons",
            "value": round(seconds, 1),
            "unit": "s",
            "baseline": None,
            "ratio": None,
            "target": "",
            "note": f"peak RSS {round(rss / 2**20)} MiB",
        },
        {
            "figure": "identity resolution rate (single process)",
            "value": round(rate),
            "unit": "resolutions/s",
            "baseline": round(sql_rate),
            "baseline_what": "candidate-search SQL alone, same requests",
            "ratio": round(sql_rate / rate, 2),
            "target": ">= 500 resolutions/s",
            "note": f"registry of {persons} current persons, {thousands(first['requests'])} requests",
        },
    ]
    for key, name in IDENTITY_SETS.items():
        figures += _identity_quality(name, r["sets"][key])
    return figures


def _identity_quality(name: str, r: dict) -> list[dict]:
    mix = ", ".join(f"{k} {v}" for k, v in sorted(r["by_kind"].items()))
    return [
        {
            "figure": f"identity MATCH precision, {name}",
            "value": round(100 * r["precision"], 3),
            "unit": "%",
            "baseline": None,
            "ratio": None,
            "target": ">= 99.9 %",
            "note": f"{r['match_decisions']} MATCH decisions, {r['false_merges']} false merge(s)",
        },
        {
            "figure": f"identity recall (MATCH + POSSIBLE over true duplicates), {name}",
            "value": round(100 * r["recall"], 2),
            "unit": "%",
            "baseline": None,
            "ratio": None,
            "target": ">= 99 %",
            "note": f"{thousands(r['duplicates'])} true duplicates; by variation: {json.dumps(r['by_corruption'])}",
        },
        {
            "figure": f"identity review share (POSSIBLE over all requests), {name}",
            "value": round(100 * r["review_share"], 2),
            "unit": "%",
            "baseline": None,
            "ratio": None,
            "target": "<= 3 %",
            "note": f"{thousands(r['requests'])} requests; decisions by case kind: {mix}",
        },
        {
            "figure": f"identity false merges, {name}",
            "value": r["false_merges"],
            "unit": "requests",
            "baseline": None,
            "ratio": None,
            "target": "0",
        },
    ]


BULK_SCRIPT = r"""
import csv, datetime, io, json, random, resource, time
import django
django.setup()
from django.contrib.auth import get_user_model
from rpps.identity.normalize import normalize_name
from rpps.portal import bulk, services
from rpps.portal.audit import Who
from rpps.portal.forms import ProfessionalRules
from rpps.portal.models import Account, BulkImport, Contract
from rpps.registry.models import Person, Structure

rows_wanted = {rows}
# new names at each run on the same registry (a run registers its new persons): seeded by the runs before
rng = random.Random(2026 + BulkImport.objects.count())
# A site without a contract yet: a structure under contract and its gestionnaire, through the services.
site = Structure.objects.filter(is_legal_entity=False, legal_entity__isnull=True, finess__isnull=False,
                                contracts__isnull=True).order_by("pk").first()
manager = Person.objects.current().order_by("pk").first()
user, _ = get_user_model().objects.get_or_create(username="psc:bench")
account, _ = Account.objects.get_or_create(user=user, subject="bench", defaults={{"national_id": ""}})
contract = services.request_contract(Who("bench", "", None, account), identifier_type="FINESS", identifier=site.finess,
    data={{"representative_national_id": "8" + manager.rpps, "representative_family_name": "BENCH",
          "representative_given_name": "Bench", "representative_function": "representant_legal",
          "representative_email": "bench@example.org"}})
services.approve_contract(Who("bench"), contract)
who = Who("bench", "8" + manager.rpps)

# 40 % people already in the registry (their own traits), 60 % new people.
existing = list(Person.objects.current().order_by("?").values("birth_name", "given_names", "sex_code", "birth_date",
                                                               "birth_place_code")[: rows_wanted * 4 // 10])
rows = []
for i in range(rows_wanted):
    if i < len(existing):
        p = existing[i]
        name, given, sex, born, place = p["birth_name"], p["given_names"], p["sex_code"], p["birth_date"], p["birth_place_code"] or "75056"
    else:
        name = "BENCH" + "".join(rng.choice("BCDFGHJKLMNPRSTVZ") + rng.choice("AEIOU") for _ in range(4))
        given, sex = rng.choice(["Julie", "Marc", "Inès", "Paul", "Léa", "Hugo"]), rng.choice("FM")
        born, place = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(15000)), "75056"
    rows.append({{**bulk.EXAMPLE, "nom_naissance": name, "prenoms_naissance": given, "sexe": sex,
                  "date_naissance": born.isoformat(), "lieu_naissance": place if not place.startswith("99") else "75056",
                  "nom_exercice": normalize_name(name)[:100] or "X", "prenom_exercice": given.split(" ")[0],
                  "civilite": "MME" if sex == "F" else "M", "finess_ou_siret_site": site.finess}})
out = io.StringIO()
writer = csv.writer(out, delimiter=";")
writer.writerow(list(bulk.COLUMNS))
for row in rows:
    writer.writerow([row[c] for c in bulk.COLUMNS])
content = out.getvalue().encode()

# Baseline in the same run: reading and checking every row with the same form, no identity resolution.
started = time.perf_counter()
parsed = bulk.read_rows("bench.csv", content)
for row in parsed:
    data = {{field: row.get(column, "") for column, field in bulk.COLUMNS.items()}}
    data.pop("structure")
    ProfessionalRules(data=data).is_valid()
validation_seconds = time.perf_counter() - started

started = time.perf_counter()
report, valid = bulk.check_rows(bulk.read_rows("bench.csv", content), who.national_id)
check_seconds = time.perf_counter() - started
counts = bulk._count(report)

from rpps.portal.models import BulkImport
record = BulkImport.objects.create(uploaded_by="bench", national_id=who.national_id, filename="bench.csv", sha256="0",
                                   state=BulkImport.State.READY, report=report, rows=valid, counts=counts,
                                   total_rows=len(report))
started = time.perf_counter()
bulk.apply(who, record, valid_only=True, background=False)
apply_seconds = time.perf_counter() - started
record.refresh_from_db()
print(json.dumps({{"rows": len(report), "check_seconds": check_seconds, "validation_seconds": validation_seconds,
                  "apply_seconds": apply_seconds, "counts": counts, "applied": record.counts.get("import"),
                  "registry_persons": Person.objects.current().count(),
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""


def bench_bulk(env: dict, rows: int) -> list[dict]:
    # the identity index of every current person (nothing to do when the identity part built it), and
    # the statistics autovacuum would have gathered since
    subprocess.run([sys.executable, "manage.py", "index_identities"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    # e-mails are jobs sent by the workers once each batch commits: queued here, not sent by the confirmation;
    # a tenth of the rows first, for how the cost grows with the file
    runs = {}
    for count in (rows // 10, rows):
        _, _, out = run_measured(
            [sys.executable, "-c", BULK_SCRIPT.format(rows=count)], env | {"JOBS_IMMEDIATE": "false"}
        )
        runs[count] = json.loads(out.strip().splitlines()[-1])
    r = runs[rows]
    growth = "; ".join(
        f"{thousands(n)} rows: check {x['check_seconds']:.1f} s ({x['check_seconds'] / n * 1e3:.2f} ms/row), "
        f"confirmation {x['apply_seconds']:.1f} s ({x['apply_seconds'] / n * 1e3:.2f} ms/row)"
        for n, x in runs.items()
    )
    counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v)
    return [
        {
            "figure": "RPPS+ file import: 10 000 rows validated and resolved"
            if r["rows"] == 10_000
            else f"RPPS+ file import: {thousands(r['rows'])} rows validated and resolved",
            "unit": "s",
            "value": round(r["check_seconds"], 1),
            "baseline": round(r["validation_seconds"], 1),
            "baseline_what": "the same rows read and checked by the same form, without identity resolution",
            "ratio": round(r["check_seconds"] / r["validation_seconds"], 2),
            "target": "< 60 s",
            "note": f"registry of {thousands(r['registry_persons'])} current persons; report: {counts}; "
            f"peak RSS {round(r['rss'] / 2**20)} MiB; growth from a tenth of the rows: {growth}",
        },
        {
            "figure": f"RPPS+ file import: {thousands(r['rows'])} rows written after confirmation",
            "unit": "s",
            "value": round(r["apply_seconds"], 1),
            "baseline": round(r["check_seconds"], 1),
            "baseline_what": "the same rows checked and resolved (the check before confirmation)",
            "ratio": round(r["apply_seconds"] / r["check_seconds"], 2),
            "target": "< 30 s",
            "note": f"{round(r['rows'] / r['apply_seconds'])} rows/s, by batches of 500 rows a transaction, the "
            f"check's identity decisions re-validated in bulk; outcome: {json.dumps(r['applied'])}; growth from a "
            f"tenth of the rows: {growth}",
        },
    ]


PUBLISH_BASELINE_SCRIPT = r"""
import json, time, zipfile, tempfile, os
import django
django.setup()
from django.conf import settings
from django.db import connection
from rpps.publication import rows

# The queries the publication runs (recorded as the generators start them), dumped by PostgreSQL
# itself (COPY ... TO STDOUT, '|' separated) into zip members: the floor for the same rows.
captured = []
original = rows.public_values
rows.public_values = lambda queryset, *paths: captured.append(original(queryset, *paths)) or captured[-1]
names = rows.Labels()
for generator in rows.ROWS.values():
    next(generator(names), None)
rows.public_values = original
started = time.perf_counter()
total = 0
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "baseline.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=settings.PUBLICATION_ZLIB_LEVEL) as archive:
        for index, queryset in enumerate(captured):
            sql, params = queryset.query.sql_with_params()
            with connection.cursor() as cursor, archive.open(f"q{{index}}.txt", "w", force_zip64=True) as member:
                raw = cursor.cursor
                with raw.copy(f"COPY ({{sql}}) TO STDOUT WITH (FORMAT text, DELIMITER '|', NULL '')", params) as copy:
                    for block in copy:
                        member.write(block)
                        total += len(block)
    size = os.path.getsize(path)
print(json.dumps({{"seconds": time.perf_counter() - started, "bytes": total, "zip": size, "queries": len(captured)}}))
"""


LOAD_BASELINE_SCRIPT = r"""
import json, sys, time, zipfile
import pandas
started = time.perf_counter()
rows = 0
with zipfile.ZipFile(sys.argv[1]) as archive:
    for name in archive.namelist():
        with archive.open(name) as handle:
            rows += len(pandas.read_csv(handle, sep="|", dtype=str, keep_default_na=False))
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def _empty_database(name: str, env: dict) -> dict:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    load_env = env | {"DATABASE_URL": f"{PG}/{name}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=load_env, check=True)
    return load_env


def _settled(database: str, *, vacuum: bool = False) -> None:
    """Each load starts from a settled server: the previous run's dirty pages written (CHECKPOINT), and
    for a delta, the loaded registry vacuumed and analysed as autovacuum does in the day between two
    files. Without it, one figure pays for the writes of the one before."""
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        if vacuum:
            conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def _load(zip_path: Path, env: dict) -> tuple[float, int, str]:
    # A first load leaves the search index to a job (directory.rebuild, measured by index_directory):
    # queued here, not run inside the command as the test settings' immediate mode would.
    seconds, rss, out = run_measured(
        [sys.executable, "manage.py", "load_extraction", str(zip_path), "--appliquer", "-v", "2"],
        env | {"JOBS_IMMEDIATE": "false"},
    )
    print(out.strip())
    return seconds, rss, out


def _pandas_parse(zip_path: Path, env: dict) -> dict:
    _, _, out = run_measured([sys.executable, "-c", LOAD_BASELINE_SCRIPT, str(zip_path)], env)
    return json.loads(out.strip().splitlines()[-1])


def bench_load(env: dict, zip_path: Path) -> list[dict]:
    """load_extraction into an empty registry at 10 %, 50 % and 100 % of the persons (each next to a
    pandas parse of the same files), then a delta load (1 % of lines changed, 0.1 % removed)."""
    folder = Path(tempfile.mkdtemp(prefix="rpps-bench-load-"))
    variants = ROOT / "bench" / "extraction_variants.py"
    figures, growth = [], []
    for tenths in (1, 5, 10):
        path = zip_path
        if tenths < 10:
            path = folder / f"PS_LibreAcces_{tenths}0pct_202601010000.zip"
            subprocess.run([sys.executable, str(variants), "subset", str(zip_path), str(path), str(tenths)], check=True)
        load_env = _empty_database(f"{DB}_load", env)
        _settled(f"{DB}_load")
        seconds, rss, out = _load(path, load_env)
        base = _pandas_parse(path, load_env)
        growth.append((tenths, base["rows"], seconds, rss, base["seconds"]))
    tenths, rows, seconds, rss, base_seconds = growth[-1]
    per_line = {t: s / r * 1e6 for t, r, s, _, _ in growth}
    figures.append(
        {
            "figure": "load_extraction of the national PS_LibreAcces zip into an empty registry",
            "value": round(seconds, 1),
            "unit": "s",
            "baseline": round(base_seconds, 1),
            "baseline_what": "pandas.read_csv(sep='|') of the same three files, nothing else",
            "ratio": round(seconds / base_seconds, 2),
            "target": "< 240 s",
            "note": f"{thousands(rows)} lines read; {out.strip().splitlines()[1].strip()}; growth from 10 % to 100 % "
            "of the persons: "
            + "; ".join(
                f"{t * 10} %: {thousands(r)} lines in {s:.1f} s ({per_line[t]:.1f} µs/line, pandas {b:.1f} s), "
                f"peak RSS {round(m / 2**20)} MiB"
                for t, r, s, m, b in growth
            ),
        }
    )
    figures.append(
        {
            "figure": "load_extraction peak RSS (national zip, empty registry)",
            "value": round(rss / 2**20),
            "unit": "MiB",
            "baseline": None,
            "ratio": None,
            "target": "< 1024 MiB",
            "note": "peak RSS at 10 % / 50 % / 100 %: " + " / ".join(f"{round(g[3] / 2**20)} MiB" for g in growth),
        }
    )
    delta_path = folder / "PS_LibreAcces_202601020000.zip"
    subprocess.run([sys.executable, str(variants), "delta", str(zip_path), str(delta_path)], check=True)
    _settled(f"{DB}_load", vacuum=True)
    seconds, rss, out = _load(delta_path, load_env)
    counts = "; ".join(line.strip() for line in out.strip().splitlines()[1:8])
    steps = next((line.strip() for line in out.splitlines() if line.startswith("Durées")), "")
    figures.append(
        {
            "figure": "load_extraction delta (1 % of lines changed, 0.1 % removed) into the loaded registry",
            "value": round(seconds, 1),
            "unit": "s",
            "baseline": round(base_seconds, 1),
            "baseline_what": "pandas.read_csv(sep='|') of the full national files",
            "ratio": round(seconds / base_seconds, 2),
            "target": "< 120 s",
            "note": f"{counts}; peak RSS {round(rss / 2**20)} MiB; {steps}",
        }
    )
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def bench_publish(env: dict, *, then_load: bool = True) -> list[dict]:
    folder = tempfile.mkdtemp(prefix="rpps-bench-publication-")
    run_env = env | {"PUBLICATION_DIR": folder}
    seconds, rss, out = run_measured(
        [sys.executable, "manage.py", "publish_extractions", "--sans-progression"], run_env
    )
    print(out.strip())
    lines = sum(int(n) for n in re.findall(r": (\d+) lignes", out))
    _, _, base_out = run_measured([sys.executable, "-c", PUBLISH_BASELINE_SCRIPT.format()], run_env)
    base = json.loads(base_out.strip().splitlines()[-1])
    zips = sum(p.stat().st_size for p in Path(folder).rglob("*.zip"))  # the publication storage: a folder here
    loaded = bench_load(env, next(Path(folder).rglob("PS_LibreAcces_*.zip"))) if then_load else []
    shutil.rmtree(folder, ignore_errors=True)
    return loaded + [
        {
            "figure": "publish_extractions (3 zips, all files) at 2 000 000 persons",
            "value": round(seconds, 1),
            "unit": "s",
            "baseline": round(base["seconds"], 1),
            "baseline_what": f"PostgreSQL COPY ... TO of the same {base['queries']} queries, zipped at the same level",
            "ratio": round(seconds / base["seconds"], 2),
            "target": "< 120 s",
            "note": f"{thousands(lines)} lines; zips {round(zips / 2**20)} MiB (baseline zip {round(base['zip'] / 2**20)} MiB "
            f"of {round(base['bytes'] / 2**20)} MiB of raw rows); peak RSS {round(rss / 2**20)} MiB",
        },
        {
            "figure": "publish_extractions peak RSS",
            "value": round(rss / 2**20),
            "unit": "MiB",
            "baseline": None,
            "ratio": None,
            "target": "< 500 MiB",
        },
    ]


def bench_search(env: dict, per_kind: int) -> list[dict]:
    """The public search: index build, then a realistic mix of searches (bench/search_mix.py)."""
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("TRUNCATE directory_entry")  # measure a first build (the generator's load made one)
    seconds, rss, out = run_measured([sys.executable, "manage.py", "index_directory"], env)
    print(out.strip())
    _, _, mix_out = run_measured(
        [sys.executable, "bench/search_mix.py", str(per_kind)], env | {"PYTHONPATH": str(ROOT)}
    )
    r = json.loads(mix_out.strip().splitlines()[-1])
    kinds = "; ".join(
        f"{k}: p50 {v['p50_ms']:.0f} ms, p95 {v['p95_ms']:.0f} ms (SQL p95 {v['sql_p95_ms']:.0f} ms), max {v['max_ms']:.0f} ms"
        for k, v in r["by_kind"].items()
    )
    slow = r["slowest"]
    return [
        {
            "figure": "index_directory (public search index, full build)",
            "value": round(seconds, 1),
            "unit": "s",
            "baseline": None,
            "ratio": None,
            "target": "",
            "note": f"{thousands(r['lines'])} index lines; peak RSS {round(rss / 2**20)} MiB",
        },
        compared(
            f"public search, server time p95 ({r['requests']} searches: names, name + city, "
            "profession + department, contains)",
            (r["p95_ms"], "ms"),
            (r["sql_p95_ms"], "the same SQL statements each request ran, replayed alone on the same connection (p95)"),
            "< 100 ms",
            f"p50 {r['p50_ms']:.0f} ms (SQL {r['sql_p50_ms']:.0f} ms), p99 {r['p99_ms']:.0f} ms; {kinds}. "
            f"Slowest: {json.dumps(slow['params'], ensure_ascii=False)} ({slow['kind']}) "
            f"{slow['ms']:.0f} ms, of which SQL {slow['sql_ms']:.0f} ms",
        ),
    ]


FHIR_TARGETS = {
    "identifier": "p99 <= 20 ms, >= 300 req/s",
    "family": "p99 <= 50 ms",
    "name:contains": "p99 <= 200 ms",
    "page of 1000": "<= 500 ms",
    "chained organization.address-city": "p99 <= 200 ms",
    "_has postal code": "p99 <= 200 ms",
}


def compared(figure: str, measured: tuple, baseline: tuple, target: str, note: str) -> dict:
    """A figure with its baseline of the same run: (value, unit) against (value, what it is)."""
    (value, unit), (base, what) = measured, baseline
    return {
        "figure": figure,
        "value": round(value, 1),
        "unit": unit,
        "baseline": round(base, 1),
        "baseline_what": what,
        "ratio": round(value / base, 2) if base else None,
        "target": target,
        "note": note,
    }


def api_key(env: dict, name: str) -> str:
    command = [sys.executable, "manage.py", "create_api_key", name]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def production_server(env: dict, port: int):
    """gunicorn with config/gunicorn.py and the production settings (persistent database connections, DEBUG
    off), plain HTTP on loopback, a FHIR rate limit above what the load sends (17/s would answer 429)."""
    access_log = open(Path(tempfile.mkdtemp(prefix="rpps-bench-server-")) / "server.log", "w")  # noqa: SIM115
    server_env = env | {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "false",
        "FHIR_RATE_LIMIT": "1000000",
    }
    # as a deployment does: the pages name their static files through the manifest collectstatic writes
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=server_env, check=True
    )
    command = ["-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application", "-b", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [sys.executable, *command, "--log-level", "warning"], cwd=ROOT, env=server_env, stderr=access_log
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/v2/metadata", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        access_log.close()


def bench_hostile(env: dict) -> list[dict]:
    """The worst time each hostile request of issue 21 costs the production server, and the public
    search's p95 while they run (bench/hostile.py)."""
    key = api_key(env, "bench-hostile")
    with production_server(env, 8023) as port:
        _, _, out = run_measured([sys.executable, "bench/hostile.py", str(port), key], env | {"PYTHONPATH": str(ROOT)})
    r = json.loads(out.strip().splitlines()[-1])
    figures = [
        {
            "figure": f"hostile request, worst of 3: {name}",
            "value": round(k["worst_ms"], 1),
            "unit": "ms",
            "baseline": None,
            "ratio": None,
            "target": "< 2000 ms",
            "note": "answers: " + ", ".join(str(s) for s in k["statuses"]),
        }
        for name, k in r["kinds"].items()
    ]
    figures.append(
        compared(
            "public search p95 while the hostile requests run (300 searches, gunicorn, production settings)",
            (r["search_during_p95_ms"], "ms"),
            (r["search_alone_p95_ms"], "the same searches, alone, just before"),
            "unchanged (within noise)",
            f"client-side time over HTTP, one search at a time; answers other than 200: {r['search_failures']}",
        )
    )
    return figures


def bench_fhir(env: dict, per_kind: int) -> list[dict]:
    """The FHIR API under load: gunicorn with 2 workers, requests from another process (bench/fhir_load.py)."""
    key = api_key(env, "bench")
    scenarios = Path(tempfile.mkdtemp(prefix="rpps-bench-fhir-")) / "scenarios.json"
    script_env = env | {"PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "bench/fhir_scenarios.py", str(scenarios), key, str(per_kind)],
        cwd=ROOT,
        env=script_env,
        check=True,
    )
    with production_server(env, 8021) as port:
        _, _, out = run_measured(
            [sys.executable, "bench/fhir_load.py", f"http://127.0.0.1:{port}", key, str(scenarios), "2", f"{PG}/{DB}"],
            script_env,
        )
    results = json.loads(out.strip().splitlines()[-1])
    figures = []
    for name, r in results.items():
        figures.append(
            {
                "figure": f"FHIR {name} search, p99 (gunicorn 2 sync workers, production settings, load from another process)",
                "value": round(r["p99_ms"], 1),
                "unit": "ms",
                "baseline": round(r["sql"]["p99_ms"], 1),
                "baseline_what": "the same SQL statements each request ran, replayed directly (p99)",
                "ratio": round(r["p99_ms"] / r["sql"]["p99_ms"], 2) if r["sql"]["p99_ms"] else None,
                "target": FHIR_TARGETS[name],
                "note": f"{r['requests']} requests from 2 client threads (1 per worker; page of 1000: 1), {r['errors']} "
                f"errors, {r['rate']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, max {r['max_ms']:.0f} ms "
                f"(SQL p50 {r['sql']['p50_ms']:.1f} ms)",
            }
        )
        if "loaded" in r:
            figures.append(
                {
                    "figure": f"FHIR {name} search, throughput with 8 client threads",
                    "value": round(r["loaded"]["rate"]),
                    "unit": "req/s",
                    "baseline": None,
                    "ratio": None,
                    "target": ">= 300 req/s",
                    "note": f"p50 {r['loaded']['p50_ms']:.1f} ms, p99 {r['loaded']['p99_ms']:.1f} ms, "
                    f"{r['loaded']['errors']} errors",
                }
            )
    return figures


def bench_export(env: dict) -> list[dict]:
    """$export of every resource (bench/fhir_export.py), against the base rows read by COPY."""
    r = run_script(["bench/fhir_export.py"], env)
    rate = r["resources"] / r["seconds"]
    counts = ", ".join(f"{o['type']} {thousands(o['count'])}" for o in r["outputs"])
    return [
        {
            "figure": f"FHIR $export, every resource ({thousands(r['resources'])}: {counts})",
            "value": round(rate),
            "unit": "resources/s",
            "baseline": round(r["resources"] / r["floor"]),
            "baseline_what": "the base rows of the same resources read by hand-written SQL (COPY … TO STDOUT, discarded)",
            "ratio": round(r["floor"] / r["seconds"], 2),
            "target": ">= 40,000 resources/s through jobs, memory bounded",
            "note": f"{r['seconds']:.1f} s (floor {r['floor']:.1f} s), {r['bytes'] / 2**20:.0f} MiB of NDJSON, "
            f"{r['workers']} worker processes sharing one snapshot, peak RSS of one process {r['rss'] / 2**20:.0f} MiB",
        }
    ]


def bench_paging(env: dict, searches: int = 200, changes: int = 100) -> list[dict]:
    """FHIR later pages (as of their first page) against first pages (bench/fhir_paging.py)."""
    r = run_script(["bench/fhir_paging.py", str(searches), str(changes)], env)
    first = r["first"]["p99_ms"]
    figures = []
    for name, what in (
        ("next", "no change since the first page"),
        ("next_changed", f"{r['changes']} registry changes since the first page"),
    ):
        figures.append(
            {
                "figure": f"FHIR later page (_count=100), p99, {what}",
                "value": round(r[name]["p99_ms"], 1),
                "unit": "ms",
                "baseline": round(first, 1),
                "baseline_what": "the first page of the same searches (p99)",
                "ratio": round(r[name]["p99_ms"] / first, 2),
                "target": "<= 2x the first page's p99",
                "note": f"{r[name]['n']} Practitioner family-prefix searches in-process (Django test client); "
                f"p50 {r[name]['p50_ms']:.1f} ms against {r['first']['p50_ms']:.1f} ms for first pages",
            }
        )
    return figures


def bench_fuzz(env: dict, requests: int = 5000, seed: int = 1) -> list[dict]:
    """The seeded fuzz of the FHIR search API (bench/fhir_fuzz.py): no request may answer 5xx."""
    r = run_script(["bench/fhir_fuzz.py", str(requests), str(seed)], env)
    return [
        {
            "figure": f"FHIR search fuzz ({r['requests']} seeded requests, hostile values), server errors",
            "value": r["server_errors"],
            "unit": "5xx answers",
            "baseline": None,
            "ratio": None,
            "target": "0",
            "note": f"statuses {r['statuses']}; p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms"
            + (f"; first failures {r['failures']}" if r["failures"] else ""),
        }
    ]


def write_results(figures: list[dict]) -> None:
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"figures": []}
    names = {f["figure"] for f in figures}
    # a part measured again replaces all its earlier figures (even under an earlier wording)
    parts = {f["figure"].split(" ")[0] + " " + f["figure"].split(" ")[1] for f in figures}
    kept = [
        f
        for f in previous.get("figures", [])
        if f["figure"] not in names and " ".join(f["figure"].split(" ")[:2]) not in parts
    ]
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result = {
        "measured_at": now,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "figures": kept + [f | {"measured_at": now} for f in figures],
    }
    RESULTS_JSON.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    lines = [
        "# Benchmark results",
        "",
        f"Last written {result['measured_at']} on {result['machine']}, PostgreSQL on 127.0.0.1 (`make bench`); "
        "each figure with the time it was measured (`--only` measures one part again).",
        "",
        "| figure | value | unit | baseline (same run) | ratio | target | measured (UTC) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in result["figures"]:
        baseline = f"{f['baseline']} — {f.get('baseline_what', '')}" if f.get("baseline") is not None else ""
        ratio = f"{f['ratio']}×" if f.get("ratio") is not None else ""
        when = f.get("measured_at", "")[:16].replace("T", " ")
        lines.append(
            f"| {f['figure']} | {f['value']} | {f['unit']} | {baseline} | {ratio} | {f.get('target', '')} | {when} |"
        )
    notes = [f"- {f['figure']}: {f['note']}" for f in result["figures"] if f.get("note")]
    RESULTS_MD.write_text("\n".join(lines + ([""] + notes if notes else [])) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=int(os.environ.get("BENCH_PERSONS", 2_000_000)))
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 20_000)))
    parser.add_argument("--bulk-rows", type=int, default=int(os.environ.get("BENCH_BULK_ROWS", 10_000)))
    parser.add_argument("--skip-generation", action="store_true", help="reuse the populated rpps_bench database")
    parser.add_argument(
        "--searches",
        type=int,
        default=int(os.environ.get("BENCH_SEARCHES", 250)),
        help="searches of each kind in the public search mix",
    )
    parser.add_argument(
        "--fhir-requests",
        type=int,
        default=int(os.environ.get("BENCH_FHIR_REQUESTS", 1000)),
        help="requests per FHIR search kind",
    )
    parser.add_argument(
        "--only",
        choices=[
            "generation",
            "bulk",
            "publish",
            "load",
            "search",
            "fhir",
            "paging",
            "fuzz",
            "export",
            "identity",
            "hostile",
        ],
        help="run one part only (on the populated database)",
    )
    parser.add_argument("--zip", help="with --only load: the PS_LibreAcces zip to load (else one is published)")
    args = parser.parse_args()
    env = os.environ | {
        "DATABASE_URL": f"{PG}/{DB}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DEBUG": "false",
        # one client address sends the whole mix: the per-address limits of the public site are not measured
        "PUBLIC_SEARCH_RATE_LIMIT": "100000000",
        "PUBLIC_PDF_RATE_LIMIT": "100000000",
    }
    if args.only:
        if args.only != "generation":  # generation creates the database afresh
            subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
        parts = {
            "generation": lambda: bench_generation(args.persons, env),
            "bulk": lambda: bench_bulk(env, args.bulk_rows),
            "publish": lambda: bench_publish(env),
            "load": lambda: bench_load(env, Path(args.zip)) if args.zip else bench_publish(env),
            "search": lambda: bench_search(env, args.searches),
            "fhir": lambda: bench_fhir(env, args.fhir_requests),
            "paging": lambda: bench_paging(env),
            "fuzz": lambda: bench_fuzz(env),
            "export": lambda: bench_export(env),
            "identity": lambda: bench_identity(env, args.cases),
            "hostile": lambda: bench_hostile(env),
        }
        write_results(parts[args.only]())
        print(RESULTS_MD.read_text())
        return
    if args.skip_generation:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    else:
        write_results(bench_generation(args.persons, env))
    # each part's figures are written as soon as it is measured: a later failure keeps them
    write_results(bench_publish(env))
    write_results(bench_search(env, args.searches))
    write_results(bench_fhir(env, args.fhir_requests))
    write_results(bench_paging(env))
    write_results(bench_fuzz(env))
    write_results(bench_hostile(env))
    write_results(bench_export(env))
    write_results(bench_identity(env, args.cases))
    write_results(bench_bulk(env, args.bulk_rows))
    print(RESULTS_MD.read_text())


if __name__ == "__main__":
    main()
