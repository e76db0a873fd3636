"""Checking a resource against the as-dp profiles of the Annuaire Santé IG (their snapshots, in ig/):
cardinality of every element present (slices aside), fixed and pattern values, and required bindings
whose value set is an enumeration of the FHIR base spec. Not a full validator: what a profile says
about the elements of the resource at hand, which `fhir.resources` parsing does not check."""

import json
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent / "ig"
PROFILES = {
    "Practitioner": "as-dp-practitioner",
    "PractitionerRole": "as-dp-practitionerrole",
    "Organization": "as-dp-organization",
}
# Required bindings to value sets of the FHIR R4 base specification: their codes.
BASE_VALUE_SETS = {
    "http://hl7.org/fhir/ValueSet/identifier-use": {"usual", "official", "temp", "secondary", "old"},
    "http://hl7.org/fhir/ValueSet/name-use": {"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"},
    "http://hl7.org/fhir/ValueSet/contact-point-system": {"phone", "fax", "email", "pager", "url", "sms", "other"},
    "http://hl7.org/fhir/ValueSet/contact-point-use": {"home", "work", "temp", "old", "mobile"},
    "http://hl7.org/fhir/ValueSet/administrative-gender": {"male", "female", "other", "unknown"},
    "http://hl7.org/fhir/ValueSet/address-use": {"home", "work", "temp", "old", "billing"},
    "http://hl7.org/fhir/ValueSet/address-type": {"postal", "physical", "both"},
    "http://hl7.org/fhir/ValueSet/days-of-week": {"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
}  # fmt: skip


@cache
def _elements(resource_type: str) -> list[dict]:
    profile = json.loads((FOLDER / f"{PROFILES[resource_type]}.json").read_text())
    return [e for e in profile["elements"] if ":" not in e["id"] and "[x]" not in e["path"]]


def _nodes(resource, parts: list[str]) -> list:
    nodes = [resource]
    for name in parts:
        found = []
        for node in nodes:
            value = node.get(name) if isinstance(node, dict) else None
            if isinstance(value, list):
                found += value
            elif value is not None:
                found.append(value)
        nodes = found
    return nodes


def _contains(value, pattern) -> bool:
    """FHIR pattern[x]: every element of the pattern is in the value (lists: each pattern item in one)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_contains(value.get(k), v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(_contains(v, p) for v in value) for p in pattern)
    return value == pattern


def problems(resource: dict) -> list[str]:
    """What in ``resource`` breaks its as-dp profile, one line each (empty: conforms as far as checked)."""
    if resource.get("resourceType") not in PROFILES:
        return []
    # a SUBSETTED resource (_elements, _summary) leaves elements out on purpose: only what it holds is checked
    subsetted = any(t.get("code") == "SUBSETTED" for t in resource.get("meta", {}).get("tag", []))
    found = []
    for element in _elements(resource["resourceType"]):
        parts = element["path"].split(".")[1:]
        if not parts:
            continue
        for parent in _nodes(resource, parts[:-1]):
            if not isinstance(parent, dict):
                continue
            value = parent.get(parts[-1])
            values = value if isinstance(value, list) else [] if value is None else [value]
            low, high = 0 if subsetted else element.get("min", 0), element.get("max", "*")
            if len(values) < low or (high != "*" and len(values) > int(high)):
                found.append(f"{element['path']}: {len(values)} valeur(s), {low}..{high} attendu")
            for key, expected in element.items():
                if key.startswith("fixed") and any(v != expected for v in values):
                    found.append(f"{element['path']}: {values} au lieu de la valeur fixée {expected}")
                if key.startswith("pattern") and any(not _contains(v, expected) for v in values):
                    found.append(f"{element['path']}: {values} ne suit pas le motif {expected}")
            binding = element.get("binding", {})
            codes = BASE_VALUE_SETS.get(binding.get("valueSet", "").split("|")[0])
            if binding.get("strength") == "required" and codes is not None:
                found += [
                    f"{element['path']}: code « {v} » hors de {binding['valueSet']}"
                    for v in values
                    if isinstance(v, str) and v not in codes
                ]
    return found


def check_response(response) -> None:
    """Every resource a FHIR response carries (the resource, or a Bundle's entries) meets its profile."""
    if not response.get("Content-Type", "").startswith("application/fhir+json") or not response.content:
        return
    body = json.loads(response.content)
    resources = (
        [e.get("resource", {}) for e in body.get("entry", [])] if body.get("resourceType") == "Bundle" else [body]
    )
    for resource in resources:
        found = problems(resource)
        assert not found, f"{resource.get('resourceType')}/{resource.get('id')} : " + " ; ".join(found)
