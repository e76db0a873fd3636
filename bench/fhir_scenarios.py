"""Builds the FHIR benchmark scenarios from the registry (fixed seed) and records, for each request,
the SQL statements the API runs for it (Django's test client in-process), for the SQL floor."""

import json
import random
import sys
from urllib.parse import quote

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from rpps.registry.models import Exercise, Structure  # noqa: E402

PATH, KEY, N = sys.argv[1], sys.argv[2], int(sys.argv[3])


def main():
    rng = random.Random(2026)
    top = Exercise.objects.order_by("-id").values_list("id", flat=True).first()
    rows = list(
        Exercise.objects.filter(id__in=rng.sample(range(1, top + 1), N * 3)).values_list("person__rpps", "last_name")
    )
    rng.shuffle(rows)
    names = [n.replace("'", " ").replace("-", " ") for _, n in rows]
    top_structure = Structure.objects.order_by("-id").values_list("id", flat=True).first()
    places = list(
        Structure.objects.filter(id__in=rng.sample(range(1, top_structure + 1), N * 3))
        .exclude(commune_label="")
        .values_list("commune_label", "postal_code")
    )
    rng.shuffle(places)
    has = "_has:PractitionerRole:practitioner:organization.address-postalcode"
    scenarios = {
        "identifier": [f"/fhir/v2/Practitioner?identifier={r}" for r, _ in rows[:N]],
        "family": [f"/fhir/v2/Practitioner?family={quote(n[: rng.randint(3, max(3, len(n)))])}" for n in names[:N]],
        "name:contains": [
            f"/fhir/v2/Practitioner?name:contains={quote(n[s : s + rng.randint(4, 5)])}"
            for n in names[:N]
            for s in [rng.randint(0, max(0, len(n) - 5))]
        ],
        "page of 1000": [f"/fhir/v2/Practitioner?_count=1000&family={quote(n[:1])}" for n in names[: max(20, N // 10)]],
        "chained organization.address-city": [
            f"/fhir/v2/PractitionerRole?organization.address-city={quote(c)}" for c, _ in places[:N]
        ],
        "_has postal code": [f"/fhir/v2/Practitioner?{has}={quote(p[: rng.randint(2, 5)])}" for _, p in places[:N]],
    }
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ESANTE_API_KEY=KEY)
    out = {}
    for name, urls in scenarios.items():
        sql = []
        for url in urls:
            connection.queries_log.clear()  # it keeps 9,000 queries: past that a capture would be empty
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200, url
            sql.append([q["sql"] for q in context.captured_queries])
        out[name] = {"urls": urls, "sql": sql, "sequential": name == "page of 1000"}
    with open(PATH, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
