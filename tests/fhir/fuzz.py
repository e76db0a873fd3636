"""Seeded generation of FHIR search requests over every parameter, modifier and prefix, with hostile
values: what an integrator's bug or an attacker may send. Used by the test suite (a few hundred) and by
`make bench` (bench/fhir_fuzz.py: thousands, on the national-scale registry). No request may answer
a server error: a bad request is a 4xx OperationOutcome."""

import random
from urllib.parse import urlencode

from rpps.fhir.search import PARAMETERS, REFERENCES, RESULT_PARAMETERS

MODIFIERS = [
    "",
    "",
    "",
    ":exact",
    ":contains",
    ":missing",
    ":not",
    ":text",
    ":above",
    ":below",
    ":in",
    ":Organization",
    ":iterate",
    ":identifier",
    ":of-type",
    ":inconnu",
]
PREFIXES = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "zz"]
DATES = [
    "2026",
    "2026-12",
    "2026-12-02",
    "2026-12-02T01:24+01:00",
    "2026-12-02T01:24:07Z",
    "2026-12-02T01:24:07.123Z",
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "2026-13-45",
    "2026-02-30",
    "20261202",
    "2026-12-02T25:61",
    "hier",
    "2026-12-02T01:24:07.1234567890123Z",
    "-2026",
]
HOSTILE = [
    "",
    " ",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "''; DROP TABLE registry_person; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "é" * 300,
    "A" * 5000,
    "😀",
    "\u202e",
    "\x01",
    "\t\n",
    "0",
    "-1",
    "1e309",
    "NaN",
    "999999999999999999999999",
    "a,b,c",
    ",",
    ",,,",
    "\\,",
    "|",
    "||",
    "|x",
    "x|",
    "a|b|c",
    "https://rpps.esante.gouv.fr|",
    "https://rpps.esante.gouv.fr|10101299823",
    "810101299823",
    "10101299823",
    "003-1",
    "003-",
    "005-999999999999999999",
    "Organization/001-1",
    "Practitioner/",
    "true",
    "false",
    "null",
    "SM54",
    "DE",
    "S",
    "10",
    "L",
    "SA01",
    "GENR01",
    "LEGAL-ENTITY",
    "75056",
    "PARIS",
    "dupont",
    "mar",
    "*",
    "_id",
    "Practitioner:organization",
    "PractitionerRole:organization:Organization",
]
RESULT_VALUES = {
    "_count": ["0", "1", "10", "1000", "1001", "99999999999", "-1", "abc", ""],
    "_total": ["none", "estimate", "accurate", "maybe", ""],
    "_totalMethod": ["count", "estimate", "none", "x"],
    "_summary": ["true", "text", "data", "count", "false", "x"],
    "_sort": ["_id", "-_id", "_lastUpdated", "-_lastUpdated", "family", "x", ""],
    "_elements": ["name", "identifier,active", "x", ""],
    "_format": ["json", "application/fhir+json", "xml", ""],
    "_pretty": ["true", "false"],
}


def _value(rng: random.Random, name: str) -> str:
    if name in RESULT_VALUES:
        return rng.choice(RESULT_VALUES[name])
    if name in ("_include", "_revinclude"):
        keys = [f"{s}:{p}" for s, params in REFERENCES.items() for p in params] + ["*", "x:y", "Patient:x"]
        return ",".join(rng.choice(keys) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        return rng.choice(PREFIXES) + rng.choice(DATES)
    if rng.random() < 0.05:  # many alternatives at once
        return ",".join(rng.choice(HOSTILE[40:]) for _ in range(rng.randint(2, 200)))
    return rng.choice(HOSTILE)


def _name(rng: random.Random, resource_type: str) -> str:
    known = list(PARAMETERS[resource_type])
    draw = rng.random()
    if draw < 0.1:
        return rng.choice(sorted(RESULT_PARAMETERS))
    if draw < 0.15:
        return rng.choice(
            [
                "inconnu",
                "_has:PractitionerRole:practitioner:role",
                "_has:x:y:z",
                "organization.address-city",
                "organization.name.x",
                "practitioner.family",
                "partof.partof.partof.name",
                "_include:iterate",
                "_revinclude:iterate",
            ]
        )
    return rng.choice(known) + rng.choice(MODIFIERS)


def urls(seed: int, count: int) -> list[tuple[str, str, dict]]:
    """(method, path, parameters) of ``count`` search requests, the same for the same seed."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        resource_type = rng.choice(sorted(PARAMETERS))
        params = [(_name(rng, resource_type), _value(rng, "")) for _ in range(rng.randint(1, 4))]
        params = [
            (name, _value(rng, name.partition(":")[0]) if rng.random() < 0.7 else value) for name, value in params
        ]
        if rng.random() < 0.2:
            found.append(("POST", f"/fhir/v2/{resource_type}/_search", dict(params)))
        else:
            found.append(("GET", f"/fhir/v2/{resource_type}?{urlencode(params)}", {}))
    return found
