"""Publishing the extraction files: exact formats, public data only, atomic, kept N at a time."""

import datetime
import io
import zipfile

import pandas
import pytest
from django.utils import timezone

from rpps.publication import formats, publish
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Person
from rpps.registry.projection import public_values
from tests import factories
from tests.conftest import published_zip

pytestmark = pytest.mark.django_db

SHARED_HEADERS = formats.DATA


@pytest.fixture
def registry(db):
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        legal = factories.structure(name="CHU EXEMPLE", is_legal_entity=True)
        site = factories.structure(
            name="SITE | NORD", legal_entity=legal, street_name="RUE\nDU PORT", sector_code="SA01"
        )
        doctor = factories.person(
            birth_name="SECRET", given_names="Privé", email="prive@example.org", birth_place_code="13055"
        )
        exercise = factories.exercise(doctor, last_name="MARTIN", first_name="Anne")
        factories.expertise(exercise, "SM54")
        factories.diploma(exercise, code="DE01", label="Diplôme d'État de docteur", number="N-SECRET-123")
        factories.activity(exercise, site, function_code="FON-33")
        factories.activity(exercise, legal, start_date=datetime.date(2010, 1, 1), end_date=datetime.date(2012, 1, 1))
        factories.mailbox(doctor, address="anne.martin@ch.mssante.fr", structure=site)
        factories.mailbox(doctor, address="cachee@ch.mssante.fr", red_list=True)
        factories.card(doctor)
        idle = factories.person(birth_name="SANSSITE", given_names="Paul", sex_code="M", civility_code="M")
        factories.exercise(
            idle, last_name="SANSSITE", first_name="Paul", profession_code="21", exercise_civility_code=""
        )
    return {"doctor": doctor, "idle": idle, "site": site}


def read(publication, name):
    extraction = formats.EXTRACTIONS[name]
    with zipfile.ZipFile(published_zip(publication, name)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}, extraction


def test_files_have_the_published_names_headers_and_syntax(registry):
    moment = timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 5))
    publication = publish.publish(now=moment)
    assert publication.stamp == "202611261005"
    members, _ = read(publication, "PS_LibreAcces")
    assert list(members) == [
        "PS_LibreAcces_Personne_activite_202611261005.txt",
        "PS_LibreAcces_SavoirFaire_202611261005.txt",
        "PS_LibreAcces_Dipl_AutExerc_202611261005.txt",
    ]
    for name, content in members.items():
        stem = name.rsplit("_", 1)[0]
        assert not content.startswith(b"\xef\xbb\xbf") and b"\r" not in content
        lines = content.decode("utf-8").split("\n")
        assert lines[-1] == ""  # LF after the last line
        assert lines[0] + "\n" == (SHARED_HEADERS / f"{stem}.header.txt").read_text(encoding="utf-8")
        assert all(line.endswith("|") for line in lines[:-1])
    activity = members["PS_LibreAcces_Personne_activite_202611261005.txt"].decode().splitlines()
    assert all(len(line.split("|")) == 57 for line in activity)  # 56 columns + the trailing separator
    mss, _ = read(publication, "Extraction_Correspondance_MSSante")
    mss_lines = next(iter(mss.values())).decode().splitlines()
    assert all(len(line.split("|")) == 31 for line in mss_lines) and not mss_lines[0].endswith("|")
    assert publication.stamp == "202611261005" and publish.store().exists("202611261005/publication.json")


def test_one_line_per_open_situation_and_one_for_a_professional_without_any(registry):
    publication = publish.publish()
    members, _ = read(publication, "PS_LibreAcces")
    frame = pandas.read_csv(
        io.BytesIO(next(v for k, v in members.items() if "Personne_activite" in k)),
        sep="|",
        dtype=str,
        keep_default_na=False,
    )
    assert len(frame.columns) == 57 and frame.columns[-1].startswith("Unnamed")  # how clients see the trailing |
    doctor = frame[frame["Identifiant PP"] == registry["doctor"].rpps]
    assert len(doctor) == 1  # the closed situation is not published
    line = doctor.iloc[0]
    assert line["Identification nationale PP"] == "8" + registry["doctor"].rpps
    assert line["Nom d'exercice"] == "MARTIN" and line["Libellé profession"] == "Médecin"
    assert line["Code savoir-faire"] == "SM54" and line["Code rôle"] == "FON-33"
    assert line["Raison sociale site"] == "SITE ¦ NORD" and line["Libellé Voie (coord. structure)"] == "RUE DU PORT"
    assert line["Numéro FINESS établissement juridique"] == registry["site"].legal_entity.finess
    assert line["Ancien identifiant de la structure"] == "1" + registry["site"].finess
    idle = frame[frame["Identifiant PP"] == registry["idle"].rpps].iloc[0]
    assert idle["Identifiant technique de la structure"] == "" and idle["Code profession"] == "21"


def test_no_private_value_reaches_any_file(registry):
    publication = publish.publish()
    everything = b""
    for name in formats.EXTRACTIONS:
        members, _ = read(publication, name)
        everything += b"".join(members.values())
    text = everything.decode()
    for private in (
        "SECRET",
        "Privé",
        "prive@example.org",
        "N-SECRET-123",
        "cachee@ch.mssante.fr",
        "1980-05-17",
        "17/05/1980",
        "13055",
        "0612345678",
    ):
        assert private not in text
    assert "anne.martin@ch.mssante.fr" in text and "Diplôme d'État de docteur" in text


def test_public_values_refuses_a_private_column(db):
    with pytest.raises(PermissionError, match="birth_date"):
        public_values(Person.objects.all(), "rpps", "birth_date")
    with pytest.raises(PermissionError, match="email"):
        public_values(Person.objects.all(), "exercises__person__email")


def test_a_failed_publication_leaves_the_previous_one_served_and_whole(registry, monkeypatch):
    first = publish.publish(now=timezone.now() - datetime.timedelta(minutes=5))

    def broken(names):
        yield ["x"] * 13
        raise RuntimeError("coupure")

    monkeypatch.setitem(publish.rows.ROWS, "PS_LibreAcces_Dipl_AutExerc", broken)
    with pytest.raises(RuntimeError):
        publish.publish()
    assert [p.stamp for p in publish.publications()] == [first.stamp]
    assert publish.latest().stamp == first.stamp
    assert publish.store().listdir("")[0] == [first.stamp]  # the failed one's files are gone
    with zipfile.ZipFile(published_zip(first, "PS_LibreAcces")) as archive:
        assert archive.testzip() is None


def test_a_leftover_from_a_killed_run_is_never_served_and_is_cleaned(registry):
    from django.core.files.base import ContentFile

    publish.store().save("209901010000/PS_LibreAcces_209901010000.zip", ContentFile(b"partial"))  # no manifest
    assert publish.latest() is None and publish.publications() == []
    publish.publish()
    assert not publish.store().exists("209901010000/PS_LibreAcces_209901010000.zip") and publish.latest() is not None


def test_only_the_last_publications_are_kept(registry, settings):
    settings.PUBLICATION_KEEP = 2
    now = timezone.now()
    stamps = [publish.publish(now=now - datetime.timedelta(minutes=m)).stamp for m in (30, 20, 10)]
    assert [p.stamp for p in publish.publications()] == stamps[:0:-1]
    with pytest.raises(publish.PublicationError, match="existe déjà"):
        publish.publish(now=now - datetime.timedelta(minutes=10))


def test_the_command_publishes_and_reports(registry, capsys):
    from django.core.management import call_command

    call_command("publish_extractions", "--sans-progression")
    out = capsys.readouterr().out
    assert "PS_LibreAcces_" in out and "lignes" in out and "Porteurs_CPS_CPF_" in out


def test_the_demo_publishes_only_once(registry, capsys):
    from django.core.management import call_command

    call_command("publish_extractions", "--sans-progression", "--si-aucune")
    call_command("publish_extractions", "--sans-progression", "--si-aucune")
    assert len(publish.publications()) == 1 and "rien n'est republié" in capsys.readouterr().out


def test_one_publisher_at_a_time(registry):
    """A second publication while one is under way is refused with a French message, writes nothing,
    and the next one runs once the first is done (the lock is released, even after a failure)."""
    import threading

    from django.db import connection

    from rpps.runtime import locks

    held, done = threading.Event(), threading.Event()

    def other_publisher():  # another process's hold: its own database session (or its own lock file)
        try:
            with locks.exclusive("publication"):
                held.set()
                done.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=other_publisher)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(publish.PublicationError, match="déjà en cours"):
            publish.publish(now=timezone.now() - datetime.timedelta(minutes=2))
    finally:
        done.set()
        holder.join()
    assert publish.publications() == []
    publication = publish.publish(now=timezone.now() - datetime.timedelta(minutes=1))
    assert [p.stamp for p in publish.publications()] == [publication.stamp]


def test_a_value_a_spreadsheet_would_evaluate_is_published_as_text(registry):
    """A name written before names were checked (or loaded from a national file as it is) that a spreadsheet
    would run as a formula reaches the files with a leading apostrophe; phones and the rest are untouched."""
    from rpps.registry.models import Exercise

    exercise = Exercise.objects.order_by("pk").first()
    Exercise.objects.filter(pk=exercise.pk).update(last_name='=HYPERLINK("http://evil.example/x","Cliquez")')
    line = formats.PERSONNE_ACTIVITE.line(["8", '=HYPERLINK("x")', "-2+3+cmd|x", "+33 6 12 34 56 78", "DUPONT"])
    assert line.split("|")[:5] == ["8", '\'=HYPERLINK("x")', "'-2+3+cmd¦x", "+33 6 12 34 56 78", "DUPONT"]
    files, _ = read(publish.publish(), "PS_LibreAcces")
    text = b"".join(files.values()).decode()
    assert "|'=HYPERLINK(" in text and "|=HYPERLINK(" not in text
