"""Two servers and workers sharing PostgreSQL, Redis (the job broker) and S3 (moto's server): what
one server starts, the other follows; a worker killed during an import leaves a clear state, and
the import finishes once the job is sent again; a nomenclature change reaches both servers."""

import datetime
import re
import signal
import time
import uuid

import pytest
import requests
from django.db import connection

from rpps.fhir.models import ApiKey
from rpps.nomenclatures import catalog, lookup
from rpps.nomenclatures.models import Concept
from rpps.portal import bulk
from rpps.portal.models import BulkImport
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Person
from rpps.runtime.models import Job
from tests import factories, services
from tests.portal.conftest import account_client, managed  # noqa: F401 — the fixture, used by name
from tests.portal.test_bulk import csv_bytes

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
REDIS_URL = "redis://127.0.0.1:6379/0"
ROWS = 600


def wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"toujours pas au bout de {seconds} s : {what}")


@pytest.fixture
def cluster(s3_server, tmp_path):
    """Servers A and B (gunicorn) and one worker (Huey consumer), on the test database."""
    env = services.project_env(
        connection.settings_dict["NAME"],
        JOBS_IMMEDIATE="false",
        JOBS_REDIS_URL=REDIS_URL,
        JOBS_QUEUE_NAME=f"tests-{uuid.uuid4().hex[:8]}",
        SHARED_CACHE_CHECK_SECONDS=1,
        JOB_HEARTBEAT_SECONDS=1,
        JOB_STALE_SECONDS=4,
        PORTAL_BULK_INLINE_ROWS=1,
        FHIR_RATE_LIMIT=10_000,
        FHIR_EXPORT_WORKERS=2,
        GUNICORN_WORKERS=1,
        RPPS_VAR_DIR=tmp_path / "var",
        **s3_server.env,
    )
    processes = {}

    def server(name):
        port = services.free_port()
        processes[name] = services.start(
            [str(services.BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi:application"],
            env | {"GUNICORN_BIND": f"127.0.0.1:{port}"},
            tmp_path / f"{name}.log",
        )
        return f"http://127.0.0.1:{port}"

    def worker(name="worker"):
        processes[name] = services.manage("run_huey", "--no-periodic", env=env, log=tmp_path / f"{name}.log")
        return processes[name]

    urls = {"A": server("A"), "B": server("B")}
    worker()
    for url in urls.values():
        services.wait_http(url + "/fhir/v2/metadata")
    yield {"urls": urls, "worker": worker, "env": env, "processes": processes, "logs": tmp_path}
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        process.wait(20)


def _browser(national_id: str) -> requests.Session:
    """A requests session carrying a portal user's Django session (stored in the shared database)."""
    client = account_client(national_id)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def _csrf(session, url) -> str:
    page = session.get(url)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


SYLLABLES = ["BA", "CO", "DU", "FI", "GA", "LO", "MU", "NE", "PI", "RA", "SO", "TU", "VE", "ZI"]


def _names(count) -> list[str]:
    """Surnames far from one another (neighbours share no syllable), so each row is a new person."""
    names = []
    for i in range(count):
        n = (i * 1931) % len(SYLLABLES) ** 3
        names.append("".join(SYLLABLES[(n // len(SYLLABLES) ** k) % len(SYLLABLES)] for k in range(3)) + "X")
    return names


def _rows(site, names):
    start = datetime.date(1950, 1, 1)
    return [
        dict(
            bulk.EXAMPLE,
            finess_ou_siret_site=site.finess,
            nom_naissance=name,
            nom_exercice=name,
            date_naissance=(start + datetime.timedelta(days=(i * 97) % 18000)).isoformat(),
        )
        for i, name in enumerate(names)
    ]


def test_two_servers_one_worker_share_jobs_files_and_caches(cluster, managed, s3_server):  # noqa: F811
    a, b = cluster["urls"]["A"], cluster["urls"]["B"]
    with acting_as(Actor.system("tests"), "jeu d'essai"):
        role = factories.activity(factories.exercise(last_name="GRAPPE"), managed["site"])
    key = {"ESANTE-API-KEY": ApiKey.issue("grappe")[1]}

    # An export started on A is followed and downloaded on B (its files are in the object storage).
    kick = requests.get(f"{a}/fhir/v2/$export?_type=Practitioner", headers=key | {"Prefer": "respond-async"})
    assert kick.status_code == 202, kick.text
    status_url = b + "/fhir/" + kick.headers["Content-Location"].split("/fhir/", 1)[1]
    manifest = wait(
        lambda: (r := requests.get(status_url, headers=key)).status_code == 200 and r.json(),
        120,
        "l'export lancé sur A n'est pas terminé vu de B",
    )
    lines = []
    for output in manifest["output"]:
        file_url = b + "/fhir/" + output["url"].split("/fhir/", 1)[1]
        lines += requests.get(file_url, headers=key).text.splitlines()
    assert len(lines) == Person.objects.count() and any("GRAPPE" in line for line in lines)
    export_id = status_url.rsplit("/", 1)[1]
    assert s3_server.keys(f"fhir-exports/{export_id}/")

    # An import checked on A is confirmed on B; the worker is killed while it writes.
    browser = _browser(managed["manager"])
    names = _names(ROWS)
    assert len(set(names)) == ROWS
    token = _csrf(browser, f"{a}/portail/import/")
    sent = browser.post(
        f"{a}/portail/import/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": a},
        files={"file": ("grappe.csv", csv_bytes(_rows(managed["site"], names)))},
    )
    assert sent.status_code == 200, sent.text[:500]
    found = wait(lambda: BulkImport.objects.filter(state=BulkImport.State.READY).first(), 120, "vérification")
    assert found.counts["nouveau"] == ROWS
    token = _csrf(browser, f"{b}/portail/import/{found.pk}/")
    confirmed = browser.post(
        f"{b}/portail/import/{found.pk}/", data={"csrfmiddlewaretoken": token}, headers={"Referer": b}
    )
    assert confirmed.status_code == 200
    wait(lambda: BulkImport.objects.filter(pk=found.pk, done_rows__gte=50).exists(), 120, "import commencé")
    cluster["processes"]["worker"].send_signal(signal.SIGKILL)
    cluster["processes"]["worker"].wait(10)
    job = Job.objects.get(kind="portal.bulk_apply")
    found.refresh_from_db()
    assert job.state == Job.State.RUNNING and found.state == BulkImport.State.APPLYING
    written = Person.objects.filter(birth_name__in=names).count()
    assert 0 < written < ROWS  # interrupted mid-way: each row whole, the rest waiting
    page = browser.get(f"{b}/portail/import/{found.pk}/").text
    assert "Import en cours" in page
    # A new worker, and the reaper (every minute in production) sends the job again: it finishes.
    cluster["worker"]("worker-2")
    time.sleep(5)  # past JOB_STALE_SECONDS without a sign of life
    reaped = services.manage("periodic", "runtime.reap", env=cluster["env"], log=cluster["logs"] / "reap.log")
    assert reaped.wait(60) == 0
    wait(
        lambda: BulkImport.objects.filter(pk=found.pk, state=BulkImport.State.APPLIED).exists(),
        180,
        "import repris après l'arrêt du processus de travail",
    )
    # The import is marked applied inside the job; the job itself is marked done just after it returns.
    wait(lambda: Job.objects.filter(pk=job.pk, state=Job.State.DONE).exists(), 60, "travail marqué terminé")
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    found.refresh_from_db()
    outcome = found.counts["import"]  # rows written before the kill are found again ("déjà"), not written twice
    assert outcome["enregistrees"] + outcome["deja"] == ROWS and outcome["deja"] == written
    assert Person.objects.filter(birth_name__in=names).count() == ROWS  # nobody twice, nobody missing

    # A nomenclature change reaches both servers without a restart.
    url = f"/fhir/v2/Practitioner/003-{role.exercise.pk}"
    code = role.exercise.profession_code
    before = lookup.label(catalog.PROFESSION, code)
    for server in (a, b):
        assert before in requests.get(server + url, headers=key).text
    Concept.objects.filter(table__name=catalog.PROFESSION, code=code).update(label="Libellé changé en service")
    lookup.clear_cache()
    for server in (a, b):
        wait(
            lambda server=server: "Libellé changé en service" in requests.get(server + url, headers=key).text,
            15,
            f"le nouveau libellé sur {server}",
        )
