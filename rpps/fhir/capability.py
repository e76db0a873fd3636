"""The CapabilityStatement served at /fhir/v2/metadata: built from what this server supports (the
parameters of rpps.fhir.search), with the definitions and French documentation of the official
IG's statement (data/api-search-params.derived.json) for the parameters they describe."""

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .includes import includes_from, revincludes_of
from .resources import IG, IG_VERSION, PROFILES
from .search import DEFAULT_COUNT, MAX_ALTERNATIVES, MAX_COUNT, MAX_PARAMETERS, PARAMETERS

DERIVED = Path(__file__).resolve().parent / "data" / "api-search-params.derived.json"
TYPES = {"_id": "token", "_lastUpdated": "date"}


@cache
def _official() -> dict:
    return json.loads(DERIVED.read_text())["resources"]


def _search_params(resource_type: str, parameters) -> list[dict]:
    """Each parameter with the official API's type, definition and documentation where it has one."""
    official = {p["name"]: p for p in _official().get(resource_type, {}).get("searchParams", [])}
    params = []
    for name in parameters:
        described = official.get(name, {})
        entry = {"name": name, "type": described.get("type", TYPES.get(name, "string"))}
        entry |= {key: described[key] for key in ("definition", "documentation") if described.get(key)}
        params.append(entry)
    return params


def _resource(resource_type: str, parameters) -> dict:
    return {
        "type": resource_type,
        "profile": PROFILES[resource_type][1],
        "interaction": [{"code": code} for code in ("read", "vread", "history-instance", "search-type")],
        "versioning": "versioned",
        "readHistory": True,
        "conditionalRead": "full-support",
        "searchInclude": list(includes_from(resource_type)),
        "searchRevInclude": list(revincludes_of(resource_type)),
        "searchParam": _search_params(resource_type, parameters),
    }


def statement(base: str) -> dict:
    resources = [_resource(resource_type, parameters) for resource_type, parameters in PARAMETERS.items()]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "Répertoire RPPS (implémentation ouverte)",
        "kind": "instance",
        "implementation": {
            "description": "API FHIR de l'annuaire, compatible avec l'API Annuaire Santé v2",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "instantiates": [f"{IG}/CapabilityStatement/AsServerDPCapabilityStatement|{IG_VERSION}"],
        "rest": [
            {
                "mode": "server",
                "documentation": f"Clé d'API dans l'en-tête ESANTE-API-KEY (sans elle : 401 avec WWW-Authenticate). "
                f"_count : {DEFAULT_COUNT} par défaut, {MAX_COUNT} au plus (au-delà, ramené à {MAX_COUNT} et signalé "
                "par une entrée OperationOutcome du Bundle). Pages suivantes par le lien next (/fhir/v2/_page?id=…). "
                f"Ressources incluses (_include, _revinclude) : {settings.FHIR_MAX_INCLUDED} au plus par page (au-delà, "
                "signalé par une entrée OperationOutcome). _summary : true (éléments isSummary des profils as-dp), "
                f"text, data, count. Au plus {MAX_PARAMETERS} paramètres de recherche par requête et {MAX_ALTERNATIVES} "
                "valeurs séparées par des virgules par paramètre (au-delà : 400). _total : none, estimate (estimation du planificateur), accurate (_totalMethod=count, estimate, none "
                "est accepté comme synonyme) ; par défaut, compté si le comptage tient dans le budget "
                "de temps (FHIR_COUNT_BUDGET_MS), sinon absent. Au-delà de l'API officielle : liens first et previous, "
                "chaque page montrant l'annuaire tel qu'à la première ; _sort (_id, -_id, _lastUpdated, -_lastUpdated) ; "
                "paramètres chaînés (organization.address-city=…, jusqu'à 3 liens) et _has ; _include:iterate ; "
                "historique (_history, vread) ; ETag et lectures conditionnelles (If-None-Match, If-Modified-Since) ; "
                "Prefer: handling=lenient ; export en masse asynchrone ($export, NDJSON).",
                "resource": resources,
                "operation": [
                    {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
                ],
            }
        ],
    }
