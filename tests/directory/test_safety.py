"""Nothing private reaches the public site, and no input breaks it."""

import datetime

import pytest

from rpps.directory import search_index as index
from rpps.registry.models import Activity
from tests import factories
from tests.canary import CANARY, assert_no_canary, plant_canaries

from .conftest import pdf_text

pytestmark = pytest.mark.django_db

# The situations' end date as a page could write it (a random number may hold "2999": not this).
END_DATE = ("2999-01-01", "01/01/2999", "1 janvier 2999", "1er janvier 2999")


def test_no_private_field_reaches_any_page(client, directory, recording):
    helene, doctor = directory["helene"], directory["doctor"]
    factories.authorization(doctor)
    factories.card(helene)
    objects = [
        helene,
        directory["nurse"],
        directory["social"],
        doctor,
        *doctor.expertises.all(),
        *doctor.diplomas.all(),
        *doctor.authorizations.all(),
        *helene.mailboxes.all(),
        *helene.cards.all(),
        *Activity.objects.all(),
        directory["site"],
        directory["legal"],
        directory["cabinet"],
    ]
    planted = {type(o).__name__: plant_canaries(o) for o in objects}
    assert {"birth_name", "given_names", "birth_date", "email", "phone"} <= set(planted["Person"])
    assert {"number", "obtained_on", "place"} <= set(planted["Diploma"])
    # Situation dates are private too; keep the situations open so that they are shown.
    Activity.objects.update(end_date=datetime.date(2999, 1, 1))  # private: never shown, in any form
    index.rebuild()  # canaries were planted behind the models' back

    pages = {
        "search by name": client.get("/recherche/", {"nom": "beranger"}),
        "search by place": client.get("/recherche/", {"lieu": "44"}),
        "search by profession": client.get("/recherche/", {"profession": "10"}),
        "search by identifier": client.get("/recherche/", {"identifiant": helene.rpps}),
        "search by structure": client.get("/recherche/", {"identifiant": directory["legal"].finess}),
        "practitioner": client.get(f"/professionnel/{helene.rpps}/"),
        "structure": client.get(f"/structure/{directory['site'].technical_id}/"),
        "legal entity": client.get(f"/structure/{directory['legal'].technical_id}/"),
    }
    for what, response in pages.items():
        assert response.status_code == 200, what
        html = response.content.decode()
        shown = "HÔPITAL SAINT-JACQUES" if what == "legal entity" else helene.rpps
        assert shown in html, what  # the public data does come out
        assert_no_canary(html)
        assert not any(end in html for end in END_DATE), what
    sheet = pdf_text(client.get(f"/professionnel/{helene.rpps}/fiche.pdf").content)
    assert helene.rpps in sheet and "BÉRANGER" in sheet
    assert_no_canary(sheet)
    assert not any(end in sheet for end in END_DATE)


def test_private_values_cannot_be_searched(client, directory, recording):
    plant_canaries(directory["helene"])  # birth name, given names… now hold the canary
    index.rebuild()
    assert "Aucun résultat" in client.get("/recherche/", {"nom": CANARY}).content.decode()
    assert "Aucun résultat" in client.get("/recherche/", {"nom": "canari", "mode": "contient"}).content.decode()
    # Parameters the form does not know are ignored, whatever they name.
    response = client.get("/recherche/", {"birth_date": "1901-02-03", "email__contains": "canari"})
    assert response.status_code == 200 and "résultat" not in response.content.decode().split("</form>")[1]


ODD = [
    "x" * 5000,
    "%",
    "_",
    "%_%",
    "'",
    '"',
    "<script>alert('x')</script>",
    "'; DROP TABLE registry_person; --",
    "1 OR 1=1",
    "../../etc/passwd",
    "\u202e",
    "😀",
    "é" * 101,
    "\\",
    "{{ 7*7 }}",
    "${7*7}",
    "   ",
]


@pytest.mark.parametrize(
    "field", ["nom", "lieu", "structure", "identifiant", "profession", "savoir_faire", "role", "mode", "tri", "page"]
)
def test_odd_input_gives_a_normal_page_or_a_french_message(client, directory, field):
    for value in ODD:
        response = client.get("/recherche/", {field: value, "nom": "ber"} if field != "nom" else {field: value})
        assert response.status_code == 200, (field, value)
        html = response.content.decode()
        assert "<script>alert" not in html  # escaped
        assert "Traceback" not in html and "Exception" not in html
        assert "{{ 7*7 }}" not in html or "49" not in html.split("</form>")[1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"nom": "x" * 101}, "au plus 100 caractères"),
        ({"nom": "%%"}, "Le nom doit contenir au moins une lettre."),
        ({"nom": "ab", "mode": "contient"}, "saisissez au moins 3 lettres"),
        ({"lieu": "x"}, "saisissez le nom d'une commune, un code postal"),
        ({"identifiant": "12345"}, "Identifiant non reconnu"),
        ({"identifiant": "10000000001"}, "Le numéro RPPS est invalide"),
        ({"profession": "ZZZ"}, "Sélectionnez un choix valide"),
        ({"nom": "a\x00b"}, "Le caractère nul n’est pas autorisé."),
    ],
)
def test_bad_input_messages(client, directory, params, message):
    html = client.get("/recherche/", params).content.decode()
    assert message in html.replace("&#x27;", "'")
    assert "La recherche n'a pas pu être lancée" in html.replace("&#x27;", "'")
