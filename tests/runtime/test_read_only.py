"""Public reads never write: the public pages, the PDF sheet, the extraction webservice and the FHIR
reads, later pages (as of their first page), vread and _history, served with both database
connections read-only — the `replica` alias through
a PostgreSQL session whose transactions are read-only (as a hot standby's are), and the primary
switched to read-only for the walk. Any INSERT, UPDATE, DELETE or row lock would fail the request."""

import datetime

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rpps.fhir.models import ApiKey, Export
from rpps.publication import publish
from rpps.registry.history import Actor, acting_as
from rpps.runtime import files
from tests import factories

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
WS = "/annuaire-sante-webservices/V300/services/extraction/PS_LibreAcces"


@pytest.fixture
def replica():
    """A `replica` alias on the same server, whose sessions are read-only."""
    settings_dict = dict(connections["default"].settings_dict)
    settings_dict["OPTIONS"] = dict(settings_dict.get("OPTIONS", {}), options="-c default_transaction_read_only=on")
    connections.settings["replica"] = settings_dict
    connections["replica"].connect()  # opened here: the test case allows only the connections it opens itself
    yield connections["replica"]
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


@pytest.fixture
def primary_read_only():
    def switch(on: bool):
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION default_transaction_read_only = {'on' if on else 'off'}")

    yield switch
    switch(False)


def test_public_read_paths_run_on_a_read_only_replica_and_write_nothing(replica, primary_read_only):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        site = factories.structure(name="CENTRE LECTURE")
        role = factories.activity(factories.exercise(last_name="LECTURE", first_name="Seule"), site)
        others = [factories.exercise(last_name=f"LECTURE{factories.letters(i)}") for i in range(3)]
    person, exercise = role.exercise.person, role.exercise
    api = Client(HTTP_ESANTE_API_KEY=ApiKey.issue("pages")[1])
    first = api.get("/fhir/v2/Practitioner", {"family": "lecture", "_count": 2}).json()
    original = api.get(f"/fhir/v2/Practitioner/003-{exercise.pk}").json()
    with acting_as(Actor.system("tests"), "changements pendant la lecture"):
        exercise.first_name = "Renommée"
        exercise.save()
        site.name = "CENTRE RENOMMÉ"
        site.save()
        others[2].last_name = "PARTI"
        others[2].save()
    later = next(link["url"] for link in first["link"] if link["relation"] == "next").split("/fhir/v2/", 1)[1]
    history_url = f"/fhir/v2/Practitioner/003-{exercise.pk}/_history"
    publication = publish.publish(now=timezone.now() - datetime.timedelta(minutes=1))
    key_value = ApiKey.issue("lecture")[1]
    done = Export.objects.create(
        key=ApiKey.find(key_value),
        request_url="x",
        types=["Practitioner"],
        state=Export.State.DONE,
        transaction_time=timezone.now(),
        outputs=[{"type": "Practitioner", "file": "Practitioner-1.ndjson", "count": 1}],
    )
    with files.open_for_writing(files.storage("exports"), f"{done.pk}/Practitioner-1.ndjson") as handle:
        handle.write(b"{}\n")
    browser, api = Client(), Client(HTTP_ESANTE_API_KEY=key_value)
    walk = [
        (browser, "/recherche/?nom=lecture", "LECTURE"),
        (browser, f"/professionnel/{person.rpps}/", "LECTURE"),
        (browser, f"/professionnel/{person.rpps}/fiche.pdf", ""),
        (browser, f"/structure/{site.technical_id}/", "CENTRE RENOMM"),
        (browser, "/extractions/", publication.stamp),
        (browser, WS, ""),
        (api, "/fhir/v2/Practitioner?family=lecture", "LECTURE"),
        (api, f"/fhir/v2/Practitioner/003-{exercise.pk}", "LECTURE"),
        (api, f"/fhir/v2/PractitionerRole?_include=PractitionerRole:organization&_id=005-{role.pk}", "CENTRE RENOMM"),
        (api, "/fhir/v2/Organization?name=centre", "CENTRE RENOMM"),
        (api, f"/fhir/v2/{later}", "LECTUREC"),  # as of the first page: renamed since, still listed
        (api, history_url, "Renomm"),
        (api, f"{history_url}/{original['meta']['versionId']}", "Seule"),
        (api, f"/fhir/v2/Organization/001-{site.pk}/_history", "CENTRE LECTURE"),
        (api, f"/fhir/v2/$export-status/{done.pk}", "Practitioner-1.ndjson"),
        (api, f"/fhir/v2/$export-file/{done.pk}/Practitioner-1.ndjson", ""),
    ]
    primary_read_only(True)
    with CaptureQueriesContext(replica) as on_replica:
        for client, url, expected in walk:
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:300])
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert expected.encode() in content, url
        ranged = browser.get(WS, HTTP_RANGE="bytes=0-9")
        assert ranged.status_code == 206 and browser.head(WS).status_code == 200
    assert len(on_replica) > 0  # the ORM's reads went to the replica
    # A write is refused on both connections during the walk: the check above is not vacuous.
    for alias in ("replica", "default"):
        with pytest.raises(Exception, match="read-only"), connections[alias].cursor() as cursor:
            cursor.execute("UPDATE registry_structure SET name = name")
    primary_read_only(False)
