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

The populated database (`rpps_bench`) is kept for later benchmarks.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
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
        [sys.executable, "manage.py", "generate_population", "--persons", str(persons), "--seed", "1"], env
    )
    print(out.strip())
    rows_line = out.strip().rsplit(":", 1)[-1]
    baseline, rows = baseline_copy_same_rows()
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
from rpps.registry.models import Person
cases = labelled_cases({cases}, 2026)
traits = [Traits.parse(**c.raw) for c in cases]
report = evaluate(cases)
started = time.perf_counter()  # after the evaluation, so that both runs find the same warm cache
for t in traits:
    candidates(t, "")
sql_seconds = time.perf_counter() - started
by_corruption = {{k: dict(v) for k, v in report.by_corruption.items()}}
by_kind = {{f"{{k}}/{{o}}": n for (k, o), n in report.by_kind.items()}}
print(json.dumps({{"requests": report.requests, "duplicates": report.duplicates, "precision": report.precision,
    "recall": report.recall, "review_share": report.review_share, "false_merges": report.false_merges,
    "match_decisions": report.match_decisions, "seconds": report.seconds, "sql_seconds": sql_seconds,
    "registry_persons": Person.objects.current().count(), "by_kind": by_kind, "by_corruption": by_corruption}}))
"""


def bench_identity(env: dict, cases: int) -> list[dict]:
    seconds, rss, out = run_measured([sys.executable, "manage.py", "index_identities", "--rebuild"], env)
    print(out.strip())
    _, _, out = run_measured([sys.executable, "-c", IDENTITY_SCRIPT.format(cases=cases)], env)
    r = json.loads(out.strip().splitlines()[-1])
    persons = thousands(r["registry_persons"])
    rate, sql_rate = r["requests"] / r["seconds"], r["requests"] / r["sql_seconds"]
    mix = ", ".join(f"{k} {v}" for k, v in sorted(r["by_kind"].items()))
    return [
        {"figure": f"index_identities, {persons} persons", "value": round(seconds, 1), "unit": "s",
         "baseline": None, "ratio": None, "target": "", "note": f"peak RSS {round(rss / 2**20)} MiB"},
        {"figure": "identity resolution rate (single process)", "value": round(rate), "unit": "resolutions/s",
         "baseline": round(sql_rate), "baseline_what": "candidate-search SQL alone, same requests",
         "ratio": round(sql_rate / rate, 2), "target": ">= 500 resolutions/s",
         "note": f"registry of {persons} current persons, {thousands(r['requests'])} requests"},
        {"figure": "identity MATCH precision", "value": round(100 * r["precision"], 3), "unit": "%",
         "baseline": None, "ratio": None, "target": ">= 99.9 %",
         "note": f"{r['match_decisions']} MATCH decisions, {r['false_merges']} false merge(s)"},
        {"figure": "identity recall (MATCH + POSSIBLE over true duplicates)", "value": round(100 * r["recall"], 2),
         "unit": "%", "baseline": None, "ratio": None, "target": ">= 99 %",
         "note": f"{thousands(r['duplicates'])} true duplicates; by corruption: {json.dumps(r['by_corruption'])}"},
        {"figure": "identity review share (POSSIBLE over all requests)", "value": round(100 * r["review_share"], 2),
         "unit": "%", "baseline": None, "ratio": None, "target": "<= 3 %", "note": f"decisions by case kind: {mix}"},
        {"figure": "identity false merges", "value": r["false_merges"], "unit": "requests", "baseline": None,
         "ratio": None, "target": "as few as possible"},
    ]  # fmt: skip


def write_results(figures: list[dict]) -> None:
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"figures": []}
    names = {f["figure"] for f in figures}
    kept = [f for f in previous.get("figures", []) if f["figure"] not in names]
    result = {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "figures": kept + figures,
    }
    RESULTS_JSON.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    lines = [
        "# Benchmark results",
        "",
        f"Measured {result['measured_at']} on {result['machine']}, PostgreSQL on 127.0.0.1 (`make bench`).",
        "",
        "| figure | value | unit | baseline (same run) | ratio | target |",
        "|---|---|---|---|---|---|",
    ]
    for f in result["figures"]:
        baseline = f"{f['baseline']} — {f.get('baseline_what', '')}" if f.get("baseline") is not None else ""
        ratio = f"{f['ratio']}×" if f.get("ratio") is not None else ""
        lines.append(f"| {f['figure']} | {f['value']} | {f['unit']} | {baseline} | {ratio} | {f.get('target', '')} |")
    notes = [f"- {f['figure']}: {f['note']}" for f in result["figures"] if f.get("note")]
    RESULTS_MD.write_text("\n".join(lines + ([""] + notes if notes else [])) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=int(os.environ.get("BENCH_PERSONS", 2_000_000)))
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 20_000)))
    parser.add_argument("--skip-generation", action="store_true", help="reuse the populated rpps_bench database")
    args = parser.parse_args()
    env = os.environ | {
        "DATABASE_URL": f"{PG}/{DB}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DEBUG": "false",
    }
    figures = [] if args.skip_generation else bench_generation(args.persons, env)
    if args.skip_generation:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    figures += bench_identity(env, args.cases)
    write_results(figures)
    print(RESULTS_MD.read_text())


if __name__ == "__main__":
    main()
