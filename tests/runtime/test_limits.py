"""What one request may carry: no header, path or parameter that pins a worker or ends in a 500."""

import pytest
from django.test import Client

from rpps.fhir.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_cookie_header_of_backslashes_is_refused_or_read_in_linear_time(settings):
    client = Client()
    # ten 8 KB headers as gunicorn joins them: refused before Django parses a cookie
    joined = "; ".join(f'c{i}="' + "\\" * 8000 + '"' for i in range(10))
    response = client.get("/recherche/", HTTP_COOKIE=joined)
    assert response.status_code == 400 and "Requête invalide" in response.content.decode()
    # one header under the limit: its backslashes (no cookie of this site has any) are dropped, not parsed
    one = 'c="' + "\\" * (settings.COOKIE_MAX_BYTES - 10) + '"'
    response = client.get("/recherche/", HTTP_COOKIE=one)
    assert response.status_code == 200


def test_the_session_cookie_still_works_with_the_limit(client, django_user_model):
    user = django_user_model.objects.create_user("operateur", password="x")
    client.force_login(user)
    assert client.cookies["sessionid"].value
    assert client.get("/recherche/").wsgi_request.user == user


@pytest.mark.parametrize("url", ["/structure/%00/", "/professionnel/%00/", "/recherche/%00"])
def test_a_nul_byte_in_a_page_path_is_a_bad_request(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Requête invalide" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/v2/Practitioner?_count=%C2%B2",  # a superscript two: str.isdigit says yes, int() says no
        "/fhir/v2/Practitioner/003-%C2%B2",
        "/fhir/v2/Practitioner/003-%D9%A1",  # an Arabic-Indic one, which int() would read as 1
        "/fhir/v2/Practitioner/003-%00",
        "/fhir/v2/Practitioner/003-1/_history/%C2%B2",
    ],
)
def test_non_ascii_digits_and_nul_in_the_api_are_bad_requests_with_an_operation_outcome(url, recording):
    _, key = ApiKey.issue("sonde")
    response = Client().get(url, HTTP_ESANTE_API_KEY=key)
    assert response.status_code in (400, 404)
    assert response.json()["resourceType"] == "OperationOutcome"
    if "_history" not in url:
        assert response.status_code == 400
