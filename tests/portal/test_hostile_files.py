"""Files built to hurt the reader: each is refused with a French message, quickly and in little memory,
and nothing else escapes the parser (no 500, no import left half-checked)."""

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from rpps.portal import bulk
from rpps.portal.bulk import FileRefused, read_rows


def _workbook(rows=(("nom_naissance",), ("DUPONT",))) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewritten(content: bytes, member: str, change) -> bytes:
    """The same workbook with one of its XML parts rewritten."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item.filename, change(data) if item.filename == member else data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def test_a_sheet_declaring_every_cell_with_one_far_row_is_read_as_it_is():
    """<dimension ref="A1:XFD1048576"/> and a row at 1,048,576: openpyxl padded every row to 16,384 cells
    and every missing row (138 s, 1.3 GB); the dimension is not believed and blank rows stop at a bound."""

    def far(xml: bytes) -> bytes:
        xml = xml.replace(b'<dimension ref="A1:A2"/>', b'<dimension ref="A1:XFD1048576"/>')
        return xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
        )

    content = _rewritten(_workbook(), SHEET, far)
    with pytest.raises(FileRefused, match="Trop de lignes"):
        read_rows("bombe.xlsx", content)


def test_a_workbook_that_unzips_to_far_more_than_an_import_is_refused_before_parsing():
    huge = b"<sst>" + b"<si><t>" + b"a" * (bulk.XLSX_MAX_UNZIPPED_BYTES + 10) + b"</t></si></sst>"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item))
        target.writestr("xl/sharedStrings.xml", huge)
    content = out.getvalue()
    assert len(content) < 200_000  # a small upload
    with pytest.raises(FileRefused, match="une fois décompressé"):
        read_rows("bombe.xlsx", content)


def test_xml_entities_are_refused_before_any_expansion():
    """60,000 nested entities crashed the worker (bundled expat); a DTD has no place in a workbook."""

    def entities(xml: bytes) -> bytes:
        dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        return dtd + xml if b"?>" not in xml else xml.replace(b"?>", b"?>" + dtd, 1)

    content = _rewritten(_workbook(), SHEET, entities)
    with pytest.raises(FileRefused, match="DTD"):
        read_rows("entites.xlsx", content)


def test_malformed_xml_inside_a_workbook_is_a_clear_refusal():
    content = _rewritten(_workbook(), SHEET, lambda xml: xml[: len(xml) // 2])
    with pytest.raises(FileRefused, match="pas un classeur XLSX lisible"):
        read_rows("casse.xlsx", content)


def test_millions_of_one_character_lines_stop_at_the_row_limit(settings):
    settings.PORTAL_BULK_MAX_ROWS = 10_000
    with pytest.raises(FileRefused, match="Trop de lignes : plus de 10000"):
        read_rows("lignes.csv", b"a\n" * 2_600_000)


def test_a_cell_longer_than_the_csv_module_reads_is_a_clear_refusal():
    content = b"nom_naissance;prenoms\n" + b'"' + b"x" * 200_000 + b'";Paul\n'
    with pytest.raises(FileRefused, match="Ligne 2 illisible"):
        read_rows("long.csv", content)


def test_a_file_mixing_utf8_and_windows_1252_is_refused_with_the_line():
    content = "nom_naissance;prenoms\nBÉRANGER;Hélène\n".encode() + "LEFÈVRE;Zoé\n".encode("cp1252")
    with pytest.raises(FileRefused, match="la ligne 3 ne l'est pas"):
        read_rows("melange.csv", content)
    # a file in Windows-1252 throughout is simply read
    assert bulk._read_csv("nom_naissance\nLEFÈVRE\n".encode("cp1252")) == [["nom_naissance"], ["LEFÈVRE"]]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["f.csv", "f.xlsx", "f.txt"]))
def test_no_bytes_make_the_reader_fail_otherwise_than_with_a_refusal(content, name):
    try:
        read_rows(name, content)
    except FileRefused as exc:
        assert str(exc)  # a message for the user


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_no_damaged_workbook_makes_the_reader_fail_otherwise_than_with_a_refusal(noise):
    content = bytearray(_workbook())
    at = len(noise) and noise[0] * 37 % len(content)
    content[at : at + len(noise)] = noise
    try:
        read_rows("f.xlsx", bytes(content))
    except FileRefused as exc:
        assert str(exc)


def test_a_reader_fault_leaves_a_refused_import_not_one_stuck_in_checking(managed, monkeypatch):
    from rpps.portal.audit import Who
    from rpps.portal.models import BulkImport

    def broken(filename, content):
        raise RuntimeError("défaut du lecteur")

    monkeypatch.setattr(bulk, "read_rows", broken)
    done = bulk.upload(Who("gestionnaire", managed["manager"]), "f.csv", b"x")
    assert done.state == BulkImport.State.REFUSED
    assert done.message == "Le fichier n'a pas pu être lu : vérifiez-le ou utilisez le modèle."
    assert not BulkImport.objects.filter(state=BulkImport.State.CHECKING).exists()


def _crash(filename, content):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)  # as expat did on 60,000 nested entities (CVE-2024-8176)


def _endless(filename, content):
    while True:
        pass


@pytest.mark.parametrize(
    ("reader", "message"),
    [(_crash, "n'a pas pu être lu"), (_endless, "sa lecture prend trop de temps")],
)
def test_a_reader_that_crashes_or_never_ends_costs_a_child_not_the_server(
    managed, monkeypatch, settings, reader, message
):
    """Files are read in a child process with limits: the import is refused with a French message and this
    process (a web worker) carries on to the next upload."""
    from rpps.portal.audit import Who
    from rpps.portal.models import BulkImport

    settings.PORTAL_PARSE_CPU_SECONDS = 1
    who = Who("gestionnaire", managed["manager"])
    with monkeypatch.context() as patched:
        patched.setattr(bulk, "read_rows", reader)
        stopped = bulk.upload(who, "f.xlsx", b"x")
    assert stopped.state == BulkImport.State.REFUSED and message in stopped.message
    csv = ";".join(bulk.COLUMNS) + "\n"
    assert bulk.upload(who, "vide.csv", csv.encode()).state != BulkImport.State.CHECKING


def test_one_name_under_every_day_of_a_year_is_refused_before_any_row_is_resolved(managed, monkeypatch):
    """The check answered "déjà connu" / "à vérifier" row by row: 365 rows of one public name revealed the
    birth date. A file trying one identity under many dates is refused whole, and says why."""
    import datetime

    from rpps.portal.audit import Who
    from rpps.portal.models import BulkImport

    from .test_bulk import csv_bytes, rows_for

    resolved = []
    monkeypatch.setattr(bulk, "resolve", lambda traits: resolved.append(traits))
    row = rows_for(managed, 1)[0]
    days = [datetime.date(1980, 1, 1) + datetime.timedelta(days=d) for d in range(365)]
    content = csv_bytes([row | {"date_naissance": day.isoformat()} for day in days])
    done = bulk.upload(Who("gestionnaire", managed["manager"]), "sonde.csv", content)
    assert done.state == BulkImport.State.REFUSED
    assert "365 lignes portent les mêmes nom et prénoms" in done.message
    assert resolved == []


def test_checks_are_limited_per_account_and_day(managed, settings):
    from rpps.portal.audit import Who
    from rpps.portal.models import BulkImport

    from .test_bulk import csv_bytes, rows_for

    settings.PORTAL_CHECKS_PER_DAY = 2
    who = Who("gestionnaire", managed["manager"])
    content = csv_bytes(rows_for(managed, 1))
    states = [bulk.upload(who, "f.csv", content) for _ in range(3)]
    assert BulkImport.State.REFUSED not in {s.state for s in states[:2]}
    assert states[2].state == BulkImport.State.REFUSED
    assert "2 fichiers vérifiés par jour et par compte" in states[2].message
