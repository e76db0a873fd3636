"""A visitor searches a name with an accent typed without it, opens the page and downloads the sheet,
in real headless Chromium (the ``browser`` fixture of tests/conftest.py)."""

import re

import pytest
from django.db import connections

from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_search_open_the_page_and_download_the_pdf(flushable_sqlite, browser, live_server, recording, tmp_path):
    structure = factories.structure(
        name="MAISON DE SANTÉ DES LICES", postal_code="49100", commune_label="Angers", department_code="49"
    )
    person = factories.person(birth_name="LEFÈVRE", given_names="Éloïse")
    exercise = factories.exercise(person, last_name="LEFÈVRE", first_name="Éloïse")
    factories.activity(exercise, structure)
    factories.activity(factories.exercise(last_name="LEFORT", first_name="Marc"), structure)
    connections.close_all()  # the live server thread reads through its own connection

    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Rechercher un professionnel").first.click()
    page.get_by_role("textbox", name=re.compile(r"^Nom Le nom")).fill("eloise lefevre")
    page.get_by_role("button", name="Rechercher").click()
    assert page.locator("#resultats").inner_text() == "1 résultat"
    page.get_by_role("link", name="Docteur Éloïse LEFÈVRE").click()
    page.wait_for_url(f"{live_server.url}/professionnel/{person.rpps}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Docteur Éloïse LEFÈVRE"
    assert "MAISON DE SANTÉ DES LICES" in page.content()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la fiche (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"fiche-rpps-{person.rpps}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-") and saved.stat().st_size > 1000


def test_a_structure_where_nobody_practises_is_found_by_name_and_by_finess(
    flushable_sqlite, browser, live_server, recording
):
    empty = factories.structure(
        name="CENTRE DE SANTÉ DU LAC", postal_code="49000", commune_label="Angers", department_code="49"
    )
    connections.close_all()  # the live server thread reads through its own connection

    page = browser.new_page()
    page.goto(f"{live_server.url}/recherche/")
    page.get_by_role("button", name="Rechercher").click()
    assert "Remplissez au moins un critère" in page.inner_text("main")  # an empty search says what to fill in
    page.get_by_role("textbox", name=re.compile(r"^Nom de la structure")).fill("centre de sante du lac")
    page.get_by_role("button", name="Rechercher").click()
    found = page.get_by_role("list", name="Structures trouvées")
    assert "CENTRE DE SANTÉ DU LAC" in found.inner_text() and "Aucun professionnel enregistré" in page.inner_text(
        "main"
    )
    page.get_by_role("textbox", name=re.compile(r"^Nom de la structure")).fill("")
    page.get_by_role("textbox", name=re.compile(r"^Identifiant")).fill(empty.finess)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="CENTRE DE SANTÉ DU LAC").click()
    page.wait_for_url(f"{live_server.url}/structure/{empty.technical_id}/")
    assert page.get_by_role("heading", level=1).inner_text() == "CENTRE DE SANTÉ DU LAC"
