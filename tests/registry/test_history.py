import datetime

import pytest
from django.db import DatabaseError, transaction

from rpps.registry.history import Actor, UnattributedWrite, acting_as, person_history
from rpps.registry.models import Activity, ChangeRecord, Person
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_write_without_a_declared_author_is_refused_and_nothing_is_written():
    with pytest.raises(UnattributedWrite):
        factories.unsaved_person().save()
    assert not Person.objects.exists() and not ChangeRecord.objects.exists()


def test_create_update_delete_are_recorded_with_who_what_why():
    with acting_as(Actor.loader("CNOM"), "Inscription au tableau"):
        person = factories.person()
        exercise = factories.exercise(person)
    with acting_as(Actor.loader("import"), "Correction du nom d'exercice"):
        exercise.last_name = "DUPONT-MARTIN"
        exercise.save()
        exercise.save()  # no change: nothing recorded
        mailbox = factories.mailbox(person)
        mailbox.delete()
    records = list(person_history(person.pk))
    assert [(r.action, r.object_type) for r in records] == [
        ("create", "registry.person"),
        ("create", "registry.exercise"),
        ("update", "registry.exercise"),
        ("create", "registry.mailbox"),
        ("delete", "registry.mailbox"),
    ]
    create_person, _, update, _, delete = records
    assert create_person.actor_kind == "loader" and create_person.actor_label == "CNOM"
    assert create_person.reason == "Inscription au tableau"
    assert create_person.after["rpps"] == person.rpps and create_person.before is None
    assert update.before == {"last_name": "DUPONT"} and update.after == {"last_name": "DUPONT-MARTIN"}
    assert update.reason == "Correction du nom d'exercice" and update.actor_kind == "loader"
    assert delete.before["address"] == mailbox.address and delete.after is None


def test_changes_to_a_situation_belong_to_the_person_history(recording):
    activity = factories.activity()
    activity.end_date = datetime.date(2024, 12, 31)
    activity.end_reason_code = "CHL"
    activity.save()
    person_id = activity.exercise.person_id
    update = person_history(person_id).filter(object_type="registry.activity", action="update").get()
    assert update.after == {"end_date": "2024-12-31", "end_reason_code": "CHL"}


def test_a_failed_write_leaves_no_history(recording):
    values = factories.activity_values(start_date=datetime.date(2020, 5, 1), end_date=datetime.date(2020, 1, 1))
    count = ChangeRecord.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        Activity.objects.create(**values)
    assert ChangeRecord.objects.count() == count


def test_history_is_append_only_in_the_orm_and_in_the_database(recording):
    factories.person()
    record = ChangeRecord.objects.get()
    with pytest.raises(RuntimeError, match="ajout seul"):
        record.save()
    with pytest.raises(RuntimeError, match="ajout seul"):
        record.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChangeRecord.objects.filter(pk=record.pk).update(reason="effacé")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChangeRecord.objects.filter(pk=record.pk)._raw_delete(ChangeRecord.objects.db)
    assert ChangeRecord.objects.get().reason == "jeu d'essai"


def test_every_published_object_carries_updated_at(recording):
    activity = factories.activity()
    first = activity.updated_at
    activity.mode_code = "L"
    activity.save()
    activity.refresh_from_db()
    assert activity.updated_at > first
