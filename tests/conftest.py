import pytest

from rpps.registry.history import Actor, acting_as


@pytest.fixture
def operator_actor():
    return Actor.system("tests")


@pytest.fixture
def recording(operator_actor):
    """Registry writes in this test are attributed to a test actor."""
    with acting_as(operator_actor, "jeu d'essai"):
        yield operator_actor


def pytest_collection_modifyitems(config, items):
    import django.db

    vendor = django.db.connection.vendor
    for item in items:
        if item.get_closest_marker("postgres_only") and vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL; CI runs the suite on PostgreSQL (.ci/run)"))
