"""The public projection publishes the allow-list and nothing else."""

import datetime
import json

import pytest

from rpps.registry import projection
from rpps.registry.models import RECORDED_MODELS, Activity, Mailbox
from tests import factories
from tests.canary import CANARY, CANARY_CODE, CANARY_DATE, plant_canaries

pytestmark = pytest.mark.django_db


def test_allow_list_names_only_real_fields_of_every_registry_model():
    assert set(projection.PUBLIC_FIELDS) == set(RECORDED_MODELS)
    for model, names in projection.PUBLIC_FIELDS.items():
        attnames = {f.attname for f in model._meta.concrete_fields}
        assert set(names) <= attnames, model


def test_no_private_field_can_be_read_through_the_projection(recording):
    person = factories.person(birth_place_code="99134", birth_city_abroad="Madrid")
    exercise = factories.exercise(person)
    activity = factories.activity(exercise, end_date=datetime.date(2999, 1, 1))
    factories.expertise(exercise)
    factories.diploma(exercise)
    factories.authorization(exercise)
    factories.mailbox(person)
    factories.card(person)

    planted = {}
    for obj in [
        person,
        exercise,
        activity,
        activity.structure,
        *exercise.expertises.all(),
        *exercise.diplomas.all(),
        *exercise.authorizations.all(),
        *person.mailboxes.all(),
        *person.cards.all(),
    ]:
        planted[type(obj).__name__] = plant_canaries(obj)
    # The canary must really be in the private fields (otherwise this test proves nothing).
    assert set(planted["Person"]) >= {
        "birth_name",
        "given_names",
        "birth_date",
        "birth_place_code",
        "email",
        "phone",
        "birth_city_abroad",
        "nationality_code",
        "usage_name",
    }
    assert set(planted["Diploma"]) >= {"number", "obtained_on", "place"}
    assert set(planted["Activity"]) >= {"start_date", "end_reason_code"}

    person.refresh_from_db()
    # Activity end date canary: keep the situation open so that it is published.
    Activity.objects.filter(pk=activity.pk).update(start_date=CANARY_DATE, end_date=datetime.date(2999, 1, 1))
    published = json.dumps(projection.public_person(person), ensure_ascii=False)
    published += json.dumps(projection.public_structure(activity.structure), ensure_ascii=False)
    for model in RECORDED_MODELS:
        rows = projection.public_values(model.objects.all(), *projection.PUBLIC_FIELDS[model])
        published += json.dumps(list(rows), default=str, ensure_ascii=False)

    assert person.rpps in published and "SM54" in published  # public data does come out
    assert CANARY not in published
    assert "canari-prive" not in published
    assert CANARY_CODE not in published
    assert CANARY_DATE.isoformat() not in published
    assert "2999-01-01" not in published  # situation dates are private too


def test_red_list_mailboxes_are_never_published(recording):
    person = factories.person()
    public = factories.mailbox(person, address="public@medecin.mssante.fr")
    factories.mailbox(person, address="secret@medecin.mssante.fr", red_list=True)
    published = projection.public_person(person)
    assert [m["address"] for m in published["mailboxes"]] == [public.address]
    assert [m.address for m in Mailbox.objects.published()] == [public.address]


def test_only_open_situations_are_published(recording):
    exercise = factories.exercise()
    factories.activity(
        exercise, start_date=datetime.date(2010, 1, 1), end_date=datetime.date(2012, 1, 1), end_reason_code="CHL"
    )
    current = factories.activity(exercise)
    published = projection.public_person(exercise.person)
    assert [a["id"] for a in published["exercises"][0]["activities"]] == [current.pk]
    assert published["idnps"] == "8" + exercise.person.rpps
