"""The public search, as a visitor uses it: criteria, accents, paging, and the index following the registry."""

import datetime
import re

import pytest

from rpps.directory import search, search_index
from rpps.directory.models import Entry
from rpps.identity.services import merge_persons
from rpps.registry.models import Activity, Exercise, Person
from tests import factories

pytestmark = pytest.mark.django_db


def found(client, **params) -> list[str]:
    """The RPPS numbers listed on the results page, in order."""
    response = client.get("/recherche/", params)
    assert response.status_code == 200
    return re.findall(r'href="/professionnel/(\d{11})/"', response.content.decode())


def heading(client, **params) -> str:
    html = client.get("/recherche/", params).content.decode()
    return re.search(r'<h2 id="resultats">([^<]*)</h2>', html).group(1)


@pytest.mark.parametrize(
    "typed", ["beranger", "BERANGER", "Béranger", "bér", "helene ber", "Béranger Hél", "  béRANGER  "]
)
def test_name_without_accents_or_case_finds_the_professional(client, directory, typed):
    assert found(client, nom=typed) == [directory["helene"].rpps]


def test_contains_finds_the_middle_of_a_name_and_prefix_does_not(client, directory):
    assert found(client, nom="range", mode="contient") == [directory["helene"].rpps]
    assert found(client, nom="range") == []
    # Spaces and punctuation do not count: N'DIAYE is found as ndiaye, n diaye or n'diaye.
    for typed in ["ndiaye", "n diaye", "N'Diaye awa", "awa ndiaye", "awa n"]:
        assert found(client, nom=typed) == [directory["social"].rpps], typed
    assert found(client, nom="diaye", mode="contient") == [directory["social"].rpps]


def test_birth_names_are_private_and_never_searched(client, directory):
    # Hélène's birth name is MARTIN; the directory knows her by her name of exercise only.
    assert found(client, nom="martin") == []
    assert found(client, nom="artin", mode="contient") == []


def test_profession_specialty_and_role_filters(client, directory):
    assert found(client, profession="60") == [directory["nurse"].rpps]
    assert found(client, savoir_faire="SM54") == [directory["helene"].rpps]
    assert found(client, role="313") == [directory["social"].rpps]
    assert found(client, profession="10", savoir_faire="SM26") == []


def _options(client, name: str) -> list[str]:
    html = client.get("/recherche/").content.decode()
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r"<option value=\"[^\"]*\"(?: selected)?>([^<]*)</option>", select)


def test_a_label_two_codes_carry_is_offered_once_and_finds_both(client, directory, recording):
    """Renumbered entries (Ostéopathe 71 and 171, Aide à domicile 350 and 372) are one choice for a
    citizen, and choosing it finds the records under either code."""
    professions, roles = _options(client, "profession"), _options(client, "role")
    assert len(professions) == len(set(professions)) and professions.count("Ostéopathe") == 1
    assert len(roles) == len(set(roles)) and roles.count("Aide à domicile") == 1
    assert "Acteur participant au système de santé caractérisé par rôle" not in professions
    assert "Professionnel enregistré par sa structure" in professions
    older = factories.professional("ANCIEN", "Jules", kind={"profession_code": "71", "exercise_civility_code": ""})
    factories.activity(older.exercises.get(), directory["cabinet"])
    Exercise.objects.filter(person=older).update(profession_code="171")  # a record from before the renumbering
    aide = factories.professional("AIDE", "Lou")
    factories.activity(aide.exercises.get(), directory["site"], role_code="372")
    search_index.rebuild()
    assert found(client, profession="71") == [older.rpps]
    assert found(client, role="350") == [aide.rpps]


@pytest.mark.parametrize(
    ("lieu", "who"),
    [
        ("49", ["doctor", "nurse"]),
        ("49100", ["doctor", "nurse"]),
        ("Angers", ["doctor", "nurse"]),
        ("ang", ["doctor", "nurse"]),
        ("44", ["doctor", "social"]),
        ("nantes", ["doctor", "social"]),
        ("75", []),
    ],
)
def test_place_filters_any_open_situation_and_count_each_professional_once(client, directory, lieu, who):
    expected = sorted(
        {"doctor": directory["helene"], "nurse": directory["nurse"], "social": directory["social"]}[w].rpps for w in who
    )
    assert sorted(found(client, lieu=lieu)) == expected


def test_a_professional_at_two_matching_places_is_one_result(client, directory):
    factories.activity(
        directory["doctor"],
        factories.structure(name="CLINIQUE", postal_code="49000", commune_label="Angers", department_code="49"),
    )
    assert found(client, lieu="49", profession="10") == [directory["helene"].rpps]
    assert heading(client, lieu="49", profession="10") == "1 résultat"


def test_structure_name_and_identifiers(client, directory):
    assert found(client, structure="saint jacq") == sorted(
        [directory["helene"].rpps, directory["social"].rpps], key=lambda r: r != directory["helene"].rpps
    )
    assert found(client, identifiant=directory["nurse"].rpps) == [directory["nurse"].rpps]
    assert found(client, identifiant="8" + directory["nurse"].rpps) == [directory["nurse"].rpps]
    # A legal entity's FINESS finds the professionals of its sites, and links to the structure.
    response = client.get("/recherche/", {"identifiant": directory["legal"].finess})
    assert f'href="/structure/{directory["legal"].technical_id}/"' in response.content.decode()
    assert sorted(found(client, identifiant=directory["legal"].finess)) == sorted(
        [directory["helene"].rpps, directory["social"].rpps]
    )
    assert sorted(found(client, identifiant=directory["site"].siret)) == sorted(
        [directory["helene"].rpps, directory["social"].rpps]
    )


def structures_listed(client, **params) -> list[str]:
    html = client.get("/recherche/", params).content.decode()
    block = re.search(r'aria-label="Structures trouvées">(.*?)</ul>', html, re.S)
    return re.findall(r'href="/structure/([^/]+)/"', block.group(1)) if block else []


@pytest.mark.parametrize("typed", ["saint jacques", "Saint-Jacques", "HOPITAL jacq", "hôpital"])
def test_structures_are_found_by_name_as_typed(client, directory, typed):
    assert structures_listed(client, structure=typed) == [directory["site"].technical_id]


def test_a_structure_where_nobody_practises_is_found_and_says_so(client, directory, recording):
    empty = factories.structure(name="EHPAD LES TILLEULS", postal_code="49100", commune_label="Angers")
    page = client.get("/recherche/", {"structure": "tilleuls"}).content.decode()
    assert structures_listed(client, structure="tilleuls") == [empty.technical_id]
    assert "Aucun professionnel enregistré ne correspond à ces critères dans ces structures" in page
    assert "FINESS " + empty.finess in page
    by_finess = client.get("/recherche/", {"identifiant": empty.finess}).content.decode()
    assert f'href="/structure/{empty.technical_id}/"' in by_finess
    # The place narrows the structures too.
    assert structures_listed(client, structure="tilleuls", lieu="49") == [empty.technical_id]
    assert structures_listed(client, structure="tilleuls", lieu="Angers") == [empty.technical_id]
    assert structures_listed(client, structure="tilleuls", lieu="44") == []
    assert structures_listed(client, structure="tilleuls", lieu="44000") == []


def test_many_structures_of_one_name_ask_for_a_place(client, recording):
    for i in range(search.STRUCTURES_SHOWN + 1):
        factories.structure(name=f"PHARMACIE DU CENTRE {factories.letters(i, 2)}")
    page = client.get("/recherche/", {"structure": "pharmacie du centre"}).content.decode()
    assert len(structures_listed(client, structure="pharmacie du centre")) == search.STRUCTURES_SHOWN
    assert "précisez la commune, le code postal ou le département" in page


@pytest.mark.parametrize("params", [{"nom": ""}, {"nom": "  ", "tri": "nom"}, {"page": "2"}])
def test_an_empty_search_says_what_to_fill_in(client, directory, params):
    page = client.get("/recherche/", params).content.decode()
    assert "Remplissez au moins un critère" in page and "Aucun résultat" not in page
    assert "Remplissez au moins un critère" not in client.get("/recherche/").content.decode()


def test_results_show_name_profession_specialty_and_main_place(client, directory):
    html = client.get("/recherche/", {"nom": "beranger"}).content.decode()
    html = html[html.index('id="resultats"') :]  # the results, not the form's lists
    assert "Docteur Hélène BÉRANGER" in html
    assert "Médecin — Médecine générale (SM)" in html
    assert "HÔPITAL SAINT-JACQUES — 44093 Nantes" in html


def test_paging_total_sort_and_the_cap(client, recording, monkeypatch):
    structure = factories.structure()
    for i in range(45):
        exercise = factories.exercise(factories.person(), last_name=f"NOM{chr(65 + i // 26)}{chr(65 + i % 26)}")
        factories.activity(exercise, structure)
    assert heading(client, profession="10") == "45 résultats — page 1 sur 3"
    page3 = found(client, profession="10", page=3)
    assert len(page3) == 5
    assert found(client, profession="10", tri="-nom")[0] == page3[-1]  # Z → A starts where A → Z ends
    # Past the end: the last page; odd page numbers: the first.
    assert found(client, profession="10", page=7) == page3
    for odd in ["abc", "-3", "0", "1e9", "9" * 40]:
        assert client.get("/recherche/", {"profession": "10", "page": odd}).status_code == 200
    # Deep pages are capped: the page sends to the extraction files.
    monkeypatch.setattr(search, "MAX_PAGES", 2)
    response = client.get("/recherche/", {"profession": "10", "page": 3})
    html = response.content.decode()
    assert "Page non disponible" in html and 'href="/extractions/"' in html
    assert re.findall(r'href="/professionnel/', html) == []
    assert "fichiers d'extraction" in client.get("/recherche/", {"profession": "10"}).content.decode()


def test_the_index_follows_registry_writes(client, directory, recording):
    doctor = directory["doctor"]
    doctor.last_name = "BÉRANGER-LEROUX"
    doctor.full_clean()
    doctor.save()
    assert found(client, nom="leroux", mode="contient") == [directory["helene"].rpps]
    # A situation closed yesterday is no longer a place of practice.
    for activity in Activity.objects.filter(exercise=doctor, structure=directory["cabinet"]):
        activity.end_date = datetime.date.today() - datetime.timedelta(days=1)
        activity.save()
    assert found(client, lieu="49100", profession="10") == []
    # A structure that moves takes its professionals with it.
    cabinet = directory["cabinet"]
    cabinet.commune_label, cabinet.postal_code = "Saumur", "49400"
    cabinet.save()
    assert found(client, lieu="saumur") == [directory["nurse"].rpps]


def test_a_merged_number_leaves_the_index(client, directory, recording):
    twin = factories.professional("DURAND", "Paul", factories.NURSE, sex_code="M", civility_code="M")
    assert len(found(client, nom="durand")) == 2
    merge_persons(Person.objects.get(pk=directory["nurse"].pk), twin)
    assert found(client, nom="durand") == [directory["nurse"].rpps]
    assert not Entry.objects.filter(person_id=twin.pk).exists()


def test_rebuild_gives_the_same_index_as_the_writes(directory):
    from rpps.directory import search_index as index

    columns = list(index.COLUMNS)
    before = sorted(Entry.objects.values_list(*columns))
    index.rebuild()
    assert sorted(Entry.objects.values_list(*columns)) == before
    assert len(before) == 4  # doctor at two sites, nurse, RPPS+ professional


def test_search_page_query_count(client, directory, recording, assert_max_reads):
    for i in range(25):
        factories.activity(
            factories.exercise(factories.person(), last_name=f"DUPONT{factories.letters(i)}"), directory["site"]
        )
    client.get("/recherche/", {"lieu": "44"})  # nomenclature labels are cached per process
    # count, the page's line ids in name order, those lines with their structures, specialties,
    # + django-dsfr's 2 config reads; whatever the number of results
    with assert_max_reads(6):
        assert client.get("/recherche/", {"lieu": "44", "profession": "10"}).status_code == 200
    # a name is read as "LAST FIRST" and as "FIRST LAST": counted twice (and their overlap when both
    # find someone), its page read from each reading that found someone
    with assert_max_reads(8):
        assert client.get("/recherche/", {"nom": "dupont"}).status_code == 200


def test_one_word_is_the_start_of_the_name_two_words_either_order(client, recording):
    factories.exercise(last_name="MARTIN", first_name="Martin")  # matches "martin mar" both ways
    factories.exercise(last_name="MARTIN", first_name="Marc")
    factories.exercise(last_name="MARC", first_name="Martin")
    factories.exercise(last_name="DUBOIS", first_name="Martine")
    assert heading(client, nom="martin") == "2 résultats"  # last names only
    assert heading(client, nom="martin mar") == "3 résultats"  # counted once each
    assert len(found(client, nom="martin mar")) == 3
    assert found(client, nom="martine dub") == found(client, nom="dubois martine") != []


def test_totals_beyond_the_cap_say_so(client, recording, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    structure = factories.structure()
    for name in ["AA", "AB", "AC", "AD", "AE"]:
        factories.activity(factories.exercise(last_name=name), structure)
    assert heading(client, nom="a").startswith("Plus de 3 résultats")
    assert heading(client, lieu="49").startswith("Plus de 3 résultats")  # counting lines of places too
    assert heading(client, nom="aa") == "1 résultat"
    assert len(found(client, nom="a")) == 5  # the page still lists them all


def test_the_public_search_is_limited_per_client_address(client, settings):
    settings.PUBLIC_SEARCH_RATE_LIMIT = 3
    statuses = [client.get("/recherche/", {"nom": "durand"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/recherche/", {"nom": "durand"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Trop de requêtes" in refused.content.decode() and "fichiers d'extraction" in refused.content.decode()
    other = client.get("/recherche/", {"nom": "durand"}, REMOTE_ADDR="192.0.2.7")  # another address
    assert other.status_code == 200


def test_the_practitioner_sheet_is_limited_per_client_address(client, directory, settings):
    settings.PUBLIC_PDF_RATE_LIMIT = 1
    rpps = directory["helene"].rpps
    assert client.get(f"/professionnel/{rpps}/fiche.pdf").status_code == 200
    assert client.get(f"/professionnel/{rpps}/fiche.pdf").status_code == 429
