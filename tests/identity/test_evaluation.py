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
