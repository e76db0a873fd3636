import datetime

import pytest

from rpps.identity import services
from rpps.identity.models import ReviewCase
from rpps.identity.traits import Traits
from rpps.registry.models import Person
from tests import factories

pytestmark = pytest.mark.django_db

DATA = {
    "birth_name": "GIRAUD",
    "given_names": "Noé Paul",
    "sex_code": "M",
    "birth_date": datetime.date(1979, 1, 30),
    "birth_place_code": "13055",
}


@pytest.fixture
def open_case(recording):
    factories.person(**DATA)
    other = DATA | {"given_names": "Paul Noé", "birth_place_code": "13001", "birth_city_abroad": ""}
    traits = Traits.parse(
        nom=other["birth_name"],
        prenoms=other["given_names"],
        sexe="M",
        date_naissance=other["birth_date"],
        lieu_naissance="13001",
    )
    return services.register_person(traits, other).case


def test_review_page_shows_both_records_side_by_side(admin_client, open_case, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = admin_client.get(f"/admin/identity/reviewcase/{open_case.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Paul Noé" in html and "Noé Paul" in html
    assert "proche</strong> (prénoms dans un autre ordre)" in html
    assert "diffère</strong>" in html
    assert "Même personne que RPPS" in html


def test_operator_decision_from_the_page(admin_client, open_case):
    candidate = open_case.candidates[0]["person_id"]
    response = admin_client.post(f"/admin/identity/reviewcase/{open_case.pk}/change/", {"same": str(candidate)})
    assert response.status_code == 302
    open_case.refresh_from_db()
    assert open_case.status == ReviewCase.Status.SAME and open_case.person_id == candidate
    assert Person.objects.count() == 1


def test_operator_can_search_the_duplicates_of_a_professional(admin_client, recording):
    older = factories.person(**DATA)
    newer = factories.person(**DATA | {"given_names": "Noé", "birth_place_code": "13001", "birth_city_abroad": ""})
    response = admin_client.post("/admin/identity/reviewcase/verifier/", {"rpps": newer.rpps}, follow=True)
    assert "1 doublon(s) possible(s) ouvert(s)" in response.content.decode()
    case = ReviewCase.objects.get()
    response = admin_client.post(f"/admin/identity/reviewcase/{case.pk}/change/", {"same": str(older.pk)})
    assert Person.objects.get(pk=newer.pk).merged_into == older
    response = admin_client.post("/admin/identity/reviewcase/verifier/", {"rpps": "00000000000"})
    assert "Aucun professionnel n&#x27;a ce numéro RPPS." in response.content.decode()


PERSON_FORM = {
    "civility_code": "M",
    "sex_code": "M",
    "birth_name": "GIRAUD",
    "given_names": "Noé Paul",
    "birth_date": "1979-01-30",
    "birth_place_code": "13055",
    **factories.PERSON_ADMIN_NO_INLINES,
}


def test_adding_a_person_in_the_admin_goes_through_identity_resolution(admin_client, recording):
    existing = factories.person(**DATA)
    response = admin_client.post("/admin/registry/person/add/", PERSON_FORM | {"birth_name": "Giraud"})
    assert response.status_code == 200
    assert f"Cette personne est déjà au répertoire sous le numéro RPPS {existing.rpps}" in response.content.decode()
    response = admin_client.post(
        "/admin/registry/person/add/", PERSON_FORM | {"given_names": "Paul Noé", "birth_place_code": "13001"}
    )  # born in Aix rather than Marseille, given names in another order: for a human to tell
    assert "ressemble à une personne déjà au répertoire" in response.content.decode()
    assert Person.objects.count() == 1
    response = admin_client.post("/admin/registry/person/add/", PERSON_FORM | {"given_names": "Hugo"})
    assert response.status_code == 302
    created = Person.objects.exclude(pk=existing.pk).get()
    assert created.given_names == "Hugo" and created.rpps.startswith("8")


@pytest.mark.parametrize(("typed", "listed"), [("giraud", True), ("Giraud noe", True), ("GIRAUD Léa", False)])
def test_review_queue_names_each_case_and_finds_it_as_typed(admin_client, open_case, typed, listed):
    case_link = f"/admin/identity/reviewcase/{open_case.pk}/change/"
    everything = admin_client.get("/admin/identity/reviewcase/").content.decode()
    assert case_link in everything and "GIRAUD Paul Noé" in everything
    found = admin_client.get("/admin/identity/reviewcase/", {"q": typed}).content.decode()
    assert (case_link in found) is listed
