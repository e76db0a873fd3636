"""The operator console: password + TOTP, throttled failures, a read-only audit log."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.admin_site import OperatorAuthenticationForm
from rpps.portal.models import AuditEvent

from .conftest import text

pytestmark = pytest.mark.django_db
PASSWORD = "mot-de-passe-operateur-42"


@pytest.fixture
def operator(db):
    user = get_user_model().objects.create_superuser("operatrice", "op@example.org", PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="console", confirmed=True)
    return user, device


def current_code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def login(client, password=PASSWORD, code=""):
    data = {"username": "operatrice", "password": password, "otp_token": code, "next": "/admin/"}
    return client.post("/admin/login/?next=/admin/", data)


def test_password_alone_does_not_open_the_console(client, operator):
    response = login(client)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302  # back to the login page
    event = AuditEvent.objects.get(action=AuditEvent.Action.OPERATOR_SIGN_IN_REFUSED)
    assert event.actor == "opérateur operatrice" and "TOTP" in event.message and PASSWORD not in event.message


def test_a_wrong_password_and_a_missing_code_get_the_same_answer(client, operator):
    """The page never says which of the password and the code was wrong (an attacker would learn the
    password was right from a request for the code)."""
    answers = {
        "right password, no code": login(client),
        "right password, wrong code": login(client, code="000000"),
        "wrong password, no code": login(client, password="mauvais"),
        "wrong password, right code": login(client, password="mauvais", code=current_code(operator[1])),
    }
    errors = {case: re.findall(r'<p class="errornote">\s*(.*?)\s*</p>', text(r), re.S) for case, r in answers.items()}
    assert set(map(tuple, errors.values())) == {(OperatorAuthenticationForm.GENERIC,)}, errors
    assert not any("Veuillez saisir votre jeton" in text(r) for r in answers.values())


def test_password_and_totp_code_open_the_console(client, operator):
    response = login(client, code=current_code(operator[1]))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.OPERATOR_SIGN_IN, actor="opérateur operatrice").exists()


def test_repeated_failed_logins_are_locked_out(client, operator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, password="mauvais")
    locked = login(client, code=current_code(operator[1]))  # even the right password and code
    assert locked.status_code == 429 and "Trop de tentatives" in text(locked)
    assert client.get("/admin/").status_code == 302
    refused = AuditEvent.objects.filter(action=AuditEvent.Action.OPERATOR_SIGN_IN_REFUSED)
    assert refused.count() >= settings.AXES_FAILURE_LIMIT
    assert not refused.filter(message__contains="mauvais").exists()


def test_portal_users_cannot_open_the_console(client, db):
    from .conftest import account_client

    browser = account_client("8" + "80000000028")
    assert browser.get("/admin/").status_code == 302


def test_audit_log_is_readable_filterable_and_not_editable(admin_client):
    AuditEvent.objects.create(
        actor="quelqu'un", action=AuditEvent.Action.CONTRACT_REQUESTED, structure_technical_id="F490000018"
    )
    listing = admin_client.get("/admin/portal/auditevent/", {"action__exact": "contrat_demande"})
    assert listing.status_code == 200 and "F490000018" in text(listing)
    event = AuditEvent.objects.get(actor="quelqu'un")
    assert admin_client.get("/admin/portal/auditevent/add/").status_code == 403
    assert admin_client.post(f"/admin/portal/auditevent/{event.pk}/delete/").status_code == 403
    page = admin_client.post(f"/admin/portal/auditevent/{event.pk}/change/", {"actor": "autre"})
    assert page.status_code == 403
    event.refresh_from_db()
    assert event.actor == "quelqu'un"


def test_audit_log_is_append_only_in_the_database(db):
    event = AuditEvent.objects.create(actor="a", action=AuditEvent.Action.SIGN_IN)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor="b")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).actor == "a"


def test_operator_totp_command_creates_a_device_and_shows_the_code_only_in_development(operator, settings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    user, device = operator
    out = StringIO()
    settings.DEBUG = True
    call_command("operator_totp", "operatrice", "--code", stdout=out)
    assert current_code(device) in out.getvalue()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="développement"):
        call_command("operator_totp", "operatrice", "--code", stdout=StringIO())
    get_user_model().objects.create_user("nouveau", password="x" * 20, is_staff=True)
    out = StringIO()
    call_command("operator_totp", "nouveau", stdout=out)
    assert "otpauth://totp/" in out.getvalue() and TOTPDevice.objects.filter(user__username="nouveau").exists()


def test_deciding_a_contract_needs_the_change_contract_permission(client, db):
    from django.contrib.auth.models import Permission

    from rpps.portal.models import Contract
    from tests.conftest import operator_login

    reader = get_user_model().objects.create_user("lecteur", password="x" * 20, is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_contract"))
    operator_login(client, reader)
    assert client.get("/admin/portal/contract/").status_code == 200
    assert client.post("/admin/portal/contract/1/approuver/").status_code == 403
    assert client.get("/admin/portal/contract/1/rejeter/").status_code == 403
    assert client.get("/admin/portal/auditevent/").status_code == 403  # no view permission on the log
    assert not Contract.objects.exists()
