"""FHIR searches as Bundles: the first page of a search, and its later pages (signed cursors that
read the registry as of the first page: rpps.registry.past), with totals, _elements and includes."""

import json
import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connections, transaction
from django.http import HttpResponse
from django.utils import timezone

from rpps.registry import past
from rpps.registry.memory import without_cycle_collector

from . import paging, tombstones
from .http import api, base_url, lenient, outcome, parameters, pretty, respond
from .includes import included, includes_of
from .models import Tombstone
from .resources import BUILDERS, MODELS, instant
from .search import MAX_COUNT, SearchError, conditions, count_clamped, count_parameter, unknown_parameters

PAGE_SALT = "rpps.fhir.page"


@api
def search(request, resource_type: str):
    if request.method not in ("GET", "HEAD") and not request.path.endswith("/_search"):
        return outcome(
            405, f"Interaction {request.method} non prise en charge : l'API est en lecture seule.", "not-supported"
        )
    params = parameters(request)
    ignored = []
    if lenient(request):  # unknown parameters are left out and reported, instead of a 400
        ignored = unknown_parameters(resource_type, params)
        params = [(k, v) for k, v in params if k not in ignored]
    return _bundle(request, resource_type, params, started_at=timezone.now(), ignored=ignored)


@api
def page(request):
    try:
        state = signing.loads(request.GET.get("id", ""), salt=PAGE_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return outcome(400, "Lien de page invalide ou expiré (24 h) : relancez la recherche.", "invalid")
    started_at = timezone.datetime.fromisoformat(state["at"])
    # Every page shows the registry as it was when the first one was served (read through the
    # changes recorded since, undone in memory: rpps.registry.past): same matches, contents, total.
    try:
        with past.as_of(started_at, limit=settings.FHIR_SNAPSHOT_MAX_CHANGES):
            return _bundle(
                request,
                state["type"],
                [tuple(p) for p in state["params"]],
                position=state["pos"],
                backward=state["back"],
                total=state["total"],
                started_at=started_at,
            )
    except past.TooManyChanges:
        return outcome(
            410,
            "L'annuaire a trop changé depuis la première page de cette recherche "
            f"(plus de {settings.FHIR_SNAPSHOT_MAX_CHANGES} modifications) : relancez-la.",
            "expired",
        )


ESTIMATE_TOO_MANY = 20_000  # rows PostgreSQL cannot count within the default budget (measured: ~25 ms for 20,000)


def _estimate(queryset) -> int:
    sql, params = queryset.values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _total(queryset, mode: str, page_ms: float) -> int | None:
    """_total: none; accurate (a count); estimate (the planner's estimate on PostgreSQL: instant, within
    its statistics' error); by default an exact count if it fits in FHIR_COUNT_BUDGET_MS, else none —
    not even started when the estimate says it cannot fit, or when the page itself took longer than
    the budget (the matches were costly to find: counting them all would cost as much)."""
    if mode == "none":
        return None
    if mode == "accurate" or connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    estimate = _estimate(queryset)
    if mode == "estimate":
        return estimate
    if estimate > ESTIMATE_TOO_MANY or page_ms > settings.FHIR_COUNT_BUDGET_MS:  # it would not fit: do not start
        return None
    try:
        with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            before = cursor.fetchone()[0]
            cursor.execute(f"SET LOCAL statement_timeout = {int(settings.FHIR_COUNT_BUDGET_MS)}")
            counted = queryset.count()
            # SET LOCAL lasts until the end of the *transaction*: inside a caller's one (a later page,
            # a test) the savepoint's release would leave the budget on every query after this one
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [before])
            return counted
    except DatabaseError:  # over budget: the savepoint's rollback undid the SET LOCAL
        return None


def _option(params, name: str, allowed: tuple[str, ...], default: str, expected: str) -> str:
    value = next((v for k, v in params if k == name), default)
    if value not in allowed:
        raise SearchError(f"Paramètre « {name} », valeur « {value} » : {expected}")
    return value


@without_cycle_collector()  # a page of up to 1000 resources and their includes
def _bundle(
    request, resource_type, params, *, position=None, backward=False, total=None, started_at, ignored=()
) -> HttpResponse:
    """One page of a search: the first (position None) or the one after/before a cursor's position."""
    count = count_parameter(params)
    where = conditions(resource_type, params)
    total_mode = _option(
        params, "_total", ("", "none", "estimate", "accurate"), "", "none, estimate ou accurate attendu"
    )
    method = _option(params, "_totalMethod", ("", "count", "estimate", "none"), "", "count, estimate ou none attendu")
    total_mode = total_mode or {"count": "accurate", "estimate": "estimate", "none": "none"}.get(method, "")
    summary = _option(
        params,
        "_summary",
        ("true", "text", "data", "count", "false"),
        "false",
        "true, text, data, count ou false attendu",
    )
    dead = tombstones.conditions(resource_type, params)
    # None: no tombstone can match (most searches): no query at all
    gone_queryset = Tombstone.objects.filter(dead) if dead is not None else None
    if summary == "count":
        total = MODELS[resource_type].objects.filter(where).count()
        total += gone_queryset.count() if gone_queryset is not None else 0
        return respond(_searchset(total=total), pretty=pretty(params))
    first_page = position is None and not backward
    if not first_page and gone_queryset is not None:  # deletions since the first page are not in its snapshot
        gone_queryset = gone_queryset.filter(deleted_at__lte=started_at)
    results = paging.Results(resource_type, params, where, gone_queryset)
    rows, earlier, later, page_ms = _page(results, results.decode(position), backward, count)
    if first_page and total_mode != "none":
        # A first page that holds everything is its own count; otherwise count (within the budget).
        total = len(rows) if not later else _total(results.live, total_mode, page_ms)
        if later and total is not None and gone_queryset is not None:
            total += gone_queryset.count()
    base = base_url(request)
    bundle = _searchset(total=total)
    shown = [(k, v) for k, v in params if k not in ("_format", "_pretty")]
    # self: the page served — the search for a first page, this cursor for a later one
    self_url = f"{base}{resource_type}?{urlencode(shown)}" if first_page else request.build_absolute_uri()
    state = {"type": resource_type, "params": shown, "total": total, "at": started_at.isoformat()}
    bundle["link"] = [{"relation": "self", "url": self_url}, *_page_links(base, results, state, rows, earlier, later)]
    asked = _elements(params)
    summaries = SUMMARY_ELEMENTS.get(summary, {})
    entries, left_out = _entries(resource_type, results, rows, includes_of(resource_type, params))
    bundle["entry"] = [
        {
            "fullUrl": f"{base}{kind}/{resource['id']}",
            "resource": _subset(resource, asked or summaries[kind]) if asked or kind in summaries else resource,
            "search": {"mode": mode},
        }
        for kind, resource, mode in entries
    ]
    if warnings := _search_warnings(resource_type, params, ignored, left_out):
        bundle["entry"].append(_warnings(warnings))
    return respond(bundle, pretty=pretty(params))


def _page_links(base: str, results, state: dict, rows: list, earlier: bool, later: bool) -> list[dict]:
    """first, previous and next, each a signed cursor holding the search and its snapshot moment."""
    links = []
    for relation, at, back, wanted in (
        ("first", None, False, earlier or later),
        ("previous", rows[:1], True, earlier and rows),
        ("next", rows[-1:], False, later and rows),
    ):
        if wanted:
            cursor = state | {"pos": results.encode(at[0] if at else None), "back": back}
            token = signing.dumps(cursor, salt=PAGE_SALT, compress=True)
            links.append({"relation": relation, "url": f"{base}_page?{urlencode({'id': token})}"})
    return links


def _search_warnings(resource_type: str, params, ignored, left_out: bool) -> list[str]:
    """What the client should know the page leaves out or changed (an OperationOutcome entry)."""
    warnings = [
        f"Paramètre « {name} » inconnu pour la ressource {resource_type} : ignoré (Prefer: handling=lenient)"
        for name in ignored
    ]
    if left_out:
        warnings.append(
            f"Ressources incluses (_include, _revinclude) limitées à {settings.FHIR_MAX_INCLUDED} par page : "
            "les autres ne sont pas dans ce Bundle ; réduisez _count, ou cherchez-les directement "
            "(par exemple PractitionerRole?organization=…)."
        )
    if count_clamped(params):
        warnings.append(f"Paramètre « _count » : au plus {MAX_COUNT} ressources par page ; ramené à {MAX_COUNT}.")
    return warnings


def _searchset(*, total: int | None) -> dict:
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "searchset",
    }
    if total is not None:
        bundle["total"] = total
    return bundle


def _page(results, position, backward: bool, count: int) -> tuple[list, bool, bool, float]:
    """(the page's rows, whether rows come before it, whether rows come after it, ms it took)."""
    timed = time.perf_counter()
    if backward:
        rows = results.before(position, count + 1)
        earlier, later = len(rows) > count, True
        rows = rows[-count:] if count else []
    else:
        rows = results.after(position, count + 1)
        earlier, later = position is not None, len(rows) > count
        rows = rows[:count]
    return rows, earlier, later, (time.perf_counter() - timed) * 1000


def _entries(resource_type: str, results, rows, includes) -> tuple[list[tuple[str, dict, str]], bool]:
    """(type, resource, search mode) of the page: its matches, its tombstones, then what they include —
    at most FHIR_MAX_INCLUDED of those (one page of hospitals may have thousands of roles); and whether
    some were left out."""
    ids = [results.resource_id(r) for r in rows if r[0] == "live"]
    dead_ids = [r[1] for r in rows if r[0] == "gone"]
    dead = list(Tombstone.objects.filter(pk__in=dead_ids).order_by("pk")) if dead_ids else []
    resources = BUILDERS[resource_type](ids)
    entries = [(resource_type, resources[pk], "match") for pk in ids if pk in resources]
    entries += [(resource_type, tombstones.resource(t), "match") for t in dead]
    seen = {(resource_type, pk) for pk in ids}
    room, left_out = settings.FHIR_MAX_INCLUDED, False
    for kind, wanted in included(resource_type, includes, ids):
        fresh = [pk for pk in wanted if (kind, pk) not in seen]
        left_out |= len(fresh) > room
        fresh = fresh[: max(room, 0)]
        for pk, resource in BUILDERS[kind](fresh).items():
            seen.add((kind, pk))
            entries.append((kind, resource, "include"))
            room -= 1
    return entries, left_out


def _warnings(messages: list[str]) -> dict:
    """What the server did otherwise than asked (parameters left out, a page size brought down), said
    in the Bundle as an OperationOutcome entry (search mode ``outcome``)."""
    issues = [{"severity": "warning", "code": "not-supported", "diagnostics": message} for message in messages]
    return {"resource": {"resourceType": "OperationOutcome", "issue": issues}, "search": {"mode": "outcome"}}


def _elements(params) -> set[str] | None:
    values = [v for k, v in params if k == "_elements"]
    if not values:
        return None
    return {name.strip() for value in values for name in value.split(",") if name.strip()}


SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}


# _summary (FHIR R4 §3.1.1.5.8): "true" keeps the elements the profiles mark isSummary, "text" the
# top-level mandatory ones (our resources carry no narrative); "data" is the whole resource, which has
# no text element to remove. From the snapshots of as-dp-practitioner, -practitionerrole, -organization.
SUMMARY_ELEMENTS = {
    "true": {
        "Practitioner": {"implicitRules", "identifier", "active", "name", "telecom", "address", "gender", "birthDate"},
        "PractitionerRole": {"implicitRules", "identifier", "active", "period", "practitioner", "organization", "code",
                             "specialty", "location", "telecom"},
        "Organization": {"implicitRules", "identifier", "active", "type", "name", "partOf"},
    },
    "text": {
        "Practitioner": {"text", "identifier", "active"},
        "PractitionerRole": {"text", "identifier", "active", "practitioner"},
        "Organization": {"text", "active"},
    },
}  # fmt: skip


def _subset(resource: dict, elements: set[str]) -> dict:
    """_elements: the elements asked for, plus those a resource cannot go without, tagged SUBSETTED."""
    kept = {k: v for k, v in resource.items() if k in elements or k in ("resourceType", "id", "meta")}
    kept["meta"] = kept["meta"] | {"tag": [SUBSETTED]}
    return kept
