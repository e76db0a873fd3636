import datetime

import pytest

from rpps.identity import services
from rpps.identity.models import DistinctPair, IdentityIndex, IdentityKey, ReviewCase
from rpps.identity.resolver import resolve
from rpps.identity.scoring import MATCH, NO_MATCH, POSSIBLE
from rpps.identity.traits import InvalidTraits, Traits
from rpps.registry.aliases import resolve_rpps
from rpps.registry.history import person_history
from rpps.registry.models import Activity, ChangeRecord, Exercise, Person
from tests import factories

pytestmark = pytest.mark.django_db

DATA = {
    "birth_name": "LEFÈVRE",
    "given_names": "Anaïs Claire",
    "sex_code": "F",
    "civility_code": "MME",
    "birth_date": datetime.date(1991, 7, 4),
    "birth_place_code": "44109",
}
# Given names in another order and another birth place: maybe the same person, maybe not.
DOUBTFUL = DATA | {"given_names": "Claire Anaïs", "birth_place_code": "44184", "birth_city_abroad": ""}


def traits_of(data=DATA, **changes):
    d = data | changes
    return Traits.parse(
        nom=d["birth_name"],
        prenoms=d["given_names"],
        sexe=d["sex_code"],
        date_naissance=d["birth_date"],
        lieu_naissance=d["birth_place_code"],
    )


def test_saving_a_person_indexes_it(recording):
    person = factories.person(**DATA)
    assert IdentityIndex.objects.get(person=person).birth_name == "LEFEVRE"
    assert IdentityKey.objects.filter(person=person, key="D19910704FL").exists()


def test_new_person_gets_a_new_number_and_a_history(recording):
    result = services.register_person(traits_of(), DATA)
    assert result.outcome == NO_MATCH and result.person.rpps.startswith("8")
    assert person_history(result.person.pk).filter(action="create").count() == 1


def test_the_same_person_again_reuses_the_number_and_writes_nothing(recording):
    first = services.register_person(traits_of(), DATA).person
    writes = ChangeRecord.objects.count()
    again = services.register_person(traits_of(birth_name="lefevre", given_names="Anais"), DATA)
    assert again.outcome == MATCH and again.person == first
    assert Person.objects.count() == 1 and ChangeRecord.objects.count() == writes


def test_a_doubtful_request_waits_for_review_and_creates_nobody(recording):
    first = services.register_person(traits_of(), DATA).person
    result = services.register_person(traits_of(DOUBTFUL), DOUBTFUL)
    assert result.outcome == POSSIBLE and result.person is None
    case = result.case
    assert case.status == ReviewCase.Status.OPEN and case.candidates[0]["rpps"] == first.rpps
    assert case.candidates[0]["explanation"]["prenoms"] == {"etat": "close", "note": "prénoms dans un autre ordre"}
    assert Person.objects.count() == 1


def test_review_same_person_gives_the_existing_number(recording, admin_user):
    first = services.register_person(traits_of(), DATA).person
    case = services.register_person(traits_of(DOUBTFUL), DOUBTFUL).case
    assert services.decide_same(case, first.pk, admin_user) == first
    case.refresh_from_db()
    assert case.status == ReviewCase.Status.SAME and case.person == first and case.decided_by == admin_user
    with pytest.raises(ValueError, match="déjà été décidé"):
        services.decide_distinct(case, admin_user)


def test_review_distinct_creates_the_person_and_never_proposes_the_pair_again(recording, admin_user):
    first = services.register_person(traits_of(), DATA).person
    case = services.register_person(traits_of(DOUBTFUL), DOUBTFUL).case
    created = services.decide_distinct(case, admin_user)
    assert created.rpps != first.rpps and Person.objects.count() == 2
    assert DistinctPair.objects.filter(low=min(first, created, key=lambda p: p.pk)).exists()
    assert services.check_person(created) == []


def test_merge_keeps_the_older_number_and_moves_everything(recording):
    older = factories.person(**DATA)
    newer = factories.person(**DATA | {"given_names": "Anaïs"})
    old_exercise = factories.exercise(older, profession_code="60", exercise_civility_code="")
    new_exercise = factories.exercise(newer, profession_code="60", exercise_civility_code="")
    moved = factories.activity(new_exercise)
    other_profession = factories.exercise(newer, profession_code="50", exercise_civility_code="")
    factories.mailbox(newer)
    kept = services.merge_persons(newer, older)
    newer.refresh_from_db()
    assert kept == older and newer.merged_into == older
    assert resolve_rpps(newer.rpps) == older  # the retired number still resolves
    assert Activity.objects.get(pk=moved.pk).exercise == old_exercise
    assert not Exercise.objects.filter(pk=new_exercise.pk).exists()
    assert Exercise.objects.get(pk=other_profession.pk).person == older
    assert older.mailboxes.count() == 1
    assert not IdentityKey.objects.filter(person=newer).exists()  # never a candidate again
    assert resolve(traits_of()).person_id == older.pk
    changes = {(r.object_type, r.action) for r in person_history(older.pk)}
    assert ("registry.activity", "update") in changes
    assert person_history(newer.pk).filter(object_type="registry.exercise", action="delete").exists()
    assert person_history(newer.pk).filter(action="update", after__merged_into_id=older.pk).exists()


def test_check_person_opens_a_pair_case(recording, admin_user):
    older = factories.person(**DATA)
    newer = factories.person(
        **DATA | {"usage_name": "", "given_names": "Claire Anaïs", "birth_place_code": "44184", "birth_city_abroad": ""}
    )
    cases = services.check_person(newer)
    assert len(cases) == 1 and cases[0].kind == ReviewCase.Kind.PAIR
    assert services.check_person(newer) == []  # already open: not opened twice
    kept = services.decide_same(cases[0], older.pk, admin_user)
    assert kept == older and Person.objects.get(pk=newer.pk).merged_into == older


def test_incomplete_person_data_is_refused_before_anything_is_queued(recording):
    from django.core.exceptions import ValidationError

    factories.person(**DATA)
    with pytest.raises(ValidationError) as exc:
        abroad = DOUBTFUL | {"birth_place_code": "99134", "birth_city_abroad": ""}  # born abroad, city missing
        services.register_person(traits_of(abroad), abroad)
    assert exc.value.message_dict == {
        "birth_city_abroad": ["Pour une naissance à l'étranger, la ville de naissance est obligatoire."]
    }
    assert not ReviewCase.objects.exists() and Person.objects.count() == 1


def test_invalid_traits_stop_before_anything_is_written(recording):
    with pytest.raises(InvalidTraits):
        services.register_person(traits_of(birth_date="1991-02-30"), DATA)
    assert not Person.objects.exists() and not ReviewCase.objects.exists()
