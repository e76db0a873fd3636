import io
import re

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
    errors = io.StringIO()
    call_command("resolve_identities", str(source), "--sortie", str(output), stderr=errors)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "decision;rpps;explication"
    # the command reports its own rate, and what it decided
    assert re.fullmatch(
        r"4 identités résolues en \d+\.\d s \(\d+ par seconde\) : "
        r"ERREUR 1, MATCH 1, NO_MATCH 1, POSSIBLE 1\n",
        errors.getvalue(),
    )
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


HEADER = "nom_naissance;prenoms;date_naissance;sexe;code_lieu_naissance\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_files_saved_by_spreadsheets_are_read_whatever_their_encoding(tmp_path, recording, encoding):
    """A list typed in Excel or LibreOffice comes in Windows-1252, Latin-1 or UTF-16 as often as in UTF-8:
    each is read, and its accented names compared as typed."""
    person = factories.person(
        birth_name="LEFÈVRE", given_names="Hélène", birth_date="1991-07-04", sex_code="F", birth_place_code="75056"
    )
    source = tmp_path / "liste.csv"
    source.write_bytes((HEADER + "Lefèvre;Hélène;1991-07-04;F;75056\n").encode(encoding))
    output = tmp_path / "decisions.csv"
    call_command("resolve_identities", str(source), "--sortie", str(output))
    assert output.read_text(encoding="utf-8").splitlines()[1].startswith(f"MATCH;{person.rpps};")


def test_bad_input_gets_a_french_message_not_a_traceback(tmp_path, recording):
    huge = tmp_path / "enorme.csv"
    huge.write_text(HEADER + "X;" + "Y" * 200_000 + ";1990-01-01;F;75056\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ligne 2 : champ trop long"):
        call_command("resolve_identities", str(huge), "--sortie", str(tmp_path / "sortie.csv"))
    fine = tmp_path / "court.csv"
    fine.write_text(HEADER + "X;Y;1990-01-01;F;75056\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Impossible d'écrire .*le dossier existe-t-il"):
        call_command("resolve_identities", str(fine), "--sortie", str(tmp_path / "absent" / "sortie.csv"))
    binary = tmp_path / "binaire.csv"
    binary.write_bytes(HEADER.encode() + b"X;Y\x00;1990-01-01;F;75056\n")
    call_command("resolve_identities", str(binary), "--sortie", str(tmp_path / "sortie.csv"))
    assert (tmp_path / "sortie.csv").read_text(encoding="utf-8").count("\n") == 2  # a decision, no traceback
    with pytest.raises(CommandError, match="Impossible de lire"):
        call_command("resolve_identities", str(tmp_path / "inexistant.csv"))


def test_a_no_match_says_what_was_found_and_why_it_was_not_enough(tmp_path, recording):
    """A NO_MATCH that compared a candidate names it and its traits, instead of « aucun candidat proche »."""
    person = factories.person(
        birth_name="HOARAU", given_names="Maëva", birth_date="1990-05-06", sex_code="F", birth_place_code="97411"
    )
    source = tmp_path / "liste.csv"
    source.write_text(HEADER + "Hoarau;Lucie Anne;1990-05-06;F;13055\n", encoding="utf-8")
    output = tmp_path / "decisions.csv"
    call_command("resolve_identities", str(source), "--sortie", str(output))
    line = output.read_text(encoding="utf-8").splitlines()[1]
    assert line.startswith("NO_MATCH;;aucun candidat retenu : le plus proche, ")
    assert person.rpps in line and "nom : concorde" in line and "prénoms" in line
