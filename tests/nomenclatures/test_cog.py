"""The COG table shipped with the product: what a birth place code names, and finding a commune by name."""

from rpps.nomenclatures import cog


def test_every_code_leads_to_the_commune_it_belongs_to_today():
    assert cog.current_commune("75116").name == "Paris"
    assert cog.current_commune("20004").name == "Ajaccio"
    assert cog.current_commune("01340").name == "Arboys en Bugey"
    assert cog.current_commune("01999") is None
    assert cog.current_code("01999") == "01999"  # an unknown code is compared as it is


def test_search_ignores_accents_case_and_hyphens_and_names_the_commune_of_today():
    found = cog.search("saint bois")
    assert [c.code for c in found] == ["01340"]
    assert found[0].label == "Saint-Bois (01, commune déléguée de Arboys en Bugey)"
    assert cog.search("REZE")[0].label == "Rezé (44)"


def test_search_narrows_by_department_and_finds_a_code():
    in_rhone = cog.search("lyon 69")
    assert in_rhone[0].label == "Lyon (69)"
    assert {c.department for c in in_rhone} == {"69"}
    assert [c.code for c in cog.search("2A004")] == ["2A004"]
    assert cog.search("") == [] and cog.search("   ") == []


def test_a_birth_place_is_shown_in_words_with_its_code():
    assert cog.place_label("49007") == "Angers (49) — code 49007"
    assert cog.place_label("75116").startswith("Paris 16e Arrondissement (75, arrondissement municipal de Paris)")
    assert cog.place_label("99134", "Madrid") == "né(e) à l'étranger (Madrid, code pays 99134)"
    assert cog.place_label("12999") == "code 12999 (inconnu du COG)"
    assert cog.place_label("") == ""
