"""Loading a PS_LibreAcces extraction back, and the round trip with the publication."""

import datetime
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rpps.publication import formats, loader, publish
from rpps.publication.reader import open_extraction
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Activity, ChangeRecord, Diploma, Exercise, Expertise, Person, Structure
from tests import factories
from tests.conftest import published_zip

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
DAY = datetime.date(2026, 1, 1)


def load(*paths, apply=True, **options):
    out, err = io.StringIO(), io.StringIO()
    args = [str(p) for p in paths] + (["--appliquer"] if apply else [])
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
    call_command("load_extraction", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_dry_run_reports_changes_per_kind_and_writes_nothing():
    out, err = load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip", apply=False)
    assert "personnes : 2 ajout(s)" in out and "situations : 3 ajout(s)" in out and "Simulation" in out
    assert "identifiant ADELI" in err and "ligne 5" in err
    assert not Person.objects.exists() and not ChangeRecord.objects.exists()


def test_apply_loads_persons_structures_situations_and_children():
    out, err = load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip")
    assert "Changements appliqués" in out
    person = Person.objects.get(rpps="99000000010")
    assert person.civility_code == "MME" and not person.civil_status_known
    exercise = Exercise.objects.get(person=person)
    assert exercise.last_name == "EXEMPLE" and exercise.registration_authority == "CNOM/CNOM/CNOM"
    assert Activity.objects.filter(exercise=exercise).count() == 2
    assert Structure.objects.get(technical_id="F990000010").legal_entity.finess == "990000028"
    assert Expertise.objects.get(exercise=exercise).code == "SM54"
    assert "CAPA" in err  # a savoir-faire type without a shipped table: reported, not loaded
    assert Diploma.objects.filter(exercise=exercise, code="DE01").exists()
    assert ChangeRecord.objects.filter(actor_label="load_extraction").exists()
    again, _ = load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip", apply=False)
    assert "personnes : 0 ajout(s), 0 modification(s)" in again and "situations : 0 ajout(s)" in again


def test_txt_files_a_directory_crlf_bom_and_the_older_52_column_layout(tmp_path):
    source = (SAMPLES / "SYNTHETIC_PS_LibreAcces_Personne_activite_202601010000.txt").read_text(encoding="utf-8")
    old = "\r\n".join("|".join(line.split("|")[:52]) + "|" for line in source.splitlines())
    folder = tmp_path / "extraction"
    folder.mkdir()
    (folder / "PS_LibreAcces_Personne_activite_202601010000.txt").write_bytes(b"\xef\xbb\xbf" + old.encode())
    out, err = load(folder)
    assert "personnes : 2 ajout(s)" in out
    assert Activity.objects.filter(exercise__person__rpps="99000000028").get().genre_code == ""


def test_backslashes_and_tabs_in_a_field_are_loaded_as_written(tmp_path):
    """The file's lines are copied as they are and split by the database: a backslash (COPY's escape
    character) or a tab in a field must come out as typed, not as an escape or a new column."""
    label = "Autre \\N diplôme\\t\tfin\\"
    folder = tmp_path / "extraction"
    folder.mkdir()
    for sample in SAMPLES.glob("SYNTHETIC_PS_LibreAcces_*_202601010000.txt"):
        text = sample.read_text(encoding="utf-8")
        if "Dipl_AutExerc" in sample.name:
            text += f"8|99000000028|899000000028|MODELE|DOMINIQUE|DE|Diplôme d'Etat français|DE03|{label}|||||\n"
        (folder / sample.name.removeprefix("SYNTHETIC_")).write_text(text, encoding="utf-8")
    load(folder)
    assert Diploma.objects.get(exercise__person__rpps="99000000028", code="DE03").label == label


def test_malformed_lines_are_reported_and_skipped_or_stop_the_load(tmp_path):
    text = (SAMPLES / "SYNTHETIC_PS_LibreAcces_Personne_activite_202601010000.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[2] = "8|99000000010|trop court|"
    path = tmp_path / "PS_LibreAcces_Personne_activite_202601010000.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="rien n'est écrit"):
        load(path, lignes_invalides="arreter")
    assert not Person.objects.exists()
    out, err = load(path)
    assert "ligne 3 : 3 champ(s) au lieu de 56" in err and Person.objects.exists()


def test_a_file_in_latin_1_is_refused_in_french_and_a_line_with_a_nul_is_skipped(tmp_path):
    text = (SAMPLES / "SYNTHETIC_PS_LibreAcces_Personne_activite_202601010000.txt").read_text(encoding="utf-8")
    path = tmp_path / "PS_LibreAcces_Personne_activite_202601010000.txt"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    with pytest.raises(CommandError, match="n'est pas encodé en UTF-8.*Rien n'est écrit"):
        load(path)
    assert not Person.objects.exists()
    lines = text.splitlines()
    lines[2] = lines[2].replace("|", "|\x00", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = load(path)
    assert "ligne 3 : caractère nul (octet 0) dans la ligne : ligne ignorée." in err and Person.objects.exists()


def test_missing_columns_or_files_are_refused(tmp_path):
    bad = tmp_path / "PS_LibreAcces_Personne_activite_202601010000.txt"
    bad.write_text("Identifiant PP|Nom|\n1|X|\n", encoding="utf-8")
    with pytest.raises(CommandError, match="colonnes manquantes"):
        load(bad)
    with pytest.raises(CommandError, match="Aucun fichier PS_LibreAcces_Personne_activite"):
        load(SAMPLES / "SYNTHETIC_PS_LibreAcces_SavoirFaire_202601010000.txt")


def test_too_many_removals_are_refused_unless_forced(tmp_path):
    load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip")
    text = (SAMPLES / "SYNTHETIC_PS_LibreAcces_Personne_activite_202601010000.txt").read_text(encoding="utf-8")
    path = tmp_path / "PS_LibreAcces_Personne_activite_202601020000.txt"
    path.write_text("\n".join(text.splitlines()[:2]) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="retirerait"):
        load(path)
    assert Activity.objects.filter(end_date__isnull=True).count() == 3
    load(path, forcer=True)
    assert Activity.objects.filter(end_date__isnull=True).count() == 1


def _lines(publication, stem):
    extraction = "PS_LibreAcces"
    with zipfile.ZipFile(published_zip(publication, extraction)) as archive:
        name = next(n for n in archive.namelist() if n.startswith(stem))
        return archive.read(name).decode().splitlines()[1:]


LABEL_COLUMNS = {i for i, c in enumerate(formats.PERSONNE_ACTIVITE.columns) if c.startswith("Libellé")}


def _codes(line, label_columns):
    # Labels come from our nomenclatures, ANS's differ at times: the round trip compares all else.
    return tuple(v for i, v in enumerate(line.split("|")) if i not in label_columns)


def test_publish_of_a_loaded_file_gives_back_its_lines(settings, tmp_path):
    load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip", date="2026-01-01")
    publication = publish.publish()
    source = (SAMPLES / "SYNTHETIC_PS_LibreAcces_Personne_activite_202601010000.txt").read_text().splitlines()[1:]
    loaded_source = [line for line in source if not line.startswith("0|")]  # ADELI lines are not loaded
    assert sorted(_codes(x, LABEL_COLUMNS) for x in _lines(publication, "PS_LibreAcces_Personne_activite")) == sorted(
        _codes(x, LABEL_COLUMNS) for x in loaded_source
    )
    dipl_labels = {6, 10}
    dipl_source = (SAMPLES / "SYNTHETIC_PS_LibreAcces_Dipl_AutExerc_202601010000.txt").read_text().splitlines()[1:]
    assert sorted(_codes(x, dipl_labels) for x in _lines(publication, "PS_LibreAcces_Dipl_AutExerc")) == sorted(
        _codes(x, dipl_labels) for x in dipl_source
    )


def test_load_of_a_publication_gives_back_the_same_public_data(settings, tmp_path):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        for _ in range(3):
            exercise = factories.exercise()
            factories.activity(exercise, function_code="FON-33")
            factories.expertise(exercise, "SM54")
            factories.diploma(exercise)
    first = publish.publish(now=publish.timezone.now() - datetime.timedelta(minutes=5))
    folder = tmp_path / "copy"
    shutil.copytree(published_zip(first, "PS_LibreAcces").parent, folder)
    plan = loader.plan_load(open_extraction([folder / published_zip(first, "PS_LibreAcces").name]), DAY)
    # Everything published is already in the registry: nothing to add, change or remove.
    for kind, counts in plan.counts.items():
        assert counts == {"ajouts": 0, "modifications": 0, "retraits": 0}, kind


def test_a_delta_load_records_what_it_adds_to_existing_exercises(tmp_path):
    """A diploma added by a later extraction is a change to its Practitioner: recorded in the history,
    and the exercise's updated_at moves (what `_lastUpdated` deltas and ETags read)."""
    load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip")
    changed = Exercise.objects.get(person__rpps="99000000028")
    unchanged = Exercise.objects.get(person__rpps="99000000010")
    folder = tmp_path / "extraction"
    folder.mkdir()
    for sample in SAMPLES.glob("SYNTHETIC_PS_LibreAcces_*_202601010000.txt"):
        text = sample.read_text(encoding="utf-8")
        if "Dipl_AutExerc" in sample.name:
            text += "8|99000000028|899000000028|MODELE|DOMINIQUE|DE|Diplôme d'Etat français|DE03|Autre diplôme|||||\n"
        name = sample.name.removeprefix("SYNTHETIC_").replace("202601010000", "202601020000")
        (folder / name).write_text(text, encoding="utf-8")
    out, _ = load(folder)
    assert Diploma.objects.filter(exercise=changed, code="DE03").exists()
    changed_after = Exercise.objects.get(pk=changed.pk)
    assert changed_after.updated_at > changed.updated_at
    assert Exercise.objects.get(pk=unchanged.pk).updated_at == unchanged.updated_at
    record = ChangeRecord.objects.get(object_type="registry.diploma", actor_label="load_extraction")
    assert record.action == "create" and record.person_id == changed.person_id and record.at == changed_after.updated_at


def test_a_code_ended_in_its_nomenclature_is_refused_on_a_new_row():
    """The loader applies the nomenclature's rule (lookup.check), as every other write does."""
    from rpps.nomenclatures import catalog, lookup
    from rpps.nomenclatures.models import Concept

    ended = Concept.objects.filter(table__name=catalog.SPECIALTY, code="SM54")
    assert ended.update(status=Concept.Status.DEPRECATED, end_date=datetime.date(2020, 1, 1)) == 1
    lookup.clear_cache()
    try:
        out, err = load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip")
    finally:
        lookup.clear_cache()  # the table change is rolled back with the test: so must this process's copy
    assert "SM54" in err and "en vigueur" in err
    assert not Expertise.objects.filter(code="SM54").exists()
    assert Exercise.objects.filter(person__rpps="99000000010").exists()  # the rest of the row is loaded


def _next_day(tmp_path, change):
    """The sample extraction as of the next day, its situation file's lines passed through ``change``."""
    folder = tmp_path / "next"
    folder.mkdir()
    for sample in SAMPLES.glob("SYNTHETIC_PS_LibreAcces_*_202601010000.txt"):
        text = sample.read_text(encoding="utf-8")
        if "Personne_activite" in sample.name:
            header, *lines = text.splitlines()
            text = "\n".join([header, *(change(line.split("|")) for line in lines)]) + "\n"
        name = sample.name.removeprefix("SYNTHETIC_").replace("202601010000", "202601020000")
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_delta_load_changes_closes_and_opens_each_with_its_record_and_its_search_lines(tmp_path):
    from rpps.directory.models import Entry

    load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip", date="2026-01-01")
    person = Person.objects.get(rpps="99000000010")
    exercise = Exercise.objects.get(person=person)
    cabinet = Activity.objects.get(exercise=exercise, structure__technical_id="R99000000010001")

    def change(values):
        if values[1] == "99000000010":
            values[7] = "EXEMPLE-MARTIN"  # name of exercise
            if values[23] == "R99000000010001":
                values[17] = "S"  # the cabinet's situation, now salaried: one closed, one opened
        return "|".join(values)

    out, _ = load(_next_day(tmp_path, change), date="2026-01-02", forcer=True)  # 1 of 7 is past the 5 % guard
    assert (
        "exercices : 0 ajout(s), 1 modification(s)" in out
        and "situations : 1 ajout(s), 0 modification(s), 1 retrait(s)" in out
    )
    exercise.refresh_from_db()
    assert exercise.last_name == "EXEMPLE-MARTIN"
    record = ChangeRecord.objects.get(object_type="registry.exercise", object_id=exercise.pk, action="update")
    assert record.before == {"last_name": "EXEMPLE"} and record.after == {"last_name": "EXEMPLE-MARTIN"}
    assert record.actor_label == "load_extraction" and record.at == exercise.updated_at
    cabinet.refresh_from_db()
    assert cabinet.end_date == datetime.date(2026, 1, 1)  # the last day a file listed it
    closed = ChangeRecord.objects.get(object_type="registry.activity", object_id=cabinet.pk, action="update")
    assert closed.after == {"end_date": "2026-01-01"} and closed.person_id == person.pk
    reopened = Activity.objects.get(exercise=exercise, structure=cabinet.structure, end_date=None)
    assert reopened.mode_code == "S" and reopened.start_date == datetime.date(2026, 1, 2)
    # the public search reads the new name at once (the index moved in the load's transaction)
    assert set(Entry.objects.filter(person_id=person.pk).values_list("last_name", flat=True)) == {"EXEMPLE-MARTIN"}
    again, _ = load(tmp_path / "next", apply=False)
    assert (
        "exercices : 0 ajout(s), 0 modification(s)" in again
        and "situations : 0 ajout(s), 0 modification(s), 0 retrait(s)" in again
    )


def test_a_change_a_nomenclature_refuses_is_reported_and_the_rest_is_loaded(tmp_path):
    load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip", date="2026-01-01")

    def change(values):
        if values[1] == "99000000010":
            values[11] = "ZZ"  # an unknown professional category
            values[7] = "EXEMPLE-BIS"
        return "|".join(values)

    _, err = load(_next_day(tmp_path, change), date="2026-01-02")
    assert "modification refusée (Catégorie professionnelle" in err
    assert Exercise.objects.get(person__rpps="99000000010").last_name == "EXEMPLE"  # nothing half-written


def test_a_delta_load_records_each_diploma_it_deletes(tmp_path):
    """A diploma the next file no longer lists is deleted with its deletion record (what it was, who
    deleted it), and its exercise's updated_at moves, as a deletion through the models does."""
    load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip")
    diploma = Diploma.objects.get(exercise__person__rpps="99000000028", code="DE02")
    exercise = Exercise.objects.get(pk=diploma.exercise_id)
    folder = tmp_path / "extraction"
    folder.mkdir()
    for sample in SAMPLES.glob("SYNTHETIC_PS_LibreAcces_*_202601010000.txt"):
        text = sample.read_text(encoding="utf-8")
        if "Dipl_AutExerc" in sample.name:
            text = "".join(line for line in text.splitlines(keepends=True) if "|DE02|" not in line)
        name = sample.name.removeprefix("SYNTHETIC_").replace("202601010000", "202601020000")
        (folder / name).write_text(text, encoding="utf-8")
    out, _ = load(folder, forcer=True)  # one of a handful of records: above the 5 % guard
    assert "diplômes : 0 ajout(s), 0 modification(s), 1 retrait(s)" in out
    assert not Diploma.objects.filter(pk=diploma.pk).exists()
    assert Diploma.objects.filter(exercise__person__rpps="99000000010", code="DE01").exists()
    record = ChangeRecord.objects.get(object_type="registry.diploma", object_id=diploma.pk, action="delete")
    assert record.actor_label == "load_extraction" and record.person_id == exercise.person_id
    assert record.before["code"] == "DE02" and record.before["created_at"] and record.after is None
    assert Exercise.objects.get(pk=exercise.pk).updated_at == record.at > exercise.updated_at


def test_the_load_says_where_its_time_went_when_asked():
    """-v 2: the seconds of each step, for an operator whose load is slow."""
    out, _ = load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip", verbosity=2)
    steps = out.split("Durées : ")[1]
    for step in ("lecture et copie du fichier", "comparaison", "ajouts", "modifications", "retraits"):
        assert f"{step} " in steps
    quiet, _ = load(SAMPLES / "SYNTHETIC_PS_LibreAcces_202601010000.zip")
    assert "Durées" not in quiet
