"""Designating mandataires and gestionnaires, closing habilitations, listing them; the permission matrix."""

import datetime

import pytest

from rpps.portal import services
from rpps.portal.audit import Who
from rpps.portal.models import AuditEvent, Contract, Habilitation
from rpps.registry.history import Actor, acting_as
from tests import factories

from .conftest import account_client, approved_contract, designated, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Two social structures under contract, each with its representative; people to designate."""
    from django.contrib.auth import get_user_model

    from rpps.portal.models import Account

    with acting_as(Actor.system("tests"), "jeu d'essai"):
        legal = factories.structure(name="ASSOCIATION ALPHA", is_legal_entity=True, sector_code="SA41")
        site = factories.structure(name="EHPAD ALPHA", legal_entity=legal, sector_code="SA17")
        other_legal = factories.structure(name="CLINIQUE BETA", is_legal_entity=True, sector_code="SA04")
        people = {
            key: factories.professional(name, first)
            for key, (name, first) in {
                "rep": ("MARTIN", "Sophie"),
                "rep_other": ("DURAND", "Paul"),
                "mandataire": ("PETIT", "Léa"),
                "manager": ("ROUX", "Hugo"),
                "pro": ("FAURE", "Zoé"),
                "candidate": ("BLANC", "Noé"),
            }.items()
        }
    user = get_user_model().objects.create(username="psc:requester")
    requester = Account.objects.create(user=user, subject="requester", national_id="")
    contract = approved_contract(legal, people["rep"], requester)
    other = approved_contract(other_legal, people["rep_other"], requester)
    designated(people["rep"], contract, legal, people["mandataire"], kind="mandataire", email="m@example.org")
    designated(
        people["rep"],
        contract,
        site,
        people["manager"],
        email="g@example.org",
        training_date=datetime.date(2025, 1, 10),
    )
    return {"legal": legal, "site": site, "contract": contract, "other": other, "people": people}


def national(world, key):
    return "8" + world["people"][key].rpps


def designation(world, person_key="candidate", **overrides):
    data = {
        "person": world["people"][person_key].pk,
        "kind": "gestionnaire",
        "structure": world["legal"].pk,
        "email": "nouveau@example.org",
        "training_date": "2025-06-01",
        "terms": "on",
    }
    return data | overrides


def test_representative_finds_the_person_and_designates_a_gestionnaire(world):
    browser = account_client(national(world, "rep"))
    url = f"/portail/contrats/{world['contract'].pk}/designer/"
    found = text(browser.get(url, {"q": "BLANC"}))
    assert "Noé BLANC" in found and world["people"]["candidate"].rpps in found
    assert "17/05/1980" not in found and "1980-05-17" not in found  # birth data is never shown
    by_number = text(browser.get(url, {"q": "8" + world["people"]["candidate"].rpps}))
    assert "Noé BLANC" in by_number
    response = browser.post(url, designation(world), follow=True)
    assert "Votre demande a bien été traitée" in text(response)
    habilitation = Habilitation.objects.get(national_id=national(world, "candidate"))
    assert habilitation.kind == "gestionnaire" and habilitation.structure == world["legal"]
    assert habilitation.training_date == datetime.date(2025, 6, 1) and habilitation.terms_accepted_at
    assert habilitation.family_name == "BLANC" and habilitation.opened_by == f"Test TEST ({national(world, 'rep')})"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"training_date": ""}, "training_date", "formation de gestionnaire"),
        ({"training_date": "2099-01-01"}, "training_date", "dans le futur"),
        ({"terms": ""}, None, "conditions générales"),
        ({"email": "", "phone": ""}, "email", "e-mail ou le téléphone"),
    ],
)
def test_bad_designations_are_refused_with_a_message_and_nothing_written(world, overrides, field, message):
    browser = account_client(national(world, "rep"))
    response = browser.post(f"/portail/contrats/{world['contract'].pk}/designer/", designation(world, **overrides))
    page = text(response)
    assert message in page
    if field:
        assert f'aria-describedby="id_{field}-desc-error"' in page
    assert not Habilitation.objects.filter(national_id=national(world, "candidate")).exists()


def test_training_date_is_not_required_outside_social_and_medico_social_structures(world):
    browser = account_client(national(world, "rep_other"))
    browser.post(
        f"/portail/contrats/{world['other'].pk}/designer/",
        designation(world, structure=world["other"].structure_id, training_date=""),
    )
    assert Habilitation.objects.filter(national_id=national(world, "candidate"), contract=world["other"]).exists()


def test_closing_a_habilitation_takes_effect_on_the_next_request(world):
    mandataire = account_client(national(world, "mandataire"))
    url = f"/portail/contrats/{world['contract'].pk}/designer/"
    assert mandataire.get(url).status_code == 200
    rep = account_client(national(world, "rep"))
    habilitation = Habilitation.objects.get(national_id=national(world, "mandataire"))
    response = rep.post(f"/portail/habilitations/{habilitation.pk}/fermer/", follow=True)
    assert "est fermée" in text(response)
    # The contract is no longer theirs to see: the very next request is refused.
    refused = mandataire.get(url)
    assert refused.status_code == 404 and "introuvable" in text(refused)
    posted = mandataire.post(url, designation(world))
    assert posted.status_code == 404
    assert not Habilitation.objects.filter(national_id=national(world, "candidate")).exists()
    closed = AuditEvent.objects.get(action=AuditEvent.Action.HABILITATION_CLOSED)
    assert closed.actor.startswith("Test TEST") and national(world, "mandataire") in closed.target


def test_habilitations_page_lists_and_filters(world):
    rep = account_client(national(world, "rep"))
    page = text(rep.get("/portail/habilitations/"))
    assert "Léa PETIT" in page and "Hugo ROUX" in page and "Paul DURAND" not in page  # not their structure
    assert "Hugo ROUX" not in text(rep.get("/portail/habilitations/", {"name": "PETIT", "state": "ouverte"}))
    by_id = text(rep.get("/portail/habilitations/", {"national_id": national(world, "manager")}))
    assert "Hugo ROUX" in by_id and "Léa PETIT" not in by_id
    by_site = text(rep.get("/portail/habilitations/", {"structure": world["site"].finess}))
    assert "Hugo ROUX" in by_site and "Léa PETIT" not in by_site
    services.close_habilitation(Who("op"), Habilitation.objects.get(family_name="ROUX"), operator=True)
    assert "Hugo ROUX" not in text(rep.get("/portail/habilitations/"))  # "ouverte" by default
    assert "Hugo ROUX" in text(rep.get("/portail/habilitations/", {"state": "fermee"}))


def test_a_gestionnaire_sees_the_structures_they_manage(world):
    page = text(account_client(national(world, "manager")).get("/portail/"))
    assert "EHPAD ALPHA" in page and "Gestionnaire RPPS+" in page and "ce site" in page


# --- Permission matrix: each role × each action × own or other structure -------------------------

ROLES = ["rep", "mandataire", "manager", "pro", "anonymous"]
ALLOWED = {
    # action: roles allowed on their own structure (nobody is allowed on another structure)
    "view_contract": {"rep", "mandataire"},
    "designate_manager": {"rep", "mandataire"},
    "designate_mandatary": {"rep"},
    "close_manager": {"rep", "mandataire"},
    "add_site": {"rep", "mandataire"},
}


def _act(world, browser, action, own):
    contract = world["contract"] if own else world["other"]
    if action == "view_contract":
        return browser.get(f"/portail/contrats/{contract.pk}/").status_code == 200
    if action in {"designate_manager", "designate_mandatary"}:
        kind = "gestionnaire" if action == "designate_manager" else "mandataire"
        before = Habilitation.objects.count()
        browser.post(
            f"/portail/contrats/{contract.pk}/designer/", designation(world, kind=kind, structure=contract.structure_id)
        )
        return Habilitation.objects.count() == before + 1
    if action == "close_manager":
        target = Habilitation.objects.filter(contract=contract, state="ouverte").exclude(kind__in=Habilitation.HEADS)
        target = target.exclude(national_id=browser.national_id).first() or Habilitation.objects.create(
            contract=contract,
            structure=contract.structure,
            kind="gestionnaire",
            national_id="8" + "0" * 11,
            family_name="CIBLE",
            given_name="C",
            email="c@example.org",
            opened_by="tests",
        )
        browser.post(f"/portail/habilitations/{target.pk}/fermer/")
        target.refresh_from_db()
        return target.state == "fermee"
    if action == "add_site":
        with acting_as(Actor.system("tests"), "jeu d'essai"):
            site = factories.structure(name="SITE AJOUTÉ")
        browser.post(
            f"/portail/contrats/{contract.pk}/",
            {"site-identifier_type": "FINESS", "site-identifier": site.finess, "confirmer": "1"},
        )
        return Contract.objects.get(pk=contract.pk).added_sites.filter(structure=site).exists()
    raise AssertionError(action)


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world, role, action, own, client):
    if role == "anonymous":
        browser = client
        browser.national_id = ""
    else:
        browser = account_client(national(world, role))
        browser.national_id = national(world, role)
    expected = own and role in ALLOWED[action]
    assert _act(world, browser, action, own) is expected


def test_refused_designation_on_another_structure_is_in_the_audit_log(world):
    rep = account_client(national(world, "rep"))
    rep.post(
        f"/portail/contrats/{world['other'].pk}/designer/", designation(world, structure=world["other"].structure_id)
    )
    event = AuditEvent.objects.filter(outcome="refus").latest("pk")
    assert event.action in {AuditEvent.Action.HABILITATION_OPENED, AuditEvent.Action.ACCESS_REFUSED}
    assert event.actor_national_id == national(world, "rep") and event.ip_address == "127.0.0.1"


def test_representative_only_sees_their_contracts(world):
    rep = account_client(national(world, "rep"))
    assert rep.get(f"/portail/contrats/{world['other'].pk}/").status_code == 404
    assert "CLINIQUE BETA" not in text(rep.get("/portail/"))


def test_heavy_pages_run_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    rep = "8" + world["people"]["rep"].rpps
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        extra = [factories.professional(f"NOM{factories.letters(i, 2)}", "Prénom") for i in range(30)]
    for person in extra:
        designated(world["people"]["rep"], world["contract"], world["site"], person)
    browser = account_client(rep)
    with django_assert_max_num_queries(12):
        page = browser.get("/portail/habilitations/")
    # 30 new gestionnaires, the first one and the mandataire; never the representative herself.
    assert text(page).count("Fermer l'habilitation") == 32
    with django_assert_max_num_queries(15):
        browser.get(f"/portail/contrats/{world['contract'].pk}/")
    with django_assert_max_num_queries(15):
        browser.get("/portail/")


def test_portal_pages_have_a_title_a_heading_skip_links_and_labelled_fields(world):
    import re

    rep = account_client(national(world, "rep"))
    contract = world["contract"].pk
    for url in [
        "/portail/",
        "/portail/habilitations/",
        "/portail/contrats/demande/",
        f"/portail/contrats/{contract}/",
        f"/portail/contrats/{contract}/designer/?person={world['people']['candidate'].pk}",
    ]:
        page = text(rep.get(url))
        assert re.search(r"<title>[^<]+ — Portail RPPS\+</title>", page), url
        assert page.count("<h1") == 1 and 'href="#content"' in page, url
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', page):
            assert f'for="{field_id}"' in page, (url, field_id)


def test_forms_refuse_a_post_without_the_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    rep = account_client(national(world, "rep"))
    strict.cookies = rep.cookies
    response = strict.post(f"/portail/contrats/{world['contract'].pk}/designer/", designation(world))
    assert response.status_code == 403 and "Accès refusé" in text(response)
    assert not Habilitation.objects.filter(national_id=national(world, "candidate")).exists()


@pytest.mark.parametrize("typed", ["faure zoe", "Faure, Zoé", "FAURE-ZOE", "zoe"])
def test_habilitations_filter_forgives_case_accents_and_punctuation(world, typed):
    rep = account_client(national(world, "rep"))
    designated(world["people"]["rep"], world["contract"], world["legal"], world["people"]["pro"])
    page = text(rep.get("/portail/habilitations/", {"name": typed}))
    assert "Zoé FAURE" in page and "Hugo ROUX" not in page


@pytest.mark.parametrize("typed", ["blanc noe", "Blanc", "blanc-noé", "BLÂNC"])
def test_designation_finds_the_person_as_typed(world, typed):
    browser = account_client(national(world, "rep"))
    found = text(browser.get(f"/portail/contrats/{world['contract'].pk}/designer/", {"q": typed}))
    assert "Noé BLANC" in found


def test_an_empty_designation_search_says_what_to_type(world):
    browser = account_client(national(world, "rep"))
    found = text(browser.get(f"/portail/contrats/{world['contract'].pk}/designer/", {"q": "'-'"}))
    assert (
        "Noé BLANC" not in found and "Saisissez un nom d'exercice (au moins deux lettres) ou un numéro RPPS." in found
    )


def test_closing_asks_first_then_the_closer_may_reopen_from_the_list(world):
    rep = account_client(national(world, "rep"))
    manager = Habilitation.objects.get(national_id=national(world, "manager"))
    confirm = text(rep.get(f"/portail/habilitations/{manager.pk}/fermer/"))
    assert (
        "Fermer l'habilitation de Hugo ROUX ?" in confirm
        and "perdra dès maintenant l'habilitation « Gestionnaire RPPS+ » pour EHPAD ALPHA. Vous pourrez la rouvrir"
        in confirm
    )
    manager.refresh_from_db()
    assert manager.state == Habilitation.State.OPEN
    rep.post(f"/portail/habilitations/{manager.pk}/fermer/")
    manager.refresh_from_db()
    assert manager.state == Habilitation.State.CLOSED and manager.closed_by_national_id == national(world, "rep")
    listed = text(rep.get("/portail/habilitations/", {"state": ""}))  # "Tous"
    assert "Hugo ROUX" in listed and "Rouvrir l'habilitation de Hugo ROUX" in listed
    assert "Hugo ROUX" not in text(rep.get("/portail/habilitations/", {"state": "ouverte"}))
    # The mandataire did not close it: they may not reopen it.
    mandataire = account_client(national(world, "mandataire"))
    assert "Rouvrir l'habilitation de Hugo ROUX" not in text(mandataire.get("/portail/habilitations/", {"state": ""}))
    assert mandataire.post(f"/portail/habilitations/{manager.pk}/rouvrir/").status_code == 403
    manager.refresh_from_db()
    assert manager.state == Habilitation.State.CLOSED
    assert "Rouvrir l'habilitation de Hugo ROUX ?" in text(rep.get(f"/portail/habilitations/{manager.pk}/rouvrir/"))
    done = text(rep.post(f"/portail/habilitations/{manager.pk}/rouvrir/", follow=True))
    assert "L'habilitation de Hugo ROUX est rouverte." in done
    manager.refresh_from_db()
    assert manager.state == Habilitation.State.OPEN and not manager.closed_at and not manager.closed_by_national_id
    assert AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_REOPENED, outcome="ok").count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_REOPENED, outcome="refus").count() == 1


def test_a_gestionnaire_home_links_only_to_what_they_may_open(world):
    manager = account_client(national(world, "manager"))
    home = manager.get("/portail/")
    page = text(home)
    contract = world["contract"].pk
    assert f"Contrat n° {contract}" in page and f'href="/portail/contrats/{contract}/"' not in page
    assert "Vous n'êtes représentant d'aucun contrat" in page and "Aucun contrat." not in page
    assert 'href="/portail/professionnels/nouveau/"' in page
    assert manager.get(f"/portail/contrats/{contract}/").status_code == 404
    rep_home = text(account_client(national(world, "rep")).get("/portail/"))
    assert f'href="/portail/contrats/{contract}/"' in rep_home


def test_the_person_designated_is_told_when_their_habilitation_opens_and_closes(
    world, django_capture_on_commit_callbacks
):
    from django.core import mail

    rep = account_client(national(world, "rep"))
    url = f"/portail/contrats/{world['contract'].pk}/designer/"
    with django_capture_on_commit_callbacks(execute=True):
        rep.post(url, designation(world))
    habilitation = Habilitation.objects.get(national_id=national(world, "candidate"))
    assert [m.to for m in mail.outbox] == [["nouveau@example.org"]]
    assert "ouverte" in mail.outbox[0].subject and "ASSOCIATION ALPHA" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        rep.post(f"/portail/habilitations/{habilitation.pk}/fermer/")
    assert "fermée" in mail.outbox[-1].subject and "ne pouvez plus agir" in mail.outbox[-1].body
    assert all("répondez à ce message" not in m.body for m in mail.outbox)
