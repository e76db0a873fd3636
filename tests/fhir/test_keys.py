"""Operators create, list and revoke API keys in the console; scripts create them with a command."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from rpps.fhir.models import ApiKey

pytestmark = pytest.mark.django_db


def test_create_api_key_command_prints_a_working_key(capsys):
    call_command("create_api_key", "Logiciel de prescription")
    key = capsys.readouterr().out.strip()
    assert len(key) >= 40
    stored = ApiKey.objects.get()
    assert stored.name == "Logiciel de prescription" and key not in (stored.digest, stored.prefix)
    assert Client(HTTP_ESANTE_API_KEY=key).get("/fhir/v2/Organization").status_code == 200


def test_operators_create_list_and_revoke_keys(admin_client):
    response = admin_client.post("/admin/fhir/apikey/add/", {"name": "Hôpital de test"}, follow=True)
    html = response.content.decode()
    key = re.search(r"Clé créée pour « Hôpital de test » : (\S+) — copiez-la", html).group(1)
    assert Client(HTTP_ESANTE_API_KEY=key).get("/fhir/v2/Organization").status_code == 200
    listing = admin_client.get("/admin/fhir/apikey/").content.decode()
    assert "Hôpital de test" in listing and key not in listing  # the key is shown once, never listed
    stored = ApiKey.objects.get()
    admin_client.post("/admin/fhir/apikey/", {"action": "revoke", "_selected_action": [stored.pk]})
    assert Client(HTTP_ESANTE_API_KEY=key).get("/fhir/v2/Organization").status_code == 401
    assert admin_client.post(f"/admin/fhir/apikey/{stored.pk}/delete/").status_code == 403
