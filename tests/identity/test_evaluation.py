import pytest

from rpps.identity.evaluation import CORRUPTIONS, MIX, corrupt, evaluate, labelled_cases
from rpps.identity.identity_index import rebuild
from rpps.registry.population.run import generate

pytestmark = pytest.mark.django_db


def test_labelled_cases_cover_every_kind_and_the_resolver_makes_no_false_merge():
    generate(300, 9, progress=False)
    assert rebuild(full=False) == 300
    cases = labelled_cases(600, 4)
    assert {c.kind for c in cases} == set(MIX)
    assert {x for c in cases for x in c.corruptions} == set(CORRUPTIONS)
    report = evaluate(cases)
    assert report.requests == 600
    assert report.false_merges == 0
    assert report.recall >= 0.97
    assert report.review_share <= 0.06


def test_corruptions_change_what_they_say():
    import datetime
    import random

    person = {
        "id": 1,
        "nom": "DUPONT-MARTIN",
        "usage": "LEROY",
        "prenoms": "Hélène Marie",
        "sexe": "F",
        "date": datetime.date(1980, 3, 12),
        "lieu": "49007",
    }
    rng = random.Random(1)
    assert corrupt(rng, person, "usage_name")["nom"] == "LEROY"
    assert corrupt(rng, person, "given_swapped")["prenoms"] == "Marie Hélène"
    assert corrupt(rng, person, "compound_split_or_joined")["nom"] == "DUPONTMARTIN"
    assert corrupt(rng, person, "day_month_swapped")["date"] == datetime.date(1980, 12, 3)
    assert corrupt(rng, person, "place_missing")["lieu"] == ""
    assert corrupt(rng, person, "lost_accents")["prenoms"] == "helene marie"


def test_the_second_labelled_set_covers_its_variations_and_merges_no_look_alike():
    """The set written from real-world variation classes (variation.py): twins one letter apart, simple vs
    compound first names, parents and children of the same names are never merged; duplicates are found."""
    from rpps.identity.variation import DISTINCT, VARIATIONS, variation_cases

    generate(300, 9, progress=False)
    rebuild(full=False)
    cases = variation_cases(800, 5)
    assert {c.corruptions[0] for c in cases} == set(VARIATIONS)
    assert {c.kind for c in cases} == (DISTINCT - {"new"}) | {"duplicate", "new"}
    report = evaluate(cases)
    assert report.false_merges == 0
    assert report.recall >= 0.97


def test_variations_change_what_they_say():
    import datetime
    import random

    from rpps.identity.variation import _distinct, _duplicate

    person = {
        "id": 1,
        "nom": "DUPONT",
        "usage": "",
        "prenoms": "Marie-Hélène Claire",
        "sexe": "F",
        "date": datetime.date(1980, 3, 12),
        "lieu": "75056",
    }
    rng = random.Random(3)
    assert _duplicate(rng, person, "fields_swapped")["nom"] == "Marie-Hélène Claire"
    assert _duplicate(rng, person, "place_other_code")["lieu"].startswith("751")  # an arrondissement of Paris
    assert _duplicate(rng, person, "unknown_day")["date"] in (datetime.date(1980, 1, 1), datetime.date(1980, 3, 1))
    assert _duplicate(rng, person, "misread") != person
    assert _distinct(rng, person, "twin_compound") is None  # a compound first name has no compound twin here
    simple = _distinct(rng, person | {"prenoms": "Rose Léa"}, "twin_compound")["prenoms"]
    assert simple.startswith("Rose-") and simple.endswith(" Léa")
    assert abs(_distinct(rng, person, "father_son")["date"].year - 1980) >= 20
