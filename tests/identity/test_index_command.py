"""index_identities: after a bulk load (rows written without the models), the persons missing from
the identity index are indexed, and the resolver finds them; --reconstruire rebuilds everything."""

import io

import pytest
from django.core.management import call_command

from rpps.identity.models import IdentityIndex, IdentityKey
from rpps.identity.resolver import resolve
from rpps.identity.traits import Traits
from rpps.registry.models import Person
from rpps.registry.population.run import generate

pytestmark = pytest.mark.django_db


def _index(*args) -> str:
    out = io.StringIO()
    call_command("index_identities", *args, stdout=out)
    return out.getvalue()


def test_bulk_loaded_persons_are_indexed_then_found(recording):
    generate(30, 4, progress=False)
    IdentityKey.objects.all().delete()
    IdentityIndex.objects.all().delete()  # as a loader leaves them: written without the models
    indexable = Person.objects.current().filter(birth_date__isnull=False).count()
    assert f"{indexable} identité(s) indexée(s)" in _index()
    assert IdentityIndex.objects.count() == indexable and IdentityKey.objects.exists()
    assert "0 identité(s) indexée(s)" in _index()  # nothing missing any more
    person = Person.objects.filter(birth_date__isnull=False).order_by("pk").first()
    traits = Traits.of_person(person)
    decision = resolve(traits)
    assert decision.outcome == "MATCH" and decision.person_id == person.pk
    keys = IdentityKey.objects.count()
    assert f"{indexable} identité(s) indexée(s)" in _index("--reconstruire")
    assert IdentityKey.objects.count() == keys  # the same keys, rebuilt


def test_a_request_with_surname_and_given_names_swapped_is_found_the_other_way_round(recording):
    """Surname typed as given names and the reverse: the person is found the other way round — merged when
    every trait then agrees down to the commune, else proposed for review (POSSIBLE), saying so."""
    from tests import factories

    person = factories.person(
        birth_name="DELACROIX", given_names="Marie", birth_date="1975-04-02", sex_code="F", birth_place_code="69123"
    )
    swapped = Traits.parse(
        nom="Marie", prenoms="Delacroix", sexe="F", date_naissance="1975-04-02", lieu_naissance="69123"
    )
    decision = resolve(swapped)
    assert decision.outcome == "MATCH" and decision.person_id == person.pk
    assert decision.explanation().startswith("nom et prénoms inversés dans la demande")
    without_place = Traits.parse(nom="Marie", prenoms="Delacroix", sexe="F", date_naissance="1975-04-02")
    decision = resolve(without_place)
    assert decision.outcome == "POSSIBLE" and decision.comparisons[0].candidate.person_id == person.pk
    unknown = Traits.parse(nom="Martin", prenoms="Paul", sexe="M", date_naissance="1960-01-02", lieu_naissance="")
    assert resolve(unknown).outcome == "NO_MATCH"
