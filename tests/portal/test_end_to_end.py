"""From a contract request to a designated gestionnaire signing in, in real headless Chromium
(the ``browser`` fixture of tests/conftest.py)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rpps.portal.models import Contract, Habilitation
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Person
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _professional(name, first):
    return factories.professional(name, first, birth_date=datetime.date(1975, 2, 3))


def psc_sign_in(page, base, national_id):
    page.goto(f"{base}/portail/")
    page.get_by_role("link", name="S'identifier avec Pro Santé Connect").click()
    page.get_by_label("Ou un autre professionnel du répertoire").fill(national_id)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/portail/")


def test_contract_request_to_gestionnaire_sign_in(flushable_sqlite, browser, live_server):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        legal = factories.structure(name="ASSOCIATION GAMMA", is_legal_entity=True, sector_code="SA41")
        factories.structure(name="FOYER GAMMA", legal_entity=legal, sector_code="SA16")
        director = _professional("LEROY", "Anne")
        manager = _professional("GARNIER", "Élodie")
    operator = get_user_model().objects.create_superuser("operatrice", "op@example.org", "console-operateur-2026")
    device = TOTPDevice.objects.create(user=operator, name="console", confirmed=True)
    base = live_server.url

    # 1. The director signs in with Pro Santé Connect and asks for a contract.
    representative = browser.new_page()
    psc_sign_in(representative, base, "8" + director.rpps)
    representative.get_by_role("link", name="Demander un contrat", exact=True).click()
    assert representative.title().startswith("Demander un contrat")
    representative.select_option("#id_identifier_type", "FINESS")
    fields = {
        "identifier": legal.finess,
        "representative_family_name": "LEROY",
        "representative_given_name": "Anne",
        "representative_national_id": "8" + director.rpps,
        "representative_email": "direction@gamma.example.org",
    }
    for name, value in fields.items():
        representative.fill(f"#id_{name}", value)
    representative.select_option("#id_representative_function", "representant_legal")
    representative.select_option("#id_evidence_kind", "kbis")
    representative.set_input_files(
        "#id_evidence", files=[{"name": "kbis.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    representative.get_by_role("button", name="Envoyer la demande").click()
    representative.wait_for_selector("text=est enregistrée")
    contract = Contract.objects.get(structure=legal)

    # 2. An operator signs in to the console (password + TOTP) and approves it.
    console = browser.new_page()
    console.goto(f"{base}/admin/portal/contract/{contract.pk}/change/")
    console.fill("#id_username", "operatrice")
    console.fill("#id_password", "console-operateur-2026")
    console.fill("#id_otp_token", f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}")
    console.click("input[type=submit]")
    console.click("#approuver")
    console.wait_for_selector("text=sera habilité(e) représentant(e) légal(e)")  # the confirmation step
    console.click("input[type=submit][value='Approuver la demande']")
    console.wait_for_selector("text=Contrat approuvé")

    # 3. The director, now habilitated, designates a gestionnaire (ESMS: training date required).
    representative.goto(f"{base}/portail/contrats/{contract.pk}/")
    representative.get_by_role("link", name="Désigner un gestionnaire").click()
    representative.get_by_label("Rechercher la personne").fill("GARNIER")
    representative.get_by_role("button", name="Rechercher").click()
    representative.get_by_role("link", name="Choisir Élodie GARNIER").click()
    representative.get_by_label("Adresse e-mail de la personne désignée").fill("e.garnier@gamma.example.org")
    representative.get_by_label("Date de la formation de gestionnaire RPPS+").fill("2025-10-01")
    representative.click("label[for=id_terms]")  # the DSFR draws the box on the label
    assert representative.is_checked("#id_terms")
    representative.get_by_role("button", name="Envoyer la demande d'habilitation").click()
    representative.wait_for_selector("text=Votre demande a bien été traitée")
    assert Habilitation.objects.get(national_id="8" + manager.rpps).state == Habilitation.State.OPEN
    representative.get_by_role("button", name="Se déconnecter").click()
    representative.wait_for_url(f"{base}/portail/*")

    # 4. The gestionnaire signs in and finds the structure they now manage.
    gestionnaire = browser.new_page()
    psc_sign_in(gestionnaire, base, "8" + manager.rpps)
    body = gestionnaire.inner_text("main")
    assert "ASSOCIATION GAMMA" in body and "Gestionnaire RPPS+" in body and "FOYER GAMMA" in body


def test_gestionnaire_registers_a_professional_who_then_signs_in(flushable_sqlite, browser, live_server, managed):
    base = live_server.url
    page = browser.new_page()
    psc_sign_in(page, base, managed["manager"])
    page.get_by_role("link", name="Professionnels", exact=True).click()
    page.get_by_role("link", name="Enregistrer un professionnel").click()
    assert page.title().startswith("Enregistrer un professionnel")
    page.select_option("#id_civility_code", "MME")
    values = {
        "birth_name": "Lefèvre",
        "given_names": "Chloé Marie",
        "birth_date": "1992-06-15",
        "birth_place_code": "49007",
        "exercise_last_name": "LEFEVRE",
        "exercise_first_name": "Chloé",
        "start_date": "2026-09-01",
        "email": "chloe@example.org",
        "phone": "06 12 34 56 78",
    }
    for name, value in values.items():
        page.fill(f"#id_{name}", value)
    for name, value in {
        "sex_code": "F",
        "role_code": "313",
        "category_code": "C",
        "mode_code": "S",
        "genre_code": "GENR11",
        "structure": str(managed["site"].pk),
    }.items():
        page.select_option(f"#id_{name}", value)
    page.get_by_role("button", name="Enregistrer").click()
    rpps = page.inner_text("#numero-rpps").strip()
    assert len(rpps) == 11 and Person.objects.get(rpps=rpps).given_names == "Chloé Marie"
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{base}/portail/*")

    professional = browser.new_page()
    psc_sign_in(professional, base, "8" + rpps)
    professional.get_by_role("link", name="Mon dossier").click()
    body = professional.inner_text("main")
    assert rpps in body and "EHPAD ALPHA" in body and "Aide-soignant" in body and "15/06/1992" in body


def test_the_portal_menu_folds_behind_a_button_on_a_small_screen(flushable_sqlite, browser, live_server):
    phone = browser.new_page(viewport={"width": 375, "height": 740})
    phone.goto(f"{live_server.url}/portail/")
    home_link = phone.get_by_role("link", name="Mon espace")
    assert not home_link.is_visible()
    phone.get_by_role("button", name="Menu").click()
    home_link.wait_for(state="visible")
    desk = browser.new_page(viewport={"width": 1280, "height": 800})
    desk.goto(f"{live_server.url}/portail/")
    assert desk.get_by_role("link", name="Mon espace").is_visible()
    assert not desk.get_by_role("button", name="Menu").is_visible()
