"""Registering, updating and closing professionals; self pre-registration; the professional's own record."""

import datetime
import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from rpps.fhir.models import Tombstone
from rpps.identity.models import ReviewCase
from rpps.identity.services import decide_distinct, decide_same
from rpps.portal import registration
from rpps.portal.audit import Who
from rpps.portal.models import AuditEvent, RegistrationRequest
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Activity, ChangeRecord, Person
from rpps.registry.projection import public_person
from tests import factories
from tests.conftest import published_zip

from .conftest import account_client, professional_form, shows_birth_date, text

pytestmark = pytest.mark.django_db


def register_via_page(browser, managed, **overrides):
    return browser.post(
        "/portail/professionnels/nouveau/", professional_form(managed["site"], **overrides), follow=True
    )


def test_a_gestionnaire_registers_a_new_professional_and_sees_the_number(managed, django_capture_on_commit_callbacks):
    browser = account_client(managed["manager"], "GESTIONNAIRE", "Gaston")
    with django_capture_on_commit_callbacks(execute=True):
        page = register_via_page(browser, managed)
    person = Person.objects.get(given_names="Chloé Marie")
    assert f'<span id="numero-rpps">{person.rpps}</span>' in page.content.decode()
    assert "Un nouveau numéro RPPS est attribué" in text(page)
    activity = Activity.objects.get(exercise__person=person)
    assert activity.structure == managed["site"] and activity.role_code == "313"
    assert activity.exercise.profession_code == "99" and activity.exercise.last_name == "LEFEVRE"
    assert person.email == "chloe.lefevre@example.org" and person.phone == "0612345678"
    assert len(mail.outbox) == 1 and person.rpps in mail.outbox[0].body and not shows_birth_date(mail.outbox[0].body)
    assert mail.outbox[0].to == ["chloe.lefevre@example.org"]
    record = ChangeRecord.objects.filter(person_id=person.pk).first()
    assert record.actor_label == f"Gaston GESTIONNAIRE ({managed['manager']})"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.PROFESSIONAL_REGISTERED).latest("pk")
    assert person.rpps in event.target and not shows_birth_date(event.target + event.message)


def test_an_existing_professional_keeps_their_number_and_the_gestionnaire_sees_only_their_own(managed):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        known = factories.person(
            birth_name="LEFEVRE",
            given_names="Chloé Marie",
            birth_date=datetime.date(1992, 6, 15),
            birth_place_code="49007",
            email="perso@example.org",
        )
        exercise = factories.exercise(known, last_name="LEFEVRE", first_name="Chloé", **factories.RPPS_PLUS)
        factories.activity(exercise, managed["foreign"], role_code="313", start_date=datetime.date(2020, 1, 1))
    browser = account_client(managed["manager"])
    page = register_via_page(browser, managed)
    assert f"{known.rpps}" in text(page) and "déjà connu du répertoire" in text(page)
    assert Person.objects.filter(given_names="Chloé Marie").count() == 1
    assert known.exercises.get().activities.count() == 2
    detail = text(browser.get(f"/portail/professionnels/{known.rpps}/"))
    assert "EHPAD ALPHA" in detail and "ASSOCIATION OMEGA" not in detail  # not another structure's situation
    assert "perso@example.org" in detail  # the e-CPS contacts, kept: the professional's own
    assert "15/06/1992" in detail and "saisi :" not in detail  # the birth date this structure typed itself
    assert "Angers (49)" in detail


def test_the_civil_status_shown_is_the_registry_s_with_what_was_typed_where_it_differs(managed):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        known = factories.person(
            birth_name="LEFEVRE",
            given_names="Chloé Marie",
            birth_date=datetime.date(1992, 6, 5),
            birth_place_code="49007",
        )
        factories.exercise(known, last_name="LEFEVRE", first_name="Chloé", **factories.RPPS_PLUS)
    browser = account_client(managed["manager"])
    page = text(register_via_page(browser, managed, birth_date="1992-05-06"))  # day and month swapped
    assert known.rpps in page and "déjà connu du répertoire" in page
    detail = text(browser.get(f"/portail/professionnels/{known.rpps}/"))
    assert '05/06/1992 <span class="fr-hint-text">saisi : 06/05/1992</span>' in detail
    assert "<dd>LEFEVRE</dd>" in detail  # typed "Lefèvre": the same name, written another way


def test_birth_data_typed_by_another_structure_are_not_shown(managed):
    registration.register(Who("omega", managed["foreign_manager"]), _cleaned(managed["foreign"]), managed["foreign"])
    registration.register(Who("alpha", managed["manager"]), _cleaned(managed["site"]), managed["site"])
    person = Person.objects.get(given_names="Chloé Marie")
    RegistrationRequest.objects.filter(structure=managed["site"]).delete()  # as if alpha never typed them
    detail = text(account_client(managed["manager"]).get(f"/portail/professionnels/{person.rpps}/"))
    assert not shows_birth_date(detail) and "saisi par une autre autorité" in detail


def _cleaned(structure, **overrides):
    data = professional_form(structure, **overrides)
    data.pop("structure")
    data["birth_date"] = datetime.date.fromisoformat(data["birth_date"])
    data["start_date"] = datetime.date.fromisoformat(data["start_date"])
    data["end_date"] = None
    data["phone"] = "0612345678"
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"birth_date": "2099-01-01"}, "birth_date", "dans le futur"),
        ({"birth_date": ""}, "birth_date", "obligatoire"),
        ({"role_code": "300"}, "role_code", "« 300 » n'est pas un code accepté. Codes acceptés : "),  # not RPPS+
        ({"phone": "0145678912"}, "phone", "06 ou 07"),
        ({"birth_place_code": "99134", "birth_city_abroad": ""}, "birth_city_abroad", "étranger"),
        ({"birth_place_code": "00123"}, "birth_place_code", "code commune"),
        ({"end_date": "2020-01-01"}, "end_date", "précéder"),
        ({"given_names": ""}, "given_names", "obligatoire"),
        ({"structure": 999999}, "structure", "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(managed, overrides, field, message):
    browser = account_client(managed["manager"])
    before = (Person.objects.count(), Activity.objects.count(), ChangeRecord.objects.count())
    page = register_via_page(browser, managed, **overrides)
    assert message in text(page)
    assert f'aria-describedby="id_{field}-desc-error"' in text(page)
    assert (Person.objects.count(), Activity.objects.count(), ChangeRecord.objects.count()) == before


def test_registering_on_a_structure_one_is_not_habilitated_on_is_refused(managed):
    with pytest.raises(registration.Refused, match="pas habilité"):
        registration.register(Who("alpha", managed["manager"]), _cleaned(managed["foreign"]), managed["foreign"])
    assert not Person.objects.filter(given_names="Chloé Marie").exists()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.PROFESSIONAL_REGISTERED).latest("pk")
    assert event.outcome == "refus" and event.structure_technical_id == managed["foreign"].technical_id


def _possible_twin(managed):
    """A registry person close to the request: same names and date, born in another commune of the same
    department (Cholet, the request says Angers)."""
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        return factories.person(
            birth_name="LEFEVRE",
            given_names="Chloé Marie",
            birth_date=datetime.date(1992, 6, 15),
            birth_place_code="49099",
        )


def test_a_possible_match_waits_for_review_then_registers(managed, admin_user, django_capture_on_commit_callbacks):
    twin = _possible_twin(managed)
    browser = account_client(managed["manager"])
    page = register_via_page(browser, managed)
    request = RegistrationRequest.objects.get()
    if request.state != RegistrationRequest.State.IN_REVIEW:
        pytest.fail(f"expected a review, got {request.outcome}: the twin is not close enough")
    assert "un opérateur vérifie" in text(page) and not Activity.objects.filter(structure=managed["site"]).exists()
    # A second request for the same person is refused while the first one waits.
    again = register_via_page(browser, managed)
    assert "une seule demande à la fois" in text(again)
    with django_capture_on_commit_callbacks(execute=True), acting_as(Actor.for_user(admin_user), "revue"):
        decide_same(ReviewCase.objects.get(), twin.pk, admin_user)
    request.refresh_from_db()
    assert request.state == RegistrationRequest.State.REGISTERED and request.person == twin
    assert Activity.objects.get(structure=managed["site"]).exercise.person == twin
    assert "Numéro RPPS" in text(browser.get(f"/portail/demandes/{request.pk}/"))


def test_a_possible_match_declared_distinct_gets_a_new_number(managed, admin_user):
    twin = _possible_twin(managed)
    register_via_page(account_client(managed["manager"]), managed)
    with acting_as(Actor.for_user(admin_user), "revue"):
        created = decide_distinct(ReviewCase.objects.get(), admin_user)
    request = RegistrationRequest.objects.get()
    assert request.state == RegistrationRequest.State.REGISTERED and request.person == created != twin


def _registered(managed):
    request = registration.register(Who("alpha", managed["manager"]), _cleaned(managed["site"]), managed["site"])
    return request.person, request.activity


def test_a_gestionnaire_modifies_a_situation_and_the_professional_is_told(managed, django_capture_on_commit_callbacks):
    person, activity = _registered(managed)
    browser = account_client(managed["manager"])
    form = {
        "exercise_last_name": "LEFEVRE-DURAND",
        "exercise_first_name": "Chloé",
        "role_code": "328",
        "start_date": "2026-09-01",
        "end_date": "",
        "email": "chloe@example.org",
        "phone": "0712345678",
    }
    with django_capture_on_commit_callbacks(execute=True):
        page = browser.post(f"/portail/situations/{activity.pk}/modifier/", form, follow=True)
    assert "La situation est mise à jour" in text(page)
    activity.refresh_from_db()
    person.refresh_from_db()
    assert activity.role_code == "328" and activity.exercise.last_name == "LEFEVRE-DURAND"
    # the new address replaces the old one only once its owner follows the link sent to it
    assert person.email == "chloe.lefevre@example.org" and "lien de confirmation est envoyé à chloe@" in text(page)
    told = {tuple(m.to): m for m in mail.outbox}
    assert "mise à jour" in told[("chloe.lefevre@example.org",)].subject
    confirmation = told[("chloe@example.org",)]
    assert "Confirmez" in confirmation.subject and "EHPAD ALPHA" in confirmation.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = _follow_confirmation(confirmation.body)
    assert "Adresse e-mail confirmée" in text(page)
    person.refresh_from_db()
    assert person.email == "chloe@example.org"
    # the replaced address is told too (an unwanted change is learnt there), without the new one
    [replaced] = mail.outbox
    assert replaced.to == ["chloe.lefevre@example.org"]
    assert "a été remplacée" in replaced.subject and "chloe@example.org" not in replaced.body
    assert "EHPAD ALPHA" in replaced.body
    change = ChangeRecord.objects.filter(object_type="registry.person", object_id=person.pk).latest("id")
    asked = ChangeRecord.objects.filter(object_type="registry.exercise", object_id=activity.exercise_id).latest("id")
    assert change.actor_label == asked.actor_label != "" and "confirmée par le lien" in change.reason
    # État civil is not part of the form: posting it changes nothing.
    browser.post(f"/portail/situations/{activity.pk}/modifier/", form | {"birth_name": "AUTRE"})
    person.refresh_from_db()
    assert person.birth_name == "Lefèvre"


def test_closing_a_situation_keeps_the_number(managed, django_capture_on_commit_callbacks):
    person, activity = _registered(managed)
    browser = account_client(managed["manager"])
    bad = browser.post(
        f"/portail/situations/{activity.pk}/fermer/", {"end_date": "2026-10-01", "end_reason_code": "ZZZ"}
    )
    assert "Motif de fin : « ZZZ » n'est pas un code accepté. Codes acceptés : " in text(bad)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/portail/situations/{activity.pk}/fermer/", {"end_date": "2026-12-31", "end_reason_code": "CHL"})
    activity.refresh_from_db()
    assert activity.end_date == datetime.date(2026, 12, 31) and activity.end_reason_code == "CHL"
    assert Person.objects.get(pk=person.pk).rpps == person.rpps
    assert "fermée" in mail.outbox[-1].body


def test_a_situation_entered_by_mistake_is_withdrawn_after_a_confirmation(managed, django_capture_on_commit_callbacks):
    person, activity = _registered(managed)
    browser = account_client(managed["manager"])
    detail = text(browser.get(f"/portail/professionnels/{person.rpps}/"))
    assert "Retirer (saisie erronée)" in detail
    confirmation = text(browser.get(f"/portail/situations/{activity.pk}/retirer/"))
    assert "EHPAD ALPHA" in confirmation and "comme si elle n'avait jamais existé" in confirmation
    assert Activity.objects.filter(pk=activity.pk).exists()  # the confirmation page writes nothing
    foreign = account_client(managed["foreign_manager"])
    assert foreign.post(f"/portail/situations/{activity.pk}/retirer/", {"confirmed": "1"}).status_code == 404
    browser.post(f"/portail/situations/{activity.pk}/retirer/")  # without the confirmation: nothing either
    assert Activity.objects.filter(pk=activity.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        page = browser.post(f"/portail/situations/{activity.pk}/retirer/", {"confirmed": "1"}, follow=True)
    assert "est retirée (saisie erronée)" in text(page)
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert Person.objects.get(pk=person.pk).rpps == person.rpps
    record = ChangeRecord.objects.get(object_type="registry.activity", object_id=activity.pk, action="delete")
    assert "saisie erronée" in record.reason and record.before["structure_id"] == activity.structure_id
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SITUATION_WITHDRAWN, target=f"RPPS {person.rpps}"
    ).exists()
    assert "retirée (saisie erronée)" in mail.outbox[-1].body
    assert "EHPAD ALPHA" not in str(public_person(Person.objects.get(pk=person.pk)))
    assert Tombstone.objects.filter(resource_type="PractitionerRole", resource_id=activity.pk).exists()


def test_another_structures_professional_cannot_be_read_or_changed(managed):
    person, activity = _registered(managed)
    foreign = account_client(managed["foreign_manager"])
    assert foreign.get(f"/portail/professionnels/{person.rpps}/").status_code == 404
    assert foreign.get(f"/portail/situations/{activity.pk}/modifier/").status_code == 404
    foreign.post(f"/portail/situations/{activity.pk}/fermer/", {"end_date": "2026-12-31", "end_reason_code": "CHL"})
    activity.refresh_from_db()
    assert activity.end_date is None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ACCESS_REFUSED, actor_national_id=managed["foreign_manager"]
    ).exists()


# --- Self pre-registration -----------------------------------------------------------------------


def _self_account():
    return account_client("", "MOREAU", "Inès")


def self_form(managed, **overrides):
    data = professional_form(managed["site"]) | {"identifier_type": "FINESS", "identifier": managed["site"].finess}
    data.pop("structure")
    data.update(overrides)
    return data


def test_a_professional_without_number_asks_and_the_gestionnaire_validates(managed, django_capture_on_commit_callbacks):
    professional = _self_account()
    page = professional.post("/portail/inscription/", self_form(managed), follow=True)
    assert "30 jours" in text(page)
    request = RegistrationRequest.objects.get()
    assert (
        request.state == RegistrationRequest.State.TO_INSTRUCT
        and not Person.objects.filter(given_names="Chloé Marie").exists()
    )
    manager = account_client(managed["manager"])
    assert f"Demande n° {request.pk}" in text(manager.get("/portail/demandes/"))
    corrected = professional_form(managed["site"], exercise_first_name="Chloé-Marie") | {"action": "valider"}
    with django_capture_on_commit_callbacks(execute=True):
        done = manager.post(f"/portail/demandes/{request.pk}/instruire/", corrected, follow=True)
    person = Person.objects.get(given_names="Chloé Marie")
    assert person.rpps in text(done) and person.exercises.get().first_name == "Chloé-Marie"
    record = text(professional.get("/portail/mon-dossier/"))
    assert person.rpps in record and "Chloé-Marie" in record
    assert f"numéro RPPS <strong>{person.rpps}</strong>" in text(professional.get("/portail/"))


def test_a_gestionnaire_rejects_a_request_with_a_reason_the_professional_sees(managed):
    professional = _self_account()
    professional.post("/portail/inscription/", self_form(managed))
    request = RegistrationRequest.objects.get()
    manager = account_client(managed["manager"])
    empty = manager.post(f"/portail/demandes/{request.pk}/instruire/", {"action": "rejeter", "rejet-reason": ""})
    assert "Ce champ est obligatoire" in text(empty)
    manager.post(
        f"/portail/demandes/{request.pk}/instruire/", {"action": "rejeter", "rejet-reason": "Inconnue chez nous."}
    )
    page = text(professional.get(f"/portail/demandes/{request.pk}/"))
    assert "Demande rejetée" in page and "Inconnue chez nous." in page


def test_a_request_not_instructed_within_30_days_expires(managed):
    professional = _self_account()
    professional.post("/portail/inscription/", self_form(managed))
    request = RegistrationRequest.objects.get()
    RegistrationRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    manager = account_client(managed["manager"])
    assert "Aucune demande à instruire" in text(manager.get("/portail/demandes/"))
    refused = manager.post(
        f"/portail/demandes/{request.pk}/instruire/", professional_form(managed["site"]) | {"action": "valider"}
    )
    assert refused.status_code == 404 and not Person.objects.filter(given_names="Chloé Marie").exists()
    assert "expirée" in text(professional.get(f"/portail/demandes/{request.pk}/"))


def test_self_requests_are_refused_for_a_structure_without_contract_or_twice(managed):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        lone = factories.structure(name="SANS CONTRAT")
    professional = _self_account()
    page = professional.post("/portail/inscription/", self_form(managed, identifier=lone.finess))
    assert "pas de contrat RPPS+ actif" in text(page)
    professional.post("/portail/inscription/", self_form(managed))
    again = professional.post("/portail/inscription/", self_form(managed))
    assert "déjà une demande en cours" in text(again)
    assert RegistrationRequest.objects.count() == 1


def test_the_professional_sees_their_request_at_home_and_may_withdraw_it(managed):
    professional = _self_account()
    professional.post("/portail/inscription/", self_form(managed))
    request = RegistrationRequest.objects.get()
    home = text(professional.get("/portail/"))
    assert f"Demande n° {request.pk} à {managed['site'].name}" in home and "à instruire par la structure" in home
    # Someone else cannot take it back.
    assert account_client("81234567890").get(f"/portail/demandes/{request.pk}/retirer/").status_code == 404
    confirm = text(professional.get(f"/portail/demandes/{request.pk}/retirer/"))
    assert f"{managed['site'].name} ne pourra plus l'instruire" in confirm
    request.refresh_from_db()
    assert request.state == RegistrationRequest.State.TO_INSTRUCT  # asking is not doing
    done = text(professional.post(f"/portail/demandes/{request.pk}/retirer/", follow=True))
    assert "Votre demande est retirée." in done and "Demande retirée par le professionnel" in done
    request.refresh_from_db()
    assert request.state == RegistrationRequest.State.WITHDRAWN
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_WITHDRAWN, outcome="ok").count() == 1
    manager = account_client(managed["manager"])
    assert "Aucune demande à instruire" in text(manager.get("/portail/demandes/"))
    assert manager.post(f"/portail/demandes/{request.pk}/instruire/", {"action": "valider"}).status_code == 404
    again = text(professional.post(f"/portail/demandes/{request.pk}/retirer/", follow=True))
    assert "ne peut plus être retirée" in again
    # A new request may be filed.
    professional.post("/portail/inscription/", self_form(managed))
    assert RegistrationRequest.objects.filter(state=RegistrationRequest.State.TO_INSTRUCT).count() == 1


def _follow_confirmation(body: str, client=None):
    """Opens the link of a confirmation e-mail as its reader would (not signed in): the page writes
    nothing; its button confirms."""
    link = re.search(r"https?://[^/\s]+(/portail/adresse-email/\S+/)", body).group(1)
    client = client or Client()
    before = Person.objects.values_list("email", flat=True).order_by("pk")
    page = client.get(link)
    assert page.status_code == 200 and "Confirmer cette adresse" in text(page)
    assert list(Person.objects.values_list("email", flat=True).order_by("pk")) == list(before)
    return client.post(link, follow=True)


def test_a_confirmation_link_broken_expired_or_overtaken_says_so_and_changes_nothing(
    managed, django_capture_on_commit_callbacks
):
    person, activity = _registered(managed)
    browser = account_client(managed["manager"])
    form = {
        "exercise_last_name": "LEFEVRE",
        "exercise_first_name": "Chloé",
        "role_code": activity.role_code,
        "start_date": activity.start_date.isoformat(),
        "end_date": "",
        "phone": "0712345678",
    }
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/portail/situations/{activity.pk}/modifier/", form | {"email": "erreur@example.org"})
        browser.post(f"/portail/situations/{activity.pk}/modifier/", form | {"email": "bonne@example.org"})
    first, second = (m for m in mail.outbox if "Confirmez" in m.subject)
    link = re.search(r"https?://[^/\s]+(/portail/adresse-email/\S+/)", first.body).group(1)
    broken = Client().post(link[:-6] + "/")
    assert broken.status_code == 400 and "copié en entier" in text(broken)
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 8 * 86400):
        expired = Client().post(link)
    assert expired.status_code == 400 and "expiré" in text(expired)
    _follow_confirmation(second.body)
    person.refresh_from_db()
    assert person.email == "bonne@example.org"
    # the first link, followed after the second: the record's address has changed since it was sent
    overtaken = Client().post(link)
    assert overtaken.status_code == 400 and "a changé depuis son envoi" in text(overtaken)
    person.refresh_from_db()
    assert person.email == "bonne@example.org"


# --- The professional's own record ---------------------------------------------------------------


def test_the_professional_sees_their_record_and_edits_names_and_contacts(managed, django_capture_on_commit_callbacks):
    person, activity = _registered(managed)
    mail.outbox.clear()
    own = account_client("8" + person.rpps, "LEFEVRE", "Chloé")
    from rpps.portal.models import Account

    Account.objects.filter(national_id="8" + person.rpps).update(person=person)
    page = text(own.get("/portail/mon-dossier/"))
    assert "EHPAD ALPHA" in page and "Aide-soignant" in page  # public part
    assert "15/06/1992" in page and "chloe.lefevre@example.org" in page  # private part, theirs
    assert "Angers (49) — code 49007" in page  # the birth place in words, its code beside
    # History in words: what changed, not the model's name.
    assert "Création : personne" in page and "Création : situation d'exercice" in page
    assert "registry." not in page
    form = {
        "exercise_last_name": "LEFEVRE",
        "exercise_first_name": "Chloé",
        "email": "nouvelle@example.org",
        "phone": "0611111111",
        "birth_name": "PIRATE",
    }
    with django_capture_on_commit_callbacks(execute=True):
        own.post("/portail/mon-dossier/", form)
    person.refresh_from_db()
    assert person.email == "chloe.lefevre@example.org" and person.phone == "0611111111"
    assert person.birth_name == "Lefèvre"
    [confirmation] = mail.outbox
    assert confirmation.to == ["nouvelle@example.org"] and "vous-même" in confirmation.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _follow_confirmation(confirmation.body)
    person.refresh_from_db()
    assert person.email == "nouvelle@example.org"
    # their own change: only the replaced address is told (if it was not them, they learn it there)
    assert [m.to for m in mail.outbox] == [["chloe.lefevre@example.org"]]
    assert "vous-même" in mail.outbox[0].body and "nouvelle@example.org" not in mail.outbox[0].body
    assert "Modification : personne" in text(own.get("/portail/mon-dossier/"))


def test_a_registered_professional_is_published_with_role_and_place_only(managed):
    person, activity = _registered(managed)
    published = public_person(person)
    flat = repr(published)
    assert person.rpps in flat and "313" in flat and str(managed["site"].pk) in flat
    assert not shows_birth_date(flat)
    for private in ("chloe.lefevre", "0612345678", "Lefèvre".upper() + " " + "CHLOÉ"):
        assert private not in flat


# --- Permission matrix for registrations: role × action × own or other structure -----------------

REG_ROLES = ["manager", "rep", "foreign_manager", "pro", "anonymous"]
REG_ACTIONS = ["register", "view", "change", "close"]


def _target(managed, own):
    structure = managed["site"] if own else managed["foreign"]
    author = managed["manager"] if own else managed["foreign_manager"]
    request = registration.register(
        Who("x", author),
        _cleaned(structure, birth_name=f"CIBLE{'A' if own else 'B'}", exercise_last_name="CIBLE"),
        structure,
    )
    return structure, request.person, request.activity


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("action", REG_ACTIONS)
@pytest.mark.parametrize("role", REG_ROLES)
def test_registration_permission_matrix(managed, role, action, own, client):
    structure, person, activity = _target(managed, own)
    if role == "anonymous":
        browser = client
    elif role == "pro":
        browser = account_client("8" + person.rpps)
    else:
        browser = account_client(managed[role])
    if action == "register":
        before = Activity.objects.count()
        browser.post(
            "/portail/professionnels/nouveau/", professional_form(structure, birth_name="NOUVEAU", given_names="Test")
        )
        done = Activity.objects.count() == before + 1
    elif action == "view":
        page = browser.get(f"/portail/professionnels/{person.rpps}/")
        done = page.status_code == 200 and person.rpps in text(page)
    elif action == "change":
        browser.post(
            f"/portail/situations/{activity.pk}/modifier/",
            {
                "exercise_last_name": "CHANGE",
                "exercise_first_name": "X",
                "role_code": "313",
                "start_date": "2026-09-01",
                "end_date": "",
                "email": "a@example.org",
                "phone": "0612345678",
            },
        )
        done = Activity.objects.get(pk=activity.pk).exercise.last_name == "CHANGE"
    else:
        browser.post(f"/portail/situations/{activity.pk}/fermer/", {"end_date": "2026-12-31", "end_reason_code": "AUT"})
        done = Activity.objects.get(pk=activity.pk).end_date is not None
    allowed = {"manager": own, "rep": own, "foreign_manager": not own, "pro": False, "anonymous": False}[role]
    assert done is allowed


def test_a_registered_professional_is_in_the_next_publication(managed, settings, tmp_path):
    import zipfile

    from rpps.publication import publish

    person, activity = _registered(managed)
    publication = publish.publish()
    with zipfile.ZipFile(published_zip(publication, "PS_LibreAcces")) as archive:
        name = next(n for n in archive.namelist() if "Personne_activite" in n)
        lines = [line for line in archive.read(name).decode().splitlines() if f"|{person.rpps}|" in line]
    assert len(lines) == 1
    values = lines[0].split("|")
    assert values[9] == "99" and values[52] == "313" and values[53] == "Aide-soignant"
    assert values[21] == managed["site"].finess and values[24] == "EHPAD ALPHA"
    assert not shows_birth_date(lines[0]) and "Lefèvre" not in lines[0] and "0612345678" not in lines[0]


@pytest.mark.parametrize(
    ("typed", "code"), [("Angers", "49007"), ("angers 49", "49007"), ("Saint-Denis 93", "93066"), ("2A004", "2A004")]
)
def test_the_birth_place_is_found_by_the_commune_s_name_and_stored_as_its_code(managed, typed, code):
    browser = account_client(managed["manager"])
    page = text(register_via_page(browser, managed, birth_place_code=typed))
    assert "Un nouveau numéro RPPS est attribué" in page
    assert Person.objects.get(given_names="Chloé Marie").birth_place_code == code


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Saint-Denis", "Plusieurs communes répondent à « Saint-Denis » (et d'autres) — Saint-Denis (11) : 11339"),
        ("Xyzzy", "Aucune commune ne s'appelle « Xyzzy »"),
        ("49999", "Le code commune « 49999 » n'existe pas"),
    ],
)
def test_an_unknown_or_ambiguous_birth_place_says_what_to_type_and_writes_nothing(managed, typed, message):
    browser = account_client(managed["manager"])
    page = text(register_via_page(browser, managed, birth_place_code=typed))
    assert message in page and 'aria-describedby="id_birth_place_code-desc-error"' in page
    assert not Person.objects.filter(given_names="Chloé Marie").exists()
