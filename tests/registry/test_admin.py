"""The operators' back office: French, validating, attributing every write."""

import pytest
from django.contrib.auth import get_user_model

from rpps.registry.models import ChangeRecord, Exercise, Person
from tests import factories
from tests.conftest import operator_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("operatrice", "op@example.org", "mot-de-passe-long-123")
    operator_login(client, user)
    return user


PERSON_FORM = {
    "civility_code": "MME",
    "sex_code": "F",
    "birth_name": "N'DIAYE",
    "given_names": "Aïssatou  Marie",
    "birth_date": "1988-03-14",
    "birth_place_code": "99341",
    "birth_city_abroad": "Dakar",
    **factories.PERSON_ADMIN_NO_INLINES,
}


def test_adding_a_person_allocates_an_rpps_number_and_records_the_operator(client, operator):
    response = client.post("/admin/registry/person/add/", PERSON_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    person = Person.objects.get()
    assert person.rpps.startswith("8") and len(person.rpps) == 11
    assert person.given_names == "Aïssatou Marie"
    record = ChangeRecord.objects.get(object_type="registry.person")
    assert record.user_id == operator.pk and record.actor_label == "operatrice" and record.person_id == person.pk
    assert record.reason == "Saisie d'un opérateur dans l'administration"


def test_bad_input_shows_french_messages_next_to_the_fields_and_writes_nothing(client, operator):
    form = PERSON_FORM | {"birth_date": "31/02/1988", "birth_place_code": "PARIS", "sex_code": "X"}
    response = client.post("/admin/registry/person/add/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saisissez une date valide." in html
    assert "Le lieu de naissance doit être un code commune INSEE" in html
    assert "Sexe : Le code « X » n&#x27;existe pas dans la nomenclature Sexe administratif." in html
    assert not Person.objects.exists() and not ChangeRecord.objects.exists()


def test_person_page_shows_the_history_and_no_delete_button(client, operator, recording):
    exercise = factories.exercise()
    response = client.get(f"/admin/registry/person/{exercise.person_id}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "exercice professionnel" in html and "jeu d&#x27;essai" in html and "registry.exercise" not in html
    assert "/delete/" not in html


def test_registry_lists_cost_the_same_queries_whatever_the_number_of_rows(client, operator, recording):
    """An N+1 on a list (one more query per row shown) fails here: 12 rows cost what 2 rows cost."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = [
        "/admin/registry/exercise/",
        "/admin/registry/activity/",
        "/admin/registry/person/",
        "/admin/registry/structure/",
        "/admin/registry/changerecord/",
        "/admin/registry/mailbox/",
        "/admin/registry/card/",
    ]

    def counts():
        found = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found[url] = len(queries)
        return found

    def add(n):
        for _ in range(n):
            person = factories.activity().exercise.person
            factories.mailbox(person)
            factories.card(person)

    add(2)
    few = counts()
    add(10)
    assert counts() == few
    assert Exercise.objects.count() == 12 and max(few.values()) <= 12


def test_coded_fields_are_picked_from_their_nomenclature(client, operator):
    html = client.get("/admin/registry/person/add/").content.decode()
    assert '<option value="F">F — Féminin</option>' in html
    assert '<option value="MLLE">MLLE — Mademoiselle (obsolète)</option>' in html  # shown, refused for new values
    html = client.get("/admin/registry/exercise/add/").content.decode()
    assert '<option value="93">93 — Psychologue</option>' in html


def test_choosing_a_deprecated_code_in_the_admin_is_refused(client, operator):
    response = client.post("/admin/registry/person/add/", PERSON_FORM | {"civility_code": "MLLE"})
    assert response.status_code == 200
    assert "Civilité : Le code « MLLE » (Mademoiselle) de la nomenclature Civilité n&#x27;est plus valide" in (
        response.content.decode()
    )
    assert not Person.objects.exists()


@pytest.mark.parametrize("typed", ["benoit", "BENOÎT", "  Benoît-Hélène ", "benoit helene", "hel", "ndiaye"])
def test_console_person_search_forgives_case_accents_and_punctuation(client, operator, recording, typed):
    found = factories.professional("BENOÎT", "Hélène")
    other = factories.professional("BENOIST", "Paul")
    response = client.get("/admin/registry/person/", {"q": typed})
    html = response.content.decode()
    if typed == "ndiaye":
        assert found.rpps not in html
    elif typed == "hel":  # the given names are searched too
        assert found.rpps in html and other.rpps not in html
    else:
        assert found.rpps in html and other.rpps not in html


def test_console_person_search_by_number_is_exact(client, operator, recording):
    found = factories.professional("BENOÎT", "Hélène")
    html = client.get("/admin/registry/person/", {"q": found.rpps}).content.decode()
    assert f">{found.rpps}<" in html
    assert found.rpps not in client.get("/admin/registry/person/", {"q": found.rpps[:-1]}).content.decode()
