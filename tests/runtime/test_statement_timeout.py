"""What one public read may cost the database: its statements are cancelled after
PUBLIC_STATEMENT_TIMEOUT_MS, the reader is told so in French (a page, or an OperationOutcome), and the
connection goes back to the next request without the limit."""

import pytest
from django.db import connection
from django.test import Client

from rpps.directory import search
from rpps.fhir import bundles
from rpps.fhir.models import ApiKey

# autocommit, as requests run in production: a cancelled statement ends its own transaction
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _slow(*args, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")


def test_a_public_search_past_the_timeout_is_a_clear_refusal(client, settings, monkeypatch):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 200
    monkeypatch.setattr(search, "run", _slow)
    response = client.get("/recherche/", {"nom": "durand"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Recherche trop longue" in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # reset: a later write or job is not bounded by it


def test_a_fhir_search_past_the_timeout_is_a_400_too_costly(settings, monkeypatch, recording):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 200
    monkeypatch.setattr(bundles, "conditions", _slow)
    _, key = ApiKey.issue("sonde")
    response = Client().get("/fhir/v2/Practitioner", {"family": "durand"}, HTTP_ESANTE_API_KEY=key)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["code"] == "too-costly" and "0.2 s" in issue["diagnostics"]
