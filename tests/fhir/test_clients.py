"""The published clients, used as their users use them, against a live test server."""

import pytest
from annuairesante import AnnuaireSanteClient
from annuairesante.exceptions import NotFoundError
from django.db import connections
from fhirpy import SyncFHIRClient

from rpps.fhir.models import ApiKey
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def served(flushable_sqlite, live_server, recording):
    structure = factories.structure(name="MAISON DE SANTÉ")
    for i in range(12):
        factories.activity(
            factories.exercise(last_name=f"CLIENT{factories.letters(i, 2)}", first_name="Éloïse"), structure
        )
    key = ApiKey.issue("clients")[1]
    connections.close_all()  # the live server's threads open their own connections
    yield f"{live_server.url}/fhir/v2", key
    connections.close_all()


def test_annuaire_sante_fhir_client(served):
    base, key = served
    client = AnnuaireSanteClient(api_key=key, base_url=base)
    bundle = client.practitioner.search(family="client", _count=5)
    assert len(bundle) == 5 and bundle.has_next()
    everything = list(client.practitioner.search_all(family="client", _count=5))  # three pages
    assert len(everything) == 12 == len({p["id"] for p in everything})
    first = client.practitioner.get(everything[0]["id"])
    assert first["name"][0]["given"] == ["Éloïse"]
    roles = list(client.practitioner_role.search_all(practitioner=first["id"]))
    assert len(roles) == 1 and roles[0]["organization"]["reference"].startswith("Organization/001-")
    with pytest.raises(NotFoundError):
        client.practitioner.get("003-999999999")


def test_fhirpy_client(served):
    base, key = served
    client = SyncFHIRClient(base, extra_headers={"ESANTE-API-KEY": key})
    page = client.resources("Practitioner").search(family="client").limit(5).fetch()
    assert len(page) == 5
    everything = client.resources("Practitioner").search(family="client").limit(5).fetch_all()
    assert len(everything) == 12 == len({p.id for p in everything})
    practitioner = client.reference("Practitioner", everything[0].id).to_resource()
    assert practitioner["identifier"][1]["system"] == "https://rpps.esante.gouv.fr"
    organizations = client.resources("Organization").search(name="maison").fetch()
    assert [o["name"] for o in organizations] == ["MAISON DE SANTÉ"]


def test_fhirpy_pages_forward_and_back(served):
    base, key = served
    client = SyncFHIRClient(base, extra_headers={"ESANTE-API-KEY": key})

    def link(bundle, relation):
        return next((entry["url"] for entry in bundle["link"] if entry["relation"] == relation), None)

    bundle = client.resources("Practitioner").search(family="client").limit(5).fetch_raw()
    forward = [[e["resource"]["id"] for e in bundle["entry"]]]
    while link(bundle, "next"):
        bundle = client.execute(link(bundle, "next"), method="get")
        forward.append([e["resource"]["id"] for e in bundle["entry"]])
    assert [len(page) for page in forward] == [5, 5, 2]
    backward = [[e["resource"]["id"] for e in bundle["entry"]]]
    while link(bundle, "previous"):
        bundle = client.execute(link(bundle, "previous"), method="get")
        backward.append([e["resource"]["id"] for e in bundle["entry"]])
    assert backward == forward[::-1]
    assert link(bundle, "previous") is None and link(bundle, "next")


def test_fhirpy_count_includes_and_history(served):
    """fhirpy as integrators use it: count() (_count=0&_totalMethod=count), include and revinclude,
    read and the history of a resource."""
    base, key = served
    client = SyncFHIRClient(base, extra_headers={"ESANTE-API-KEY": key})
    assert client.resources("Practitioner").search(family="client").count() == 12
    roles = client.resources("PractitionerRole").include("PractitionerRole", "organization").limit(3).fetch_raw()
    modes = [e["search"]["mode"] for e in roles["entry"]]
    assert modes.count("match") == 3 and modes.count("include") == 1  # the one organization they share
    site = next(e["resource"] for e in roles["entry"] if e["resource"]["resourceType"] == "Organization")
    with_roles = (
        client.resources("Organization")
        .search(_id=site["id"])
        .revinclude("PractitionerRole", "organization")
        .fetch_raw()
    )
    assert [e["resource"]["resourceType"] for e in with_roles["entry"]].count("PractitionerRole") == 12
    practitioner = client.resources("Practitioner").search(family="client00").first()
    history = client.execute(f"Practitioner/{practitioner.id}/_history", method="get")
    assert history["type"] == "history" and history["entry"][0]["resource"]["id"] == practitioner.id
    version = history["entry"][0]["resource"]["meta"]["versionId"]
    read = client.execute(f"Practitioner/{practitioner.id}/_history/{version}", method="get")
    assert read["meta"]["versionId"] == version
