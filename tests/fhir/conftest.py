import pytest
from django.test import Client

from rpps.fhir.models import ApiKey


@pytest.fixture
def api_key(db):
    return ApiKey.issue("tests")[1]


@pytest.fixture
def api(api_key):
    return Client(HTTP_ESANTE_API_KEY=api_key)
