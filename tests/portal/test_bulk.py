"""Registering professionals from a CSV or XLSX file: report first, write on confirmation only."""

import csv
import datetime
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from rpps.portal import bulk
from rpps.portal.models import AuditEvent, BulkImport
from rpps.registry.models import Activity, ChangeRecord, Person

from .conftest import account_client, text

pytestmark = pytest.mark.django_db

ROW = dict(bulk.EXAMPLE)


def rows_for(managed, count=3, **overrides):
    people = []
    for i in range(count):
        row = dict(
            ROW,
            finess_ou_siret_site=managed["site"].finess,
            nom_naissance=f"IMPORT{chr(65 + i)}",
            nom_exercice=f"IMPORT{chr(65 + i)}",
            date_naissance=f"1985-0{1 + i}-1{i}",
        )
        row.update(overrides)
        people.append(row)
    return people


def csv_bytes(rows, delimiter=";", encoding="utf-8", header=None):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header or list(bulk.COLUMNS))
    for row in rows:
        writer.writerow([row.get(c, "") for c in (header or bulk.COLUMNS)])
    return out.getvalue().encode(encoding)


def upload(browser, content, name="professionnels.csv"):
    return browser.post("/portail/import/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def state():
    return Person.objects.count(), Activity.objects.count(), ChangeRecord.objects.count()


def test_templates_are_downloadable_with_the_columns_an_example_and_the_code_lists(managed):
    browser = account_client(managed["manager"])
    template = browser.get("/portail/import/modele.csv").content.decode("utf-8-sig").splitlines()
    assert template[0].split(";") == list(bulk.COLUMNS) and "MARTIN" in template[1]
    workbook = load_workbook(io.BytesIO(browser.get("/portail/import/modele.xlsx").content))
    assert [c.value for c in workbook["Professionnels"][1]] == list(bulk.COLUMNS)
    codes = {(row[0], row[1]) for row in workbook["Listes de codes"].iter_rows(values_only=True)}
    assert ("role", "313") in codes and ("genre_activite", "GENR11") in codes
    # Codes and numbers are text cells (Excel keeps their leading zeros), dates are date cells, coded
    # columns offer their list, and a sheet explains every column.
    sheet = workbook["Professionnels"]
    letter = {column: chr(65 + i) for i, column in enumerate(bulk.COLUMNS)}
    assert sheet[f"{letter['lieu_naissance']}500"].number_format == "@"
    assert sheet[f"{letter['telephone_mobile']}2"].number_format == "@"
    assert sheet[f"{letter['date_naissance']}2"].number_format == "yyyy-mm-dd"
    validated = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert (
        f"{letter['role']}2:{letter['role']}1001" in validated
        and "Listes de codes" in validated[f"{letter['role']}2:{letter['role']}1001"]
    )
    assert len(validated) == len(bulk.CODE_LISTS)
    guide = [row[0] for row in workbook["Mode d'emploi"].iter_rows(min_row=2, values_only=True)]
    assert guide[: len(bulk.COLUMNS)] == list(bulk.COLUMNS)
    # The template read back gives the example row as typed.
    header, example = (
        row[: len(bulk.COLUMNS)] for row in bulk._read_xlsx(browser.get("/portail/import/modele.xlsx").content)
    )
    assert header == list(bulk.COLUMNS) and dict(zip(header, example, strict=True)) == bulk.EXAMPLE
    assert "317" in browser.get("/portail/import/modele.codes").content.decode("utf-8-sig")


def test_a_valid_file_is_reported_then_imported_on_confirmation(managed):
    browser = account_client(managed["manager"])
    before = state()
    report = upload(browser, csv_bytes(rows_for(managed)))
    found = BulkImport.objects.get()
    assert found.state == BulkImport.State.READY and found.counts["nouveau"] == 3
    assert "Nouveaux professionnels : 3" in text(report) and state() == before  # nothing written yet
    done = browser.post(f"/portail/import/{found.pk}/", follow=True)
    assert "Import terminé : 3 enregistré(s)" in text(done)
    assert Person.objects.filter(birth_name__startswith="IMPORT").count() == 3
    found.refresh_from_db()
    assert found.rows == []  # the typed état civil is not kept once imported
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_IMPORTED).count() == 1
    # The same file again: every row is already there, and importing creates nothing new.
    again = upload(browser, csv_bytes(rows_for(managed)))
    second = BulkImport.objects.latest("pk")
    assert second.counts["deja"] == 3 and "déjà été importé" in text(again)
    after_first = state()
    browser.post(f"/portail/import/{second.pk}/")
    assert state() == after_first


def test_latin1_comma_separated_and_xlsx_files_are_read(managed):
    browser = account_client(managed["manager"])
    rows = rows_for(managed, 1, nom_naissance="Hervé", prenoms_naissance="Élise")
    upload(browser, csv_bytes(rows, delimiter=",", encoding="latin-1"))
    assert BulkImport.objects.latest("pk").counts["nouveau"] == 1
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(bulk.COLUMNS))
    sheet.append([rows[0][c] for c in bulk.COLUMNS])
    content = io.BytesIO()
    workbook.save(content)
    upload(browser, content.getvalue(), "professionnels.xlsx")
    assert BulkImport.objects.latest("pk").counts["nouveau"] == 1


def test_formulas_are_never_evaluated_and_are_neutralised_in_produced_files(managed):
    browser = account_client(managed["manager"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(bulk.COLUMNS))
    row = rows_for(managed, 1)[0] | {"nom_exercice": '=HYPERLINK("http://x","y")'}
    sheet.append([row[c] for c in bulk.COLUMNS])
    content = io.BytesIO()
    workbook.save(content)
    upload(browser, content.getvalue(), "f.xlsx")
    found = BulkImport.objects.latest("pk")
    report = browser.get(f"/portail/import/{found.pk}/rapport.csv").content.decode("utf-8-sig")
    for line in csv.reader(io.StringIO(report), delimiter=";"):
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in line)
    assert found.counts["erreur"] == 1 and "« = » n'est pas accepté" in report  # a formula is no name
    assert bulk.neutralise("=1+1") == "'=1+1" and bulk.neutralise("-2+3+cmd|' /C calc'!A0").startswith("'-2")
    assert bulk.neutralise("+33 6 12 34 56 78") == "+33 6 12 34 56 78"  # a phone stays as it is


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (csv_bytes([], header=["nom", "prenom"]), "En-tête incorrect"),
        ("nom_naissance;prénoms".encode("utf-16"), "Encodage non reconnu"),
        (csv_bytes([]), "aucune ligne de données"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(managed, content, message):
    browser = account_client(managed["manager"])
    before = state()
    page = upload(browser, content)
    assert message in text(page) and BulkImport.objects.latest("pk").state == BulkImport.State.REFUSED
    assert state() == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_CHECKED, outcome="refus").exists()


def test_an_empty_file_is_refused(managed):
    page = upload(account_client(managed["manager"]), b"")
    assert "vide" in text(page) and not BulkImport.objects.exists()


def test_too_many_rows_or_too_big_a_file_is_refused(managed, settings):
    browser = account_client(managed["manager"])
    settings.PORTAL_BULK_MAX_ROWS = 2
    assert "Trop de lignes : plus de 2" in text(upload(browser, csv_bytes(rows_for(managed, 3))))
    settings.PORTAL_BULK_MAX_BYTES = 100
    assert "trop volumineux" in text(upload(browser, csv_bytes(rows_for(managed, 1))))


def test_a_file_with_errors_writes_nothing_unless_only_valid_rows_are_chosen(managed):
    browser = account_client(managed["manager"])
    rows = rows_for(managed, 3)
    rows[1]["date_naissance"] = "31/02/1990"
    rows[2]["finess_ou_siret_site"] = managed["foreign"].finess
    page = upload(browser, csv_bytes(rows))
    found = BulkImport.objects.get()
    assert found.counts["erreur"] == 2 and found.counts["nouveau"] == 1
    body = text(page)
    assert (
        "date_naissance : Date de naissance : une date est attendue, écrite AAAA-MM-JJ ou JJ/MM/AAAA." in body
        and "pas habilité(e)" in body
    )
    # line numbers are the file's (header = line 1): the bad date is on line 3, the foreign site on line 4
    by_line = {entry["line"]: entry for entry in found.report}
    assert [column for column, _ in by_line[3]["errors"]] == ["date_naissance"]
    assert [column for column, _ in by_line[4]["errors"]] == ["finess_ou_siret_site"]
    assert by_line[2]["status"] != "erreur"
    before = state()
    refused = browser.post(f"/portail/import/{found.pk}/", follow=True)
    assert "contient des erreurs" in text(refused) and state() == before
    browser.post(f"/portail/import/{found.pk}/", {"valid_only": "on"})
    assert Person.objects.filter(birth_name__startswith="IMPORT").count() == 1


def test_the_same_person_twice_in_a_file_is_an_error(managed):
    browser = account_client(managed["manager"])
    rows = rows_for(managed, 1) * 2
    upload(browser, csv_bytes(rows))
    found = BulkImport.objects.get()
    assert found.counts["erreur"] == 1 and "ligne 2" in str(found.report)


def test_someone_elses_import_cannot_be_seen_or_confirmed(managed):
    upload(account_client(managed["manager"]), csv_bytes(rows_for(managed, 1)))
    found = BulkImport.objects.get()
    other = account_client(managed["foreign_manager"])
    assert other.get(f"/portail/import/{found.pk}/").status_code == 404
    assert other.post(f"/portail/import/{found.pk}/").status_code == 404
    assert other.get(f"/portail/import/{found.pk}/rapport.csv").status_code == 404
    assert not Person.objects.filter(birth_name__startswith="IMPORT").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_large_files_are_checked_in_the_background_with_progress(flushable_sqlite, managed, settings):
    settings.PORTAL_BULK_INLINE_ROWS = 1
    browser = account_client(managed["manager"])
    page = upload(browser, csv_bytes(rows_for(managed, 3)))
    found = BulkImport.objects.get()
    # the check runs as a job (immediate in tests): the page shows its progress or its outcome
    # the check ran as a job (immediate in tests) before the page was drawn: its outcome is shown
    assert found.total_rows == 3 and found.state == BulkImport.State.READY
    assert "Bilan de la vérification (3 lignes)" in text(page)
    # while a job is on its way, the same page shows how far it got (and asks to be reloaded)
    BulkImport.objects.filter(pk=found.pk).update(state=BulkImport.State.CHECKING, done_rows=1)
    assert "1 ligne traitée sur 3…" in text(browser.get(f"/portail/import/{found.pk}/"))
    BulkImport.objects.filter(pk=found.pk).update(state=BulkImport.State.READY, done_rows=3)
    for _ in range(100):
        found.refresh_from_db()
        if found.state == BulkImport.State.READY:
            break
        time.sleep(0.1)
    assert found.state == BulkImport.State.READY and found.done_rows == 3
    browser.post(f"/portail/import/{found.pk}/")
    for _ in range(100):
        found.refresh_from_db()
        if found.state == BulkImport.State.APPLIED:
            break
        time.sleep(0.1)
    assert found.state == BulkImport.State.APPLIED
    assert Person.objects.filter(birth_name__startswith="IMPORT").count() == 3


def test_a_workbook_typed_in_excel_is_read_as_people_typed_it(managed, settings):
    """Excel turns 06 12 34 56 78 into the number 612345678, a commune 01053 into 1053 and keeps dates
    typed as plain numbers as day counts: every row still reads as typed, none is refused for it."""
    from rpps.registry.models import Structure

    settings.PORTAL_BULK_INLINE_ROWS = 100
    ain = Structure.objects.filter(pk=managed["site"].pk)
    ain.update(finess="01000012" + str(_luhn_digit("01000012")))  # a FINESS of the Ain: it starts with 0
    site = ain.get().finess
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(bulk.COLUMNS))
    for i, row in enumerate(rows_for(managed, 3)):
        row |= {"finess_ou_siret_site": int(site), "telephone_mobile": 612345678 + i, "lieu_naissance": 1053}
        row["date_naissance"] = 31_000 + i  # 14/11/1984 and the next days, as a number of days
        row["date_prise_fonction"] = datetime.datetime(2024, 9, 1)  # a real date cell
        sheet.append([row[c] for c in bulk.COLUMNS])
    content = io.BytesIO()
    workbook.save(content)
    upload(account_client(managed["manager"]), content.getvalue(), "excel.xlsx")
    found = BulkImport.objects.latest("pk")
    assert found.counts["erreur"] == 0, found.report
    first = found.rows[0]
    typed = first["data"]
    assert typed["phone"] == "0612345678" and typed["birth_place_code"] == "01053"
    assert first["structure"] == managed["site"].pk and typed["birth_date"] == "1984-11-14"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("+33 6 12 34 56 78", "0612345678"),
        ("+33 (0)6 12 34 56 78", "0612345678"),
        ("0033 7 12 34 56 78", "0712345678"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_mobile_numbers_are_read_in_every_way_people_write_them(typed, kept):
    from rpps.portal.forms import clean_mobile

    assert clean_mobile(typed) == kept


def _luhn_digit(body: str) -> int:
    from rpps.registry import identifiers

    return int(identifiers.luhn_check_digit(body))


def test_a_row_whose_person_has_a_request_waiting_is_refused_at_the_check_not_at_confirmation(managed):
    """The check applies the write's rules: a person with a request already waiting (identity check or
    instruction) is reported in error by the check, with the reason, and is not among the rows to write."""
    from rpps.portal import registration
    from rpps.portal.models import RegistrationRequest

    rows = rows_for(managed, 2)
    who = bulk.Who("gestionnaire", managed["manager"])
    first = bulk.upload(who, "avant.csv", csv_bytes(rows), background=False)
    first.refresh_from_db()
    waiting = first.rows[0]["data"]
    RegistrationRequest.objects.create(
        structure=managed["site"],
        source=RegistrationRequest.Source.MANAGER,
        state=RegistrationRequest.State.IN_REVIEW,
        data=waiting,
        identity_key=registration.identity_key(waiting),
        submitted_by="autre gestionnaire",
    )
    checked = bulk.upload(who, "apres.csv", csv_bytes(rows), background=False)
    checked.refresh_from_db()
    assert checked.counts["erreur"] == 1 and len(checked.rows) == 1
    refused = next(entry for entry in checked.report if entry["status"] == "erreur")
    assert refused["line"] == 2 and "une seule demande à la fois" in refused["errors"][0][1]
    # the report file names each row as typed, not only by its line number
    lines = bulk.report_csv(checked).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("ligne;nom_naissance;prenoms_naissance;statut;rpps")
    assert lines[1].startswith("2;IMPORTA;Julie Anne;erreur;;nom_naissance;Une demande est déjà en cours") and lines[
        2
    ].startswith("3;IMPORTB;Julie Anne;")
