import pytest
from django.test import Client

from rpps.fhir.models import ApiKey

from . import profiles


@pytest.fixture
def api_key(db):
    return ApiKey.issue("tests")[1]


class ProfiledClient(Client):
    """A client of the API whose every answer is checked against the as-dp profiles (tests/fhir/profiles.py)."""

    def request(self, **request):
        response = super().request(**request)
        if not getattr(response, "streaming", False):
            profiles.check_response(response)
        return response


@pytest.fixture
def api(api_key):
    return ProfiledClient(HTTP_ESANTE_API_KEY=api_key)
