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


def test_a_workbook_typed_in_excel_is_checked_and_imported(flushable_sqlite, browser, live_server, managed, tmp_path):
    """The gestionnaire's import from the spreadsheet people really have: phones, a commune code and
    dates typed in Excel (numbers that lost their leading 0, a date as a day count)."""
    from openpyxl import Workbook

    from rpps.portal import bulk

    from .test_bulk import rows_for

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(bulk.COLUMNS))
    for i, row in enumerate(rows_for(managed, 3)):
        # dates as Excel day counts: 14/11/1984, 19/12/1985, 23/01/1987
        row |= {"telephone_mobile": 612345678 + i, "lieu_naissance": 49007, "date_naissance": 31_000 + 400 * i}
        row["date_prise_fonction"] = datetime.datetime(2024, 9, 1)
        sheet.append([row[c] for c in bulk.COLUMNS])
    path = tmp_path / "personnel.xlsx"
    workbook.save(path)
    page = browser.new_page()
    psc_sign_in(page, live_server.url, managed["manager"])
    page.get_by_role("link", name="Importer un fichier").first.click()
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    report = page.inner_text("main")
    assert "Bilan de la vérification (3 lignes)" in report and "Lignes en erreur : 0" in report
    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_selector("text=Import terminé : 3 enregistré(s)")
    imported = Person.objects.filter(birth_name__startswith="IMPORT").order_by("birth_name")
    assert [p.phone for p in imported] == ["0612345678", "0612345679", "0612345680"]
    assert {p.birth_place_code for p in imported} == {"49007"} and imported[0].birth_date == datetime.date(1984, 11, 14)


def test_birth_place_by_name_and_a_closed_habilitation_reopened(flushable_sqlite, browser, live_server, managed):
    """A birth place typed as a commune's name (an ambiguous one lists the candidates), and an action
    that needs a confirmation, undone by who did it."""
    base = live_server.url
    page = browser.new_page()
    psc_sign_in(page, base, managed["manager"])
    page.goto(f"{base}/portail/professionnels/nouveau/")
    page.select_option("#id_civility_code", "M")
    for name, value in {
        "birth_name": "Martineau",
        "given_names": "Hugo",
        "birth_date": "1990-03-04",
        "birth_place_code": "Saint-Denis",
        "exercise_last_name": "MARTINEAU",
        "exercise_first_name": "Hugo",
        "start_date": "2026-09-01",
        "email": "hugo@example.org",
        "phone": "06 12 34 56 70",
    }.items():
        page.fill(f"#id_{name}", value)
    for name, value in {"sex_code": "M", "role_code": "313", "category_code": "C", "mode_code": "S"}.items():
        page.select_option(f"#id_{name}", value)
    page.select_option("#id_genre_code", "GENR11")
    page.select_option("#id_structure", str(managed["site"].pk))
    page.get_by_role("button", name="Enregistrer").click()
    assert "Plusieurs communes répondent à « Saint-Denis »" in page.inner_text("main")
    page.fill("#id_birth_place_code", "Angers")
    page.get_by_role("button", name="Enregistrer").click()
    rpps = page.inner_text("#numero-rpps").strip()
    assert Person.objects.get(rpps=rpps).birth_place_code == "49007"

    representative = browser.new_page()
    psc_sign_in(representative, base, managed["rep"])
    representative.get_by_role("link", name="Habilitations", exact=True).click()
    representative.get_by_role("link", name="Fermer l'habilitation de Gaston GESTIONNAIRE").click()
    assert "perdra dès maintenant" in representative.inner_text("main")
    assert _manager_state(managed) == Habilitation.State.OPEN  # the confirmation step wrote nothing
    representative.get_by_role("button", name="Fermer l'habilitation").click()
    assert "est fermée" in representative.inner_text("body")
    assert _manager_state(managed) == Habilitation.State.CLOSED
    representative.goto(f"{base}/portail/habilitations/?state=")  # « Tous » shows the closed ones
    representative.get_by_role("link", name="Rouvrir l'habilitation de Gaston GESTIONNAIRE").click()
    representative.get_by_role("button", name="Rouvrir l'habilitation").click()
    assert "est rouverte" in representative.inner_text("body")
    assert _manager_state(managed) == Habilitation.State.OPEN


def _manager_state(managed) -> str:
    return Habilitation.objects.get(national_id=managed["manager"], kind=Habilitation.Kind.MANAGER).state
