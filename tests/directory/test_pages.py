"""Practitioner and structure pages, and the one-page PDF sheet."""

import re

import pytest

from rpps.identity.services import merge_persons
from rpps.registry.models import Person
from tests import factories
from tests.conftest import data_queries

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def test_practitioner_page_shows_the_public_record(client, directory):
    helene = directory["helene"]
    response = client.get(f"/professionnel/{helene.rpps}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Docteur Hélène BÉRANGER</h1>" in html
    for shown in [
        f"RPPS {helene.rpps}",
        f"IDNPS 8{helene.rpps}",
        "Médecin",
        "Civil",
        "Médecine générale (SM)",
        "DE Docteur en médecine",
        "HÔPITAL SAINT-JACQUES",
        "85 Rue Saint-Jacques",
        "44093 Nantes",
        "CABINET DU PARC",
        "helene.beranger@medecin.mssante.fr",
        "Télécharger la fiche (PDF)",
    ]:
        assert shown in html, shown
    assert f'href="/structure/{directory["site"].technical_id}/"' in html


def test_a_professional_registered_by_their_structure_is_headed_by_their_role(client, directory):
    html = client.get(f"/professionnel/{directory['social'].rpps}/").content.decode()
    assert re.search(r'<h2 id="exercice-1">Aide-soignant</h2>', html)
    assert "caractérisé par rôle" not in html
    results = client.get("/recherche/", {"nom": "ndiaye"}).content.decode()
    assert "Professionnel enregistré par sa structure" in results and "caractérisé par rôle" not in results


def test_practitioner_page_stable_urls(client, directory, recording):
    nurse = directory["nurse"]
    twin = factories.person(birth_name="DURAND", given_names="Paul", sex_code="M", civility_code="M")
    merge_persons(Person.objects.get(pk=nurse.pk), twin)
    # A number retired by a merge leads to the number that stays, for ever.
    response = client.get(f"/professionnel/{twin.rpps}/")
    assert response.status_code == 301 and response["Location"] == f"/professionnel/{nurse.rpps}/"
    assert client.get(f"/professionnel/{twin.rpps}/fiche.pdf")["Location"] == f"/professionnel/{nurse.rpps}/fiche.pdf"
    for unknown in ["10000000000", "abc", "1" * 200, "%27%20OR%201%3D1"]:
        response = client.get(f"/professionnel/{unknown}/")
        assert response.status_code == 404
        assert "Page introuvable" in response.content.decode()


def test_practitioner_page_query_count(client, directory, recording):
    """The page's queries do not grow with what the professional holds: situations, savoir-faire,
    diplomas, mailboxes, cards (one query each kind, not one per item)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    helene = directory["helene"]
    url = f"/professionnel/{helene.rpps}/"
    client.get(url)  # nomenclature labels are cached per process

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(data_queries(queries.captured_queries))

    before = count()
    exercise = helene.exercises.get()
    for i in range(6):
        factories.activity(exercise, factories.structure(name=f"CABINET {i}"))
        factories.diploma(exercise, code="DE01", label=f"Diplôme {i}")
        factories.mailbox(helene, address=f"helene.{i}@medecin.mssante.fr")
    html = client.get(url).content.decode()
    assert "CABINET 5" in html and "helene.5@medecin.mssante.fr" in html
    # person, exercises, per exercise: situations, savoir-faire, diplomas, authorizations; mailboxes,
    # cards; django-dsfr's 2 config reads
    assert count() == before <= 11


def test_pdf_sheet_is_one_page_with_the_public_information(client, directory):
    helene = directory["helene"]
    response = client.get(f"/professionnel/{helene.rpps}/fiche.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="fiche-rpps-{helene.rpps}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", response.content)) == 1
    text = pdf_text(response.content)
    for shown in [
        helene.rpps,
        "BÉRANGER",
        "Médecin",
        "Médecine générale (SM)",
        "HÔPITAL SAINT-JACQUES",
        "44093 Nantes",
        "helene.beranger@medecin.mssante.fr",
        f"/professionnel/{helene.rpps}/",
    ]:
        assert shown in text, shown


def test_pdf_sheet_stays_one_page_when_there_is_too_much(client, recording):
    exercise = factories.exercise()
    for i in range(60):
        factories.activity(exercise, factories.structure(name=f"CENTRE DE SANTÉ NUMÉRO {i}"))
    response = client.get(f"/professionnel/{exercise.person.rpps}/fiche.pdf")
    assert len(re.findall(rb"/Type /Page\b", response.content)) == 1
    text = pdf_text(response.content)
    assert "CENTRE DE SANTÉ NUMÉRO 0" in text and "CENTRE DE SANTÉ NUMÉRO 59" not in text
    assert "la suite de cette fiche est sur la page web" in text


def test_structure_page(client, directory, recording, monkeypatch):
    site, legal = directory["site"], directory["legal"]
    html = client.get(f"/structure/{site.technical_id}/").content.decode()
    for shown in [
        "<h1>HÔPITAL SAINT-JACQUES</h1>",
        site.finess,
        site.siret,
        "85 Rue Saint-Jacques",
        "CHU DE NANTES",
        "Professionnels exerçant ici (2 résultats)",
        "BÉRANGER",
        "N&#x27;DIAYE",
    ]:
        assert shown in html, shown
    assert f'href="/structure/{legal.technical_id}/"' in html
    legal_html = client.get(f"/structure/{legal.technical_id}/").content.decode()
    assert "Établissements rattachés (1)" in legal_html and "HÔPITAL SAINT-JACQUES" in legal_html
    assert "Etablissement public de santé" in legal_html  # sector label
    assert client.get("/structure/F000000000/").status_code == 404
    assert client.get("/structure/" + "x" * 300 + "/").status_code == 404


def test_structure_page_pages_its_professionals(client, recording, monkeypatch):
    from rpps.directory import search

    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    structure = factories.structure(name="MAISON DE SANTÉ")
    for name in ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"]:
        factories.activity(factories.exercise(last_name=name), structure)
    page2 = client.get(f"/structure/{structure.technical_id}/", {"page": 2}).content.decode()
    assert "CHARLIE" in page2 and "DELTA" in page2 and "ALPHA" not in page2 and "ECHO" not in page2
    assert "(5 résultats)" in page2


def test_structure_page_query_count(client, directory, recording, assert_max_reads):
    for i in range(30):
        factories.activity(factories.exercise(last_name=f"NOM{factories.letters(i, 2)}"), directory["site"])
    client.get(f"/structure/{directory['site'].technical_id}/")  # nomenclature labels are cached per process
    # structure with its legal entity, sites (and their count), professionals: count, page, lines,
    # specialties; django-dsfr's 2 config reads — whatever the number of professionals
    with assert_max_reads(8):
        assert client.get(f"/structure/{directory['site'].technical_id}/").status_code == 200
