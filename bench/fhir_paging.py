"""FHIR later pages against first pages (run by bench/run.py), in-process through Django's full stack.

For a seeded set of Practitioner searches (family prefix, _count=100, the second page exists):
the first page of each, then its next page with no change since, then — after CHANGES real writes
to the registry (first-name changes through the models, so recorded as every write is) — the same
next pages again, which must read the registry as of their first page through those changes.
The changes are undone afterwards (more recorded writes). Prints one JSON line.

Usage: fhir_paging.py <searches> <changes>
"""

import json
import random
import sys
import time
from urllib.parse import urlsplit

import django

django.setup()

from django.test import Client  # noqa: E402

from rpps.fhir.models import ApiKey  # noqa: E402
from rpps.registry.history import Actor, acting_as  # noqa: E402
from rpps.registry.models import Exercise  # noqa: E402

SEARCHES, CHANGES = int(sys.argv[1]), int(sys.argv[2])


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(client, url) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.content[:300])
    return elapsed, response.json()


def summary(values) -> dict:
    return {"p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99), "n": len(values)}


def main():
    rng = random.Random(2026)
    key = ApiKey.issue("bench paging")[1]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ESANTE_API_KEY=key)
    top = Exercise.objects.order_by("-id").values_list("id", flat=True).first()
    names = list(
        Exercise.objects.filter(id__in=rng.sample(range(1, top + 1), SEARCHES * 3)).values_list("last_name", flat=True)
    )
    prefixes = [n[:3] for n in names if len(n) >= 3 and n[:3].isalpha()][:SEARCHES]
    firsts, nexts = [], []
    for prefix in prefixes:
        elapsed, bundle = timed(client, f"/fhir/v2/Practitioner?family={prefix}&_count=100")
        link = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        if link is None:
            continue
        firsts.append(elapsed)
        url = urlsplit(link)
        nexts.append(f"{url.path}?{url.query}")
    unchanged = [timed(client, url)[0] for url in nexts]
    changed_ids = rng.sample(range(1, top + 1), CHANGES)
    exercises = list(Exercise.objects.filter(id__in=changed_ids))
    with acting_as(Actor.system("bench"), "banc d'essai des pages suivantes"):
        originals = [(e, e.first_name) for e in exercises]
        for exercise, _ in originals:
            exercise.first_name = "Banc"
            exercise.save()
        try:
            after_changes = [timed(client, url)[0] for url in nexts]
        finally:
            for exercise, first_name in originals:
                exercise.first_name = first_name
                exercise.save()
    print(
        json.dumps(
            {
                "first": summary(firsts),
                "next": summary(unchanged),
                "next_changed": summary(after_changes),
                "changes": len(exercises),
            }
        )
    )


if __name__ == "__main__":
    main()
