import datetime

import pytest

from rpps.identity.traits import InvalidTraits, Traits


def test_valid_traits_are_normalised():
    traits = Traits.parse(
        nom="N'Diaye", prenoms="Aïssatou  Marie", sexe="f", date_naissance="1988-03-14", lieu_naissance="99341"
    )
    assert traits == Traits("N DIAYE", "AISSATOU MARIE", "F", datetime.date(1988, 3, 14), "99341", "AISSATOU")
    assert traits.first_given == "AISSATOU"


def test_every_bad_trait_gets_its_own_french_message():
    with pytest.raises(InvalidTraits) as exc:
        Traits.parse(nom=" ", prenoms="", sexe="X", date_naissance="1980-02-30", lieu_naissance="96004")
    assert exc.value.errors == {
        "nom": "le nom de naissance est obligatoire.",
        "prenoms": "au moins un prénom de naissance est obligatoire.",
        "sexe": "le sexe doit être F ou M.",
        "date_naissance": "la date « 1980-02-30 » n'existe pas.",
        "lieu_naissance": "« 96004 » n'est ni un code commune INSEE connu (département valide + 3 chiffres) "
        "ni un code pays INSEE (99 suivi de 3 chiffres).",
    }
    assert str(exc.value).startswith("nom de naissance : le nom de naissance est obligatoire.")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "la date de naissance est obligatoire."),
        ("14/03/1988", "« 14/03/1988 » n'est pas une date au format AAAA-MM-JJ."),
        ("2999-01-01", "la date de naissance ne peut pas être dans le futur."),
        ("1850-01-01", "la date de naissance doit être postérieure à 1900."),
    ],
)
def test_bad_dates(value, message):
    with pytest.raises(InvalidTraits) as exc:
        Traits.parse(nom="DUPONT", prenoms="Jean", sexe="M", date_naissance=value)
    assert exc.value.errors == {"date_naissance": message}


@pytest.mark.parametrize("place", ["75056", "2A004", "2B033", "20004", "20033", "97411", "99134", ""])
def test_known_place_shapes(place):
    assert Traits.parse(nom="X", prenoms="Y", sexe="M", date_naissance="1980-01-01", lieu_naissance=place)


@pytest.mark.parametrize("place", ["00001", "96001", "97701", "99000", "99999", "7505", "PARIS"])
def test_unknown_places(place):
    with pytest.raises(InvalidTraits, match="lieu de naissance"):
        Traits.parse(nom="X", prenoms="Y", sexe="M", date_naissance="1980-01-01", lieu_naissance=place)


def test_first_given_name_must_start_the_list():
    with pytest.raises(InvalidTraits, match="ne correspond pas au début de la liste"):
        Traits.parse(
            nom="X", prenoms="Jean Christophe", premier_prenom="Christophe", sexe="M", date_naissance="1980-01-01"
        )
    Traits.parse(
        nom="X", prenoms="Jean-Christophe Paul", premier_prenom="Jean Christophe", sexe="M", date_naissance="1980-01-01"
    )
