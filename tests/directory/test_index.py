"""The search index follows the calendar (situations that open or close) and bulk loads."""

import datetime

import pytest
from django.core.management import call_command

from rpps.directory.models import Entry
from rpps.registry import signals
from tests import factories

pytestmark = pytest.mark.django_db


def test_daily_refresh_opens_and_closes_situations(recording):
    today = datetime.date.today()
    tomorrow = today + datetime.timedelta(days=1)
    exercise = factories.exercise()
    starting = factories.structure(name="CENTRE QUI OUVRE")
    ending = factories.structure(name="CENTRE QUI FERME")
    factories.activity(exercise, starting, start_date=tomorrow)
    factories.activity(exercise, ending, start_date=datetime.date(2015, 1, 1), end_date=today)
    assert set(Entry.objects.values_list("structure_id", flat=True)) == {ending.pk}

    from rpps.directory import search_index as index

    index.refresh_dates(day=tomorrow)
    assert set(Entry.objects.values_list("structure_id", flat=True)) == {starting.pk}


def test_index_directory_command_rebuilds_what_a_bulk_writer_left_behind(recording, capsys):
    factories.activity(factories.exercise(last_name="AVANT"))
    Entry.objects.all().delete()  # as if rows had been written behind the models' back
    call_command("index_directory")
    assert "1 ligne(s) d'index écrite(s)" in capsys.readouterr().out
    assert Entry.objects.get().name_key.startswith("AVANT")
    call_command("index_directory", "--dates")  # nothing opened or closed: nothing to do, no error


def test_bulk_loaders_signal_rebuilds_the_index(recording):
    factories.activity(factories.exercise(last_name="CHARGE"))
    Entry.objects.all().delete()
    signals.bulk_written.send(sender=None)
    assert Entry.objects.filter(name_key__startswith="CHARGE").exists()
