import datetime
import threading

import pytest
from django.db import connections

from rpps.identity import services
from rpps.identity.traits import Traits
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Person

DATA = {
    "birth_name": "PAYET",
    "given_names": "Jérémie",
    "sex_code": "M",
    "birth_date": datetime.date(1985, 9, 9),
    "birth_place_code": "97411",
}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_registrations_of_a_new_person_end_with_one_number():
    traits = Traits.parse(nom="Payet", prenoms="Jérémie", sexe="M", date_naissance="1985-09-09", lieu_naissance="97411")
    start = threading.Barrier(2)
    results, errors = [], []

    def register():
        try:
            start.wait()
            with acting_as(Actor.system("test"), "inscription simultanée"):
                results.append(services.register_person(traits, DATA))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r.outcome for r in results) == ["MATCH", "NO_MATCH"]
    assert len({r.person.rpps for r in results}) == 1
    assert Person.objects.count() == 1
