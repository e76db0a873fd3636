"""Bad input: a clear French message naming the field, and nothing written."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rpps.registry.models import Activity, ChangeRecord, Exercise, Person, Structure
from tests import factories

pytestmark = pytest.mark.django_db


def errors_of(obj) -> dict:
    with pytest.raises(ValidationError) as exc:
        obj.full_clean()
    return exc.value.message_dict


def test_invalid_rpps_is_refused_with_message(recording):
    before = Person.objects.count()
    p = factories.unsaved_person(rpps="10101299824")
    assert errors_of(p)["rpps"] == ["Le numéro RPPS est invalide : sa clé de contrôle (dernier chiffre) est fausse."]
    assert Person.objects.count() == before


def test_deprecated_profession_is_refused_for_a_new_exercise_but_kept_on_an_old_one(recording):
    person = factories.person()
    exercise = Exercise(person=person, profession_code="35", category_code="C", last_name="DUPONT")
    message = errors_of(exercise)["profession_code"][0]
    assert message.startswith("Profession : Le code « 35 » (Aide-soignant)")
    assert not Exercise.objects.exists()
    # An exercise recorded before the code was deprecated (written by a load) stays valid on later edits.
    Exercise.objects.create(person=person, profession_code="35", category_code="C", last_name="DUPONT")
    old = Exercise.objects.get()
    old.first_name = "Hélène"
    old.full_clean()
    old.profession_code = "36"  # but switching to another deprecated code is a new value
    assert "profession_code" in errors_of(old)


def test_unknown_codes_name_their_fields(recording):
    activity = Activity(**factories.activity_values(mode_code="X", genre_code="GENR77", role_code="999"))
    errors = errors_of(activity)
    assert errors["mode_code"][0].startswith("Mode d'exercice : Le code « X » n'existe pas")
    assert errors["genre_code"][0].startswith("Genre d'activité : Le code « GENR77 »")
    assert errors["role_code"][0].startswith("Rôle : Le code « 999 »")


def test_end_date_before_start_date(recording):
    activity = Activity(
        **factories.activity_values(start_date=datetime.date(2020, 5, 1), end_date=datetime.date(2020, 4, 30))
    )
    errors = errors_of(activity)
    assert "Date de fin : elle ne peut pas précéder la date de début (01/05/2020)." in errors["end_date"]
    assert not Activity.objects.exists()


def test_database_refuses_end_before_start_even_without_form_validation(recording):
    values = factories.activity_values(start_date=datetime.date(2020, 5, 1), end_date=datetime.date(2020, 4, 30))
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(**values)
    assert not Activity.objects.exists()


def test_database_refuses_malformed_rpps_and_structure_ids(recording):
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            rpps="1234",
            sex_code="F",
            birth_name="X",
            given_names="Y",
            birth_date=datetime.date(1980, 1, 1),
            birth_place_code="75056",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Structure.objects.create(siret="123", name="X")
    with pytest.raises(IntegrityError), transaction.atomic():
        Structure.objects.create(name="Sans identifiant")
    assert not Person.objects.exists() and not Structure.objects.exists()
    assert not ChangeRecord.objects.exists()  # nothing half-written: no history either


def test_duplicate_rpps_is_refused(recording):
    person = factories.person()
    duplicate = factories.unsaved_person(rpps=person.rpps, birth_name="AUTRE", given_names="Paul")
    assert errors_of(duplicate)["rpps"] == ["Un objet Personne avec ce champ Numéro RPPS existe déjà."]


def test_structure_identifiers_are_checked_and_technical_id_computed(recording):
    errors = errors_of(Structure(finess="490000001", siret="12345678901234", name="X"))
    assert "FINESS" in errors["finess"][0] and "SIRET" in errors["siret"][0]
    assert "Une structure doit avoir un numéro FINESS, SIRET ou RPPS-rang." in errors_of(Structure(name="X"))["finess"]
    siret = factories.siret_number()
    structure = factories.structure(finess=None, siret=siret)
    assert structure.technical_id == "C" + siret and structure.old_id == "3" + siret


def test_birth_data_checks(recording):
    person = factories.unsaved_person(sex_code="X", birth_date=datetime.date(2999, 1, 1), birth_place_code="99134")
    errors = errors_of(person)
    assert errors["birth_date"] == ["La date de naissance ne peut pas être dans le futur."]
    assert errors["birth_city_abroad"] == ["Pour une naissance à l'étranger, la ville de naissance est obligatoire."]
    assert errors["sex_code"][0].startswith("Sexe : Le code « X »")


def test_expertise_types_without_a_shipped_table_are_refused(recording):
    from rpps.registry.models import Expertise

    exercise = factories.exercise()
    errors = errors_of(Expertise(exercise=exercise, type_code="C", code="CM01"))
    assert "seules les spécialités ordinales (type S)" in errors["code"][0]
    assert "code" in errors_of(Expertise(exercise=exercise, type_code="S", code="SM99"))
    factories.expertise(exercise, "SM54")


def test_a_second_structure_with_the_same_identifier_is_refused(recording):
    siret = factories.siret_number()
    factories.structure(finess=None, siret=siret)
    errors = errors_of(Structure(siret=siret, name="Doublon"))
    assert errors["siret"] == [f"Une structure d'identifiant technique C{siret} existe déjà dans le répertoire."]
    assert Structure.objects.count() == 1


def test_the_same_open_situation_twice_is_refused_with_a_message(recording):
    first = factories.activity(start_date=datetime.date(2020, 1, 1))
    again = Activity(**factories.activity_values(first.exercise, first.structure, start_date=datetime.date(2024, 3, 1)))
    with pytest.raises(ValidationError) as refused:
        again.full_clean()
    assert "déjà cette situation dans cette structure" in str(refused.value) and "01/01/2020" in str(refused.value)
    # another role, or after the first one ended, is another situation
    other_mode = Activity(**factories.activity_values(first.exercise, first.structure, mode_code="L"))
    other_mode.full_clean()
    first.end_date = datetime.date(2023, 12, 31)
    first.save()
    again.full_clean()
