"""Contract requests, operator review, sites: what requesters and operators see, and refusals."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from rpps.portal.models import AuditEvent, Contract, Habilitation
from rpps.registry.history import Actor, acting_as
from tests import factories

from .conftest import account_client, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(db):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        legal = factories.structure(name="ASSOCIATION ALPHA", is_legal_entity=True, sector_code="SA41")
        site_a = factories.structure(name="EHPAD ALPHA NORD", legal_entity=legal, sector_code="SA17")
        site_b = factories.structure(name="EHPAD ALPHA SUD", legal_entity=legal, sector_code="SA17")
        other = factories.structure(name="CLINIQUE BETA", is_legal_entity=True, sector_code="SA04")
        pharmacy = factories.structure(
            finess=None, siret=factories.siret_number(), name="PHARMACIE DU PONT", sector_code="SA33"
        )
        director = factories.professional("MARTIN", "Sophie")
    return {
        "legal": legal,
        "site_a": site_a,
        "site_b": site_b,
        "other": other,
        "pharmacy": pharmacy,
        "director": director,
        "national_id": "8" + director.rpps,
    }


def request_form(entity, **overrides):
    data = {
        "identifier_type": "FINESS",
        "identifier": entity["legal"].finess,
        "representative_family_name": "MARTIN",
        "representative_given_name": "Sophie",
        "representative_national_id": entity["national_id"],
        "representative_function": "representant_legal",
        "representative_email": "direction@alpha.example.org",
        "representative_phone": "0241000000",
        "evidence_kind": "kbis",
        "evidence": SimpleUploadedFile("kbis.pdf", KBIS, content_type="application/pdf"),
    }
    return data | overrides


KBIS = b"%PDF-1.4\n% extrait Kbis\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_a_structure_asks_for_a_contract(entity):
    browser = account_client(entity["national_id"], "MARTIN", "Sophie")
    response = browser.post("/portail/contrats/demande/", request_form(entity), follow=True)
    contract = Contract.objects.get()
    assert contract.structure == entity["legal"] and contract.state == Contract.State.REQUESTED
    assert "demande de contrat n°" in text(response) and "Demandée" in text(response)
    assert "Extrait Kbis de moins de trois mois (transmis à l'opérateur)" in text(response)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTRACT_REQUESTED)
    assert event.outcome == "ok" and event.structure_technical_id == entity["legal"].technical_id


def test_the_proof_of_authority_is_kept_for_the_operator_and_served_only_by_the_console(entity, admin_client):
    browser = account_client(entity["national_id"], "MARTIN", "Sophie")
    browser.post("/portail/contrats/demande/", request_form(entity))
    contract = Contract.objects.get()
    assert contract.evidence_kind == "kbis" and contract.evidence.name.endswith(".pdf")
    assert "kbis" not in contract.evidence.name.rsplit("/", 1)[-1]  # a name that tells nothing of the file
    page = admin_client.get(f"/admin/portal/contract/{contract.pk}/change/").content.decode()
    assert "Ouvrir le document joint" in page and "Extrait Kbis de moins de trois mois" in page
    document = admin_client.get(f"/admin/portal/contract/{contract.pk}/justificatif/")
    assert document.status_code == 200 and b"".join(document.streaming_content) == KBIS
    assert document["Content-Type"] == "application/pdf"
    assert browser.get(f"/admin/portal/contract/{contract.pk}/justificatif/").status_code in (302, 403)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"identifier": "490000018"}, "identifier", "clé de contrôle"),
        ({"identifier": "12345"}, "identifier", "9 caractères"),
        ({"identifier_type": "SIRET", "identifier": "73282932000074"}, "identifier", "Aucune structure"),
        ({"representative_national_id": "812345678901"}, "representative_national_id", "clé de contrôle"),
        ({"representative_function": "titulaire_officine"}, "representative_function", "pharmacies"),
        ({"representative_email": "pas-une-adresse"}, "representative_email", "adresse de courriel valide"),
        ({"evidence": ""}, "evidence", "Joignez le document qui prouve le pouvoir"),
        ({"evidence_kind": ""}, "evidence_kind", "Indiquez quel document"),
        (
            {"evidence": SimpleUploadedFile("kbis.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")},
            "evidence",
            "doit être un PDF, une image JPEG ou PNG",
        ),
    ],
)
def test_bad_requests_get_a_french_message_on_the_field_and_write_nothing(entity, overrides, field, message):
    browser = account_client(entity["national_id"])
    response = browser.post("/portail/contrats/demande/", request_form(entity, **overrides))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert f'id="id_{field}"' in page and f'aria-describedby="id_{field}-desc-error"' in page
    assert not Contract.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTRACT_REQUESTED, outcome="refus").count() == 1


def test_one_request_per_legal_entity_and_its_sites(entity):
    browser = account_client(entity["national_id"])
    browser.post("/portail/contrats/demande/", request_form(entity))
    second = browser.post("/portail/contrats/demande/", request_form(entity))
    assert "une seule demande par entité juridique" in text(second)
    site = browser.post("/portail/contrats/demande/", request_form(entity, identifier=entity["site_a"].finess))
    assert "plusieurs sites" in text(site) and entity["legal"].finess in text(site)
    assert Contract.objects.count() == 1


def test_a_pharmacy_contracts_with_its_siret_and_its_owner_is_habilitated(entity, admin_client):
    browser = account_client(entity["national_id"])
    form = request_form(
        entity,
        identifier_type="SIRET",
        identifier=entity["pharmacy"].siret,
        representative_function="titulaire_officine",
    )
    browser.post("/portail/contrats/demande/", form)
    contract = Contract.objects.get()
    admin_client.post(f"/admin/portal/contract/{contract.pk}/approuver/")
    habilitation = Habilitation.objects.get()
    assert habilitation.kind == Habilitation.Kind.PHARMACY_OWNER and habilitation.structure == entity["pharmacy"]


def test_operator_approves_and_the_representative_is_habilitated(
    entity, admin_client, django_capture_on_commit_callbacks
):
    browser = account_client(entity["national_id"])
    browser.post("/portail/contrats/demande/", request_form(entity))
    contract = Contract.objects.get()
    page = admin_client.get(f"/admin/portal/contract/{contract.pk}/change/")
    assert "Approuver la demande" in text(page)
    confirm = text(admin_client.get(f"/admin/portal/contract/{contract.pk}/approuver/"))
    assert f"({entity['national_id']}) sera habilité(e) représentant(e) légal(e) de ASSOCIATION ALPHA" in confirm
    contract.refresh_from_db()
    assert contract.state == Contract.State.REQUESTED and not mail.outbox  # asking is not doing
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/portal/contract/{contract.pk}/approuver/", follow=True)
    assert [m.to for m in mail.outbox] == [[contract.representative_email]]
    assert "est approuvée" in mail.outbox[0].subject and "ne répondez pas" in mail.outbox[0].body
    assert "Contrat approuvé" in text(response)
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE and contract.decided_by == "opérateur admin"
    habilitation = Habilitation.objects.get()
    assert habilitation.kind == Habilitation.Kind.REPRESENTATIVE and habilitation.national_id == entity["national_id"]
    assert habilitation.person == entity["director"]
    home = text(browser.get("/portail/"))
    assert "ASSOCIATION ALPHA" in home and "tous les sites" in home
    # Approving twice is refused and leaves a trace.
    again = admin_client.post(f"/admin/portal/contract/{contract.pk}/approuver/", follow=True)
    assert "Seule une demande peut être approuvée" in text(again)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTRACT_APPROVED, outcome="refus").count() == 1


def test_operator_rejects_with_a_reason_the_requester_sees(entity, admin_client, django_capture_on_commit_callbacks):
    browser = account_client(entity["national_id"])
    browser.post("/portail/contrats/demande/", request_form(entity))
    contract = Contract.objects.get()
    empty = admin_client.post(f"/admin/portal/contract/{contract.pk}/rejeter/", {"reason": ""})
    assert empty.status_code == 200
    contract.refresh_from_db()
    assert contract.state == Contract.State.REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/portal/contract/{contract.pk}/rejeter/", {"reason": "Le représentant n'est pas celui du FINESS."}
        )
    contract.refresh_from_db()
    assert contract.state == Contract.State.REJECTED
    assert [m.to for m in mail.outbox] == [[contract.representative_email]]
    assert "Le représentant n'est pas celui du FINESS." in mail.outbox[0].body
    page = text(browser.get(f"/portail/contrats/{contract.pk}/"))
    assert "Demande rejetée" in page and "Le représentant n'est pas celui du FINESS." in page
    assert not Habilitation.objects.exists()
    # A rejected request does not block a new one.
    browser.post("/portail/contrats/demande/", request_form(entity))
    assert Contract.objects.filter(state=Contract.State.REQUESTED).count() == 1


def test_terminating_a_contract_closes_its_habilitations(entity, admin_client):
    browser = account_client(entity["national_id"])
    browser.post("/portail/contrats/demande/", request_form(entity))
    contract = Contract.objects.get()
    admin_client.post(f"/admin/portal/contract/{contract.pk}/approuver/")
    admin_client.post(f"/admin/portal/contract/{contract.pk}/resilier/")
    contract.refresh_from_db()
    assert contract.state == Contract.State.TERMINATED
    assert not Habilitation.objects.filter(state=Habilitation.State.OPEN).exists()
    assert "Aucun" in text(browser.get("/portail/")) or "aucune habilitation" in text(browser.get("/portail/"))


def active_with_a_lone_site(entity, admin_client):
    """The representative's browser, their approved contract, and a structure outside it."""
    browser = account_client(entity["national_id"])
    browser.post("/portail/contrats/demande/", request_form(entity))
    contract = Contract.objects.get()
    admin_client.post(f"/admin/portal/contract/{contract.pk}/approuver/")
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        lone = factories.structure(name="ACCUEIL DE JOUR ALPHA", sector_code="SA17")
    return browser, contract, lone


def test_a_site_is_added_to_an_active_contract(entity, admin_client):
    browser, contract, lone = active_with_a_lone_site(entity, admin_client)
    url = f"/portail/contrats/{contract.pk}/"
    typed = {"site-identifier_type": "FINESS", "site-identifier": lone.finess}
    confirm = text(browser.post(url, typed))
    assert f"Ajouter « ACCUEIL DE JOUR ALPHA » au contrat n° {contract.pk} ?" in confirm
    assert f'name="site-identifier" value="{lone.finess}"' in confirm and not contract.covers(lone)
    response = browser.post(url, typed | {"confirmer": "1"}, follow=True)
    assert "est ajouté au contrat" in text(response)
    assert contract.covers(lone) and contract.covers(entity["site_b"])
    covered = browser.post(
        url, {"site-identifier_type": "FINESS", "site-identifier": entity["site_a"].finess, "confirmer": "1"}
    )
    assert "déjà couvert par ce contrat" in text(covered)
    foreign = browser.post(url, {"site-identifier_type": "FINESS", "site-identifier": "490000019"})
    assert "clé de contrôle" in text(foreign)
    assert contract.added_sites.count() == 1


def test_a_site_added_by_mistake_is_removed_after_confirmation_unless_something_depends_on_it(entity, admin_client):
    from .conftest import designated

    browser, contract, lone = active_with_a_lone_site(entity, admin_client)
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        other_person = factories.professional("ROUX", "Hugo")
    url = f"/portail/contrats/{contract.pk}/"
    browser.post(url, {"site-identifier_type": "FINESS", "site-identifier": lone.finess, "confirmer": "1"})
    added = contract.added_sites.get()
    remove = f"/portail/contrats/{contract.pk}/sites/{added.pk}/retirer/"
    assert f'href="{remove}"' in text(browser.get(url))
    # A site the gestionnaire works on cannot be taken back.
    habilitation = designated(entity["director"], contract, lone, other_person)
    assert "une habilitation ouverte porte sur ce site" in text(browser.get(remove))
    assert browser.post(remove).status_code == 403 and contract.covers(lone)
    Habilitation.objects.filter(pk=habilitation.pk).update(state="fermee", closed_at="2026-01-01T00:00Z")
    confirm = text(browser.get(remove))
    assert "Le contrat ne couvrira plus ACCUEIL DE JOUR ALPHA" in confirm and contract.covers(lone)
    # Someone who does not represent the structure cannot.
    assert account_client("8" + other_person.rpps).post(remove).status_code == 404
    done = text(browser.post(remove, follow=True))
    assert "est retiré du contrat" in done and not contract.covers(lone)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SITE_REMOVED, outcome="ok").count() == 1
