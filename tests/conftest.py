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


def operator_login(client, user):
    """Signs an operator in to the console as after password + TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="tests", defaults={"confirmed": True})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in with the second factor the console requires."""
    return operator_login(client, admin_user)
