"""Confirming a checked file writes its rows by sets (rpps.portal.bulk_registration): the identity
decisions of the check hold only while nothing that could change them has happened since."""

import datetime

import pytest

from rpps.directory.models import Entry
from rpps.identity.resolver import resolve
from rpps.identity.scoring import MATCH
from rpps.portal import bulk, registration
from rpps.portal.audit import Who
from rpps.portal.models import AuditEvent, BulkImport, RegistrationRequest
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Activity, ChangeRecord, Person

from .conftest import account_client
from .test_bulk import csv_bytes, rows_for, upload

pytestmark = pytest.mark.django_db


def _checked(managed, rows):
    browser = account_client(managed["manager"])
    upload(browser, csv_bytes(rows))
    return browser, BulkImport.objects.latest("pk")


def _confirm(browser, found):
    browser.post(f"/portail/import/{found.pk}/")
    found.refresh_from_db()
    return found


def test_confirmed_rows_are_recorded_indexed_and_audited_like_a_single_registration(managed):
    browser, found = _checked(managed, rows_for(managed, 3))
    found = _confirm(browser, found)
    assert found.counts["import"]["enregistrees"] == 3
    persons = Person.objects.filter(birth_name__startswith="IMPORT")
    assert persons.count() == 3
    for person in persons:
        # history attributed to the gestionnaire, for the person, the exercise and the situation
        kinds = set(ChangeRecord.objects.filter(person_id=person.pk).values_list("object_type", "actor_kind"))
        assert kinds == {("registry.person", "user"), ("registry.exercise", "user"), ("registry.activity", "user")}
        record = ChangeRecord.objects.get(person_id=person.pk, object_type="registry.person")
        assert record.at == person.updated_at and record.after["rpps"] == person.rpps
        # public search index and identity index in step
        assert Entry.objects.filter(person_id=person.pk, structure_id=managed["site"].pk).exists()
        traits = registration.traits_of(
            {"birth_name": person.birth_name, "given_names": person.given_names, "sex_code": person.sex_code,
             "birth_date": person.birth_date, "birth_place_code": person.birth_place_code}
        )  # fmt: skip
        decision = resolve(traits)
        assert decision.outcome == MATCH and decision.person_id == person.pk
    requests = RegistrationRequest.objects.filter(source=RegistrationRequest.Source.FILE)
    assert requests.count() == 3 and {r.state for r in requests} == {RegistrationRequest.State.REGISTERED}
    events = AuditEvent.objects.filter(action=AuditEvent.Action.PROFESSIONAL_REGISTERED)
    assert events.count() == 3 and all("RPPS" in e.target for e in events)
    numbers = [line["rpps"] for line in found.report]
    assert sorted(numbers) == sorted(persons.values_list("rpps", flat=True))


def test_a_person_registered_between_check_and_confirmation_gets_no_second_number(managed):
    row = rows_for(managed, 1)[0]
    browser, found = _checked(managed, [row])
    assert found.counts["nouveau"] == 1
    # Meanwhile, the same professional is registered one by one at the structure's other site.
    data = bulk.check_rows([row], managed["manager"])[1][0]["data"]
    with acting_as(Actor.system("tests"), "saisie concurrente"):
        registered = registration.register(Who(managed["manager"], managed["manager"]), data, managed["site"])
    found = _confirm(browser, found)
    assert Person.objects.filter(birth_name="IMPORTA").count() == 1
    line = found.report[0]
    assert line["applied"] == "deja" and line["rpps"] == registered.person.rpps


def test_two_rows_of_one_file_that_may_be_one_person_are_resolved_one_after_the_other(managed):
    first, second = rows_for(managed, 2)
    # a typo in the first given name: another identity key, so the check lets both rows through
    second.update(
        nom_naissance=first["nom_naissance"], date_naissance=first["date_naissance"], prenoms_naissance="Mairie Anne"
    )
    first["prenoms_naissance"] = "Marie Anne"
    browser, found = _checked(managed, [first, second])
    assert found.counts["nouveau"] == 2  # neither exists yet when the file is checked
    found = _confirm(browser, found)
    # The second is compared with the first once that one exists: never two numbers for one person
    # without a human having looked.
    persons = Person.objects.filter(birth_name="IMPORTA")
    outcome = found.counts["import"]
    assert persons.count() == 1 and outcome["enregistrees"] == 1
    assert outcome["en_verification"] + outcome["deja"] == 1  # the same situation, or a human decides


def test_a_match_merged_since_the_check_attaches_to_the_person_that_stays(managed):
    from rpps.identity.services import merge_persons
    from tests import factories

    person = {"birth_date": datetime.date(1985, 1, 10), "sex_code": "M", "birth_place_code": "49007"}
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        older = factories.professional("IMPORTB", "Pierre", **(person | {"birth_date": datetime.date(1950, 2, 2)}))
        matched = factories.professional("IMPORTA", "Jean", **person)
    row = rows_for(managed, 1, prenoms_naissance="Jean", sexe="M", civilite="M")[0]
    browser, found = _checked(managed, [row])
    assert found.report[0]["status"] == "existant" and found.report[0]["rpps"] == matched.rpps
    with acting_as(Actor.system("tests"), "doublon"):
        merge_persons(older, matched)  # the older number stays, the matched one becomes its alias
    found = _confirm(browser, found)
    assert not Activity.objects.filter(exercise__person=matched, structure=managed["site"]).exists()
    line = found.report[0]
    # resolved again against current persons only: never registered under the retired number
    assert line["applied"] in ("enregistre", "a_verifier") and line.get("rpps") != matched.rpps
    if line["applied"] == "enregistre":
        assert Person.objects.current().filter(rpps=line["rpps"]).exists()


def test_a_row_for_a_human_waits_with_its_case_and_is_registered_once_decided(managed):
    from django.contrib.auth import get_user_model

    from rpps.identity.models import ReviewCase
    from rpps.identity.services import decide_same
    from tests import factories

    person = {"birth_date": datetime.date(1985, 1, 10), "sex_code": "M", "birth_place_code": "49007"}
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        factories.professional("IMPORTA", "Jean Paul", **person)
        known = factories.professional("IMPORTA", "Jean", **person)
    row = rows_for(managed, 1, prenoms_naissance="Jean", sexe="M", civilite="M")[0]
    browser, found = _checked(managed, [row])
    assert found.report[0]["status"] == "a_verifier"
    found = _confirm(browser, found)
    assert found.counts["import"]["en_verification"] == 1 and found.report[0]["applied"] == "a_verifier"
    request = RegistrationRequest.objects.get(source=RegistrationRequest.Source.FILE)
    case = request.review_case
    assert request.state == RegistrationRequest.State.IN_REVIEW and case.status == ReviewCase.Status.OPEN
    assert case.name == "IMPORTA Jean" and known.pk in {c["person_id"] for c in case.candidates}
    operator = get_user_model().objects.create(username="operateur")
    with acting_as(Actor.system("opérateur"), "vérification d'identité"):
        decide_same(case, known.pk, operator)
    request.refresh_from_db()
    assert request.state == RegistrationRequest.State.REGISTERED and request.person_id == known.pk
    assert Activity.objects.filter(exercise__person=known, structure=managed["site"]).exists()
