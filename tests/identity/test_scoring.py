"""The decision for one candidate, trait by trait: what a registration clerk would expect."""

import datetime

import pytest

from rpps.identity.normalize import first_given_name, normalize_name, phonetic
from rpps.identity.scoring import MATCH, NO_MATCH, POSSIBLE, Candidate, compare, explain
from rpps.identity.traits import Traits

KNOWN = {
    "nom": "Dupont-Martin",
    "usage": "Lefèvre",
    "prenoms": "Hélène Marie",
    "sexe": "F",
    "date": datetime.date(1980, 3, 12),
    "lieu": "49007",
}


def candidate(**changes) -> Candidate:
    k = KNOWN | changes
    name, usage, given = normalize_name(k["nom"]), normalize_name(k["usage"]), normalize_name(k["prenoms"])
    return Candidate(
        1,
        name,
        usage,
        given,
        phonetic(name),
        phonetic(usage),
        phonetic(given.split()[0]),
        k["sexe"],
        k["date"],
        k["lieu"],
        first_given_name(k["prenoms"]),
    )


def decide(known=None, *, named=False, **request):
    raw = {
        "nom": KNOWN["nom"],
        "prenoms": KNOWN["prenoms"],
        "sexe": KNOWN["sexe"],
        "date_naissance": KNOWN["date"].isoformat(),
        "lieu_naissance": KNOWN["lieu"],
    } | request
    traits = Traits.parse(**raw)
    return compare(traits, phonetic(traits.birth_name), known or candidate(), named=named)


@pytest.mark.parametrize(
    ("request_changes", "expected"),
    [
        ({}, MATCH),
        ({"nom": "dupont martin", "prenoms": "helene marie"}, MATCH),  # lost accents, hyphen
        ({"nom": "DUPONTMARTIN"}, MATCH),  # compound joined
        ({"nom": "DUPONT-MATRIN"}, MATCH),  # typo
        ({"nom": "Lefèvre"}, MATCH),  # usage name instead of birth name
        ({"prenoms": "Marie Hélène"}, MATCH),  # given names swapped
        ({"prenoms": "Hélène"}, MATCH),  # given names partly missing
        ({"lieu_naissance": ""}, MATCH),  # birth place missing
        ({"date_naissance": "1980-12-03"}, MATCH),  # day and month swapped
        ({"date_naissance": "1980-03-13"}, MATCH),  # one digit, everything else identical
        (
            {"date_naissance": "1980-03-13", "lieu_naissance": ""},
            MATCH,
        ),  # one digit, no place, two identical given names
        ({"nom": "DUPONT-MATRIN", "date_naissance": "1980-03-13"}, MATCH),  # surname slip and date slip, same place
        ({"prenoms": "Hélène", "date_naissance": "1980-03-13"}, MATCH),  # a given name missing and a date slip
        ({"prenoms": "Hélène", "date_naissance": "1980-03-13", "nom": "DUPONT-MATRIN"}, POSSIBLE),  # three slips
        ({"date_naissance": "1980-05-17"}, POSSIBLE),  # a rare name, several given names, a date mistyped twice
        ({"prenoms": "Hélène", "date_naissance": "1980-05-17"}, NO_MATCH),  # one given name: a namesake
        ({"date_naissance": "1987-11-02"}, NO_MATCH),  # four digits apart: another date, not a slip
        ({"prenoms": "Marie Hélèen"}, MATCH),  # given names swapped, a letter slipped in one, all else exact
        ({"prenoms": "Marie Héléna"}, POSSIBLE),  # swapped, and HELENA is another name than HELENE: a human
        ({"prenoms": "Hélèen"}, MATCH),  # first given name misspelt (a name nobody carries), second missing
        ({"prenoms": "Sophie"}, NO_MATCH),  # first given name differs (a twin Sophie, an Hélène Sophie…)
        ({"nom": "BERNARD", "prenoms": "Hélène", "date_naissance": "1980-03-13"}, NO_MATCH),
        ({"prenoms": "Marie Hélène", "lieu_naissance": ""}, MATCH),  # one near miss, no place: twins share it
        ({"sexe": "M"}, POSSIBLE),
        ({"nom": "BERNARD"}, POSSIBLE),  # an unrecorded change of name
        ({"prenoms": "Camille"}, NO_MATCH),  # a twin
        ({"prenoms": "Hélène Louise"}, NO_MATCH),  # conflicting second given name
        ({"date_naissance": "1980-07-28", "lieu_naissance": "75056"}, NO_MATCH),  # homonym born the same year
        ({"nom": "BERNARD", "prenoms": "Paul"}, NO_MATCH),
    ],
)
def test_decisions(request_changes, expected):
    assert decide(**request_changes).decision == expected


def test_one_given_name_and_a_date_slip_without_a_place_is_only_possible():
    known = candidate(prenoms="Hélène")
    assert decide(known, prenoms="Hélène", date_naissance="1980-03-13", lieu_naissance="").decision == POSSIBLE


def test_common_names_need_more_evidence():
    traits = Traits.parse(
        nom="Dupont-Martin", prenoms="Hélène", sexe="F", date_naissance="1980-03-13", lieu_naissance="49007"
    )
    known = candidate(prenoms="Hélène")
    assert compare(traits, phonetic(traits.birth_name), known).decision == MATCH
    assert compare(traits, phonetic(traits.birth_name), known, common=True).decision == POSSIBLE
    other_place = Traits.parse(
        nom="Dupont-Martin", prenoms="Hélène", sexe="F", date_naissance="1980-03-12", lieu_naissance="75056"
    )
    assert compare(other_place, phonetic(traits.birth_name), candidate(), common=True).decision == NO_MATCH


def test_the_explanation_names_each_trait_in_french():
    result = decide(nom="Lefèvre", date_naissance="1980-12-03", lieu_naissance="")
    assert explain(result) == (
        "nom : proche (nom d'usage à la place du nom de naissance), prénoms : concorde, sexe : concorde, "
        "date de naissance : proche (jour et mois inversés), lieu de naissance : inconnu (non renseigné)"
    )
    assert result.decision == POSSIBLE


@pytest.mark.parametrize(
    ("known_place", "requested_place"),
    [("75056", "75116"), ("69123", "69383"), ("13201", "13055"), ("2A004", "20004"), ("20033", "2B033")],
)
def test_a_commune_under_another_of_its_codes_is_the_same_birth_place(known_place, requested_place):
    """Paris, Lyon and Marseille are written with an arrondissement or the commune code; Corsica's communes
    born before 1976 carry the 20xxx code of the single department (the split kept the three digits)."""
    result = decide(candidate(lieu=known_place), lieu_naissance=requested_place)
    assert result.decision == MATCH
    assert result.traits["lieu_naissance"].state == "agree"
    assert "autre code" in explain(result)


def test_neighbouring_codes_stay_different_places():
    assert decide(candidate(lieu="2A004"), lieu_naissance="20005").traits["lieu_naissance"].state == "differ"
    assert decide(candidate(lieu="75056"), lieu_naissance="75121").traits["lieu_naissance"].state == "differ"


@pytest.mark.parametrize(
    ("known_given", "requested_given"),
    [("Léon", "Léo"), ("Sophia", "Sophie"), ("Louis", "Louise"), ("Noé", "Noël"), ("Rose Marie Léa", "Rose Léa")],
)
def test_twins_and_namesakes_are_never_merged(known_given, requested_given):
    """Same surname, date, place and sex, given names one ending apart or a name missing from the middle:
    how twins are named as much as how typing errs — a human decides (POSSIBLE), never a MATCH."""
    result = decide(candidate(prenoms=known_given), prenoms=requested_given)
    assert result.decision == POSSIBLE, explain(result)


@pytest.mark.parametrize(
    ("known_given", "requested_given"),
    [("Élodie", "Élode"), ("Aurélie", "Aurélei"), ("Céline", "Célien"), ("Fatoumata", "Fatoumaat")],
)
def test_a_slip_inside_a_first_given_name_is_a_match(known_given, requested_given):
    """A letter dropped or two swapped inside the name is how fingers err, not how two names differ
    (names differ at their end: Léo / Léon, Sophia / Sophie)."""
    result = decide(candidate(prenoms=known_given), prenoms=requested_given)
    assert result.decision == MATCH, explain(result)


@pytest.mark.parametrize("requested", ["1980-01-01", "1980-03-01"])
def test_an_unknown_birth_day_recorded_as_the_first_is_found(requested):
    """Civil records with an unknown day carry 1 January (or the 1st of the month): with everything else
    exact down to the commune and a rare name, the same person; without the commune, for a human."""
    result = decide(
        candidate(date=datetime.date(1980, 3, 12), prenoms="Hélène"), prenoms="Hélène", date_naissance=requested
    )
    assert result.decision == MATCH, explain(result)
    assert "jour de naissance inconnu" in explain(result)
    no_place = decide(
        candidate(date=datetime.date(1980, 3, 12), prenoms="Hélène"),
        prenoms="Hélène",
        date_naissance=requested,
        lieu_naissance="",
    )
    assert no_place.decision == POSSIBLE, explain(no_place)
    # the record holds the convention and the request brings a day: a namesake as often, for a human
    record_unknown = decide(
        candidate(date=datetime.date.fromisoformat(requested), prenoms="Hélène"),
        prenoms="Hélène",
        date_naissance="1980-03-12",
    )
    assert record_unknown.decision == POSSIBLE and "au répertoire" in explain(record_unknown)
    other_year = decide(
        candidate(date=datetime.date(1980, 3, 12), prenoms="Hélène"), prenoms="Hélène", date_naissance="1981-01-01"
    )
    assert other_year.decision == NO_MATCH


def test_a_commune_merged_since_is_the_same_birth_place():
    """Saint-Bois (01340) joined Arboys en Bugey (01015) in 2016: a birth before is recorded under either code."""
    result = decide(candidate(lieu="01015"), lieu_naissance="01340")
    assert result.decision == MATCH
    assert "commune fusionnée" in explain(result)


def test_a_neighbouring_commune_is_close_and_matches_when_all_else_is_exact():
    """Born in Rezé, declared in Nantes (the maternity's commune): the same administrative arrondissement."""
    result = decide(candidate(lieu="44109"), lieu_naissance="44143")
    assert result.traits["lieu_naissance"].state == "close"
    assert "commune voisine" in explain(result)
    assert result.decision == MATCH


def test_a_neighbouring_commune_does_not_carry_a_near_miss_on_the_given_names():
    """Twins share their commune; with a commune only close, given names that only overlap stay for a human."""
    result = decide(candidate(lieu="44109"), lieu_naissance="44143", prenoms="Hélène Mariette")
    assert result.decision != MATCH


def test_born_in_another_department_is_another_person():
    """Everything else identical, born in Marseille rather than Nantes, codes no slip explains: a namesake
    born the same day (INS traits), said so."""
    result = decide(candidate(lieu="44109"), lieu_naissance="13055")
    assert result.traits["lieu_naissance"].state == "differ"
    assert result.decision == NO_MATCH
    assert "né ailleurs" in explain(result)


@pytest.mark.parametrize(
    ("known", "requested"),
    [
        ("44109", "44184"),  # Nantes / Saint-Nazaire: another arrondissement of the same department
        ("44109", "45109"),  # one digit of the code typed wrong
    ],
)
def test_a_birth_place_a_slip_or_a_declaration_explains_is_for_a_human(known, requested):
    result = decide(candidate(lieu=known), lieu_naissance=requested)
    assert result.decision == POSSIBLE, explain(result)


@pytest.mark.parametrize(
    ("country", "born", "outcome"),
    [
        ("99352", datetime.date(1955, 3, 12), POSSIBLE),  # French Algeria: written as a commune or as the country
        ("99352", datetime.date(1980, 3, 12), NO_MATCH),  # Algeria long after 1962: another country
        ("99134", datetime.date(1955, 3, 12), NO_MATCH),  # Spain was never France
        ("99243", datetime.date(1950, 3, 12), POSSIBLE),  # Indochina before 1954
    ],
)
def test_france_against_a_country_is_for_a_human_only_where_the_country_was_french(country, born, outcome):
    """A namesake born the same day in Spain is another person; a birth in French Algeria may be written
    under its commune of the time or under the country."""
    result = decide(candidate(lieu="44109", date=born), lieu_naissance=country, date_naissance=born.isoformat())
    assert result.decision == outcome, explain(result)
    if outcome == NO_MATCH:
        assert "né ailleurs" in explain(result)


def test_countries_of_one_zone_are_close_other_zones_differ():
    close = decide(candidate(lieu="99134"), lieu_naissance="99139")  # Spain, Portugal: INSEE zone 1 (Europe)
    assert close.traits["lieu_naissance"].state == "close"
    assert "même zone" in explain(close)
    far = decide(candidate(lieu="99134"), lieu_naissance="99350")  # Spain, Morocco
    assert far.traits["lieu_naissance"].state == "differ"


@pytest.mark.parametrize(("known_given", "requested_given"), [("Anne-Sophie", "Anne"), ("Rose-Marie Léa", "Rose Léa")])
def test_a_compound_first_name_typed_short_is_for_a_human(known_given, requested_given):
    """Rose and Rose-Marie are two names (twins are named so), though forms shorten a compound."""
    result = decide(candidate(prenoms=known_given), prenoms=requested_given)
    assert result.decision == POSSIBLE
    assert "prénom simple ou composé" in explain(result)


@pytest.mark.parametrize(("known_given", "requested_given"), [("Rose Léa", "Rose-Marie Léa"), ("Rose", "Rose-Marie")])
def test_a_compound_first_name_against_a_recorded_simple_one_is_another_person(known_given, requested_given):
    """A form shortens a compound, it does not lengthen one: Rose-Marie asking, Rose recorded, is a twin."""
    result = decide(candidate(prenoms=known_given), prenoms=requested_given)
    assert result.decision == NO_MATCH
    assert "autre premier prénom" in explain(result)


def test_a_hyphen_dropped_from_a_compound_leaves_the_given_names_agreeing():
    result = decide(candidate(prenoms="Marie-Hélène Claire"), prenoms="Marie Hélène Claire")
    assert result.decision == MATCH and result.traits["prenoms"].state == "agree"


@pytest.mark.parametrize(
    ("known_given", "requested_given", "expected"),
    [
        ("Mohamed Yanis", "Mohamed Y.", MATCH),  # the first given name in full, the second as its initial
        ("Anne-Sophie Claire", "Anne-So.", MATCH),  # a compound truncated, all else exact down to the commune
        ("Marie-Hélène", "MH", MATCH),  # initials, all else exact (both twins registered: a POSSIBLE, resolver)
        ("Lucas Amaury", "Luc Amaury", POSSIBLE),  # LUC is a name of its own as often as LUCAS cut short
    ],
)
def test_given_names_written_short_are_found(known_given, requested_given, expected):
    result = decide(candidate(prenoms=known_given), prenoms=requested_given)
    assert result.decision == expected
    # without the commune to agree, initials are for a human
    assert decide(candidate(prenoms=known_given), prenoms=requested_given, lieu_naissance="").decision != NO_MATCH


@pytest.mark.parametrize(
    ("field", "known", "requested"),
    [
        ("nom", "DURAND", "DURANO"),
        ("nom", "MORIN", "MORlN"),
        ("nom", "DUPONT", "DUP0NT"),
        ("nom", "GUERMEUR", "GUERRNEUR"),
    ],
)
def test_characters_misread_are_read_back(field, known, requested):
    result = decide(candidate(**{field: known}), **{field: requested})
    assert result.decision == MATCH, explain(result)


def test_a_parent_and_a_child_of_the_same_names_are_not_one_person():
    """Same names, commune and day of the year, 28 years apart: another generation, not a slip."""
    result = decide(date_naissance="1952-03-12")
    assert result.decision == NO_MATCH
    assert "autre génération" in explain(result)


def test_a_decade_digit_typed_wrong_is_for_a_human():
    """1960 / 1980: one digit, or a parent and a child born twenty years apart — a human tells."""
    result = decide(date_naissance="1960-03-12")
    assert result.decision == POSSIBLE and "décennie" in explain(result)
    assert decide(date_naissance="1990-03-12").decision == MATCH  # ten years: no parent and child, a slip


def test_a_decade_typed_wrong_into_a_date_nobody_registers_at_is_read_as_a_slip():
    """1910 for 1980: the requested person would be over 100 years old, a parent of nobody who registers:
    the decade digit was typed wrong. 2020 (a child of six) likewise; a date in the future is refused."""
    result = decide(date_naissance="1910-03-12")
    assert result.decision == MATCH and "décennie mal saisie" in explain(result)
    assert decide(candidate(date=datetime.date(2000, 3, 12)), date_naissance="2020-03-12").decision == MATCH
    assert decide(date_naissance="1910-03-12", lieu_naissance="13055").decision == NO_MATCH  # and born elsewhere
    # the record itself is the implausible one: it is the request that may be a parent or a child
    assert decide(candidate(date=datetime.date(1910, 3, 12)), date_naissance="1980-03-12").decision == POSSIBLE


@pytest.mark.parametrize(
    ("known", "requested"),
    [("1979-12-31", "1980-01-01"), ("1979-03-12", "1980-03-12"), ("1980-02-29", "1980-03-01")],
)
def test_a_day_or_a_year_off_is_one_slip_however_many_digits_it_changes(known, requested):
    result = decide(candidate(date=datetime.date.fromisoformat(known)), date_naissance=requested)
    assert result.decision == MATCH and "un jour ou un an d'écart" in explain(result)


def test_a_long_surname_typed_twice_wrong_is_one_only_when_everything_else_agrees():
    """SERNREY / SENREI: two slips of a long name, same given names, date and commune: the same person.
    Without the commune, or a short name two letters apart (MOREL / MOREAU), for a human at most."""
    known = candidate(nom="Sernrey")
    result = decide(known, nom="SENREI")
    assert result.decision == MATCH and "deux fautes de frappe" in explain(result)
    assert decide(known, nom="SENREI", lieu_naissance="").decision != MATCH
    assert decide(known, nom="SENREI", date_naissance="1980-03-13").decision != MATCH
    assert decide(candidate(nom="Morel"), nom="MOREAU").traits["nom"].state == "differ"


def test_day_and_month_swapped_and_a_digit_wrong_is_a_date_mistyped_twice():
    """12/03/1980 typed 03/12/1981: two slips. With several identical given names and the same commune of a
    rare name, for a human; with a single given name, a namesake."""
    result = decide(date_naissance="1981-12-03")
    assert result.decision == POSSIBLE and "deux chiffres" in explain(result)
    assert decide(date_naissance="1981-12-03", prenoms="Hélène").decision == NO_MATCH


def test_one_near_miss_on_the_given_names_needs_no_birth_place_unless_the_name_is_common():
    """A given name misspelt that no one else carries, everything else exact but the place not given: the
    same person (a birth place would not tell twins apart). With a common surname and given name, the
    commune must confirm it."""
    assert decide(prenoms="Hélèen Marie", lieu_naissance="").decision == MATCH
    raw = {"nom": KNOWN["nom"], "prenoms": "Hélèen Marie", "sexe": KNOWN["sexe"], "date_naissance": "1980-03-12"}
    traits = Traits.parse(**raw, lieu_naissance="")
    assert compare(traits, phonetic(traits.birth_name), candidate(), common=True).decision == POSSIBLE
    assert decide(prenoms="Hélène Mariette", lieu_naissance="").decision != MATCH  # names that only overlap


def test_an_unknown_birth_day_with_everything_else_exact_is_a_match_unless_the_name_is_common():
    assert decide(date_naissance="1980-01-01").decision == MATCH  # Hélène Marie, Angers: nobody that alike
    raw = {"nom": KNOWN["nom"], "prenoms": KNOWN["prenoms"], "sexe": KNOWN["sexe"], "lieu_naissance": KNOWN["lieu"]}
    traits = Traits.parse(**raw, date_naissance="1980-01-01")
    common = compare(traits, phonetic(traits.birth_name), candidate(), common=True)
    assert common.decision == POSSIBLE, explain(common)


def test_a_misspelt_first_given_name_that_others_carry_with_the_second_missing_is_for_a_human():
    """Hélèen for Hélène Marie is a slip; a first given name several persons carry is a name of its own."""
    assert decide(prenoms="Hélèen").decision == MATCH
    assert decide(prenoms="Hélèen", named=True).decision == POSSIBLE


def test_a_one_letter_typo_that_makes_another_name_others_carry_is_not_merged():
    """Lina / Nina: one letter, but two names of their own (both carried in the registry): twins, perhaps."""
    assert decide(candidate(prenoms="Lina"), prenoms="Nina").decision == MATCH
    assert decide(candidate(prenoms="Lina"), prenoms="Nina", named=True).decision == POSSIBLE
