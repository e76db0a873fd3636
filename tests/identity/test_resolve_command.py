import pytest
from django.core.management import CommandError, call_command

from rpps.registry.models import ChangeRecord, Person
from tests import factories

pytestmark = pytest.mark.django_db


def test_one_decision_per_row_and_nothing_written(tmp_path, recording):
    person = factories.person(
        birth_name="HOARAU", given_names="Maëva", birth_date="1990-05-06", birth_place_code="97411", sex_code="F"
    )
    source = tmp_path / "identites.csv"
    source.write_text(
        "nom_naissance;prenoms;date_naissance;sexe;code_lieu_naissance\n"
        "Hoarau;Maeva;1990-05-06;F;97411\n"
        "Hoarau;Maeva;1990-05-06;M;97411\n"
        "Inconnu;Paul;1970-01-01;M;75056\n"
        ";Paul;1970-02-30;M;\n",
        encoding="utf-8",
    )
    output = tmp_path / "decisions.csv"
    writes = ChangeRecord.objects.count()
    call_command("resolve_identities", str(source), "--output", str(output))
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "decision;rpps;explication"
    assert lines[1].startswith(f"MATCH;{person.rpps};{person.rpps} — nom : concorde")
    assert lines[2].startswith(f"POSSIBLE;{person.rpps};") and "sexe : diffère" in lines[2]
    assert lines[3] == "NO_MATCH;;aucun candidat proche dans le répertoire"
    assert lines[4].startswith("ERREUR;;")
    assert "nom de naissance : le nom de naissance est obligatoire." in lines[4]
    assert "la date « 1970-02-30 » n'existe pas." in lines[4]
    assert Person.objects.count() == 1 and ChangeRecord.objects.count() == writes


def test_missing_columns_are_reported(tmp_path):
    source = tmp_path / "mauvais.csv"
    source.write_text("nom;prenom\nX;Y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Colonnes manquantes"):
        call_command("resolve_identities", str(source))
