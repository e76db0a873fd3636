"""The decision for one candidate, trait by trait: what a registration clerk would expect."""

import datetime

import pytest

from rpps.identity.normalize import normalize_name, phonetic
from rpps.identity.scoring import MATCH, NO_MATCH, POSSIBLE, Candidate, compare, explain
from rpps.identity.traits import Traits

KNOWN = {"nom": "Dupont-Martin", "usage": "Lefèvre", "prenoms": "Hélène Marie", "sexe": "F",
         "date": datetime.date(1980, 3, 12), "lieu": "49007"}  # fmt: skip


def candidate(**changes) -> Candidate:
    k = KNOWN | changes
    name, usage, given = normalize_name(k["nom"]), normalize_name(k["usage"]), normalize_name(k["prenoms"])
    return Candidate(1, name, usage, given, phonetic(name), phonetic(usage), phonetic(given.split()[0]), k["sexe"],
                     k["date"], k["lieu"])  # fmt: skip


def decide(known=None, **request):
    raw = {"nom": KNOWN["nom"], "prenoms": KNOWN["prenoms"], "sexe": KNOWN["sexe"],
           "date_naissance": KNOWN["date"].isoformat(), "lieu_naissance": KNOWN["lieu"]} | request  # fmt: skip
    traits = Traits.parse(**raw)
    return compare(traits, phonetic(traits.birth_name), known or candidate())


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
        ({"date_naissance": "1980-03-13", "lieu_naissance": ""}, POSSIBLE),  # one digit and no place
        ({"nom": "DUPONT-MATRIN", "date_naissance": "1980-03-13"}, MATCH),  # surname slip and date slip, same place
        ({"prenoms": "Hélène", "date_naissance": "1980-03-13"}, POSSIBLE),  # given names missing and date slip
        ({"prenoms": "Marie Hélèen"}, MATCH),  # given names swapped with a typo
        ({"nom": "BERNARD", "prenoms": "Hélène", "date_naissance": "1980-03-13"}, NO_MATCH),
        ({"prenoms": "Marie Hélène", "lieu_naissance": ""}, POSSIBLE),
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


def test_the_explanation_names_each_trait_in_french():
    result = decide(nom="Lefèvre", date_naissance="1980-12-03", lieu_naissance="")
    assert explain(result) == (
        "nom : proche (nom d'usage à la place du nom de naissance), prénoms : concorde, sexe : concorde, "
        "date de naissance : proche (jour et mois inversés), lieu de naissance : inconnu (non renseigné)"
    )
    assert result.decision == POSSIBLE
