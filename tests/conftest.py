import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from hypothesis import settings as hypothesis_settings

from rpps.registry.history import Actor, acting_as

# No test may depend on the machine's speed: property tests run without a per-example deadline
# (hypothesis' default of 200 ms failed once on a loaded machine), with a fixed number of examples.
hypothesis_settings.register_profile("rpps", deadline=None, derandomize=True)
hypothesis_settings.load_profile("rpps")


def local_storages(settings, root) -> None:
    """The shared stores (publications, exports) as folders under `root`."""
    settings.STORAGES = settings.STORAGES | {
        alias: {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root / alias)}}
        for alias in ("publications", "exports")
    }


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (rate-limit counts, …), as the database is emptied."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def shared_files(settings, tmp_path):
    """Every test has its own publication and export stores (never var/)."""
    local_storages(settings, tmp_path / "stores")
    return tmp_path / "stores"


def published_zip(publication, name: str):
    """The local file of an extraction's zip in a publication (file-system store)."""
    from rpps.publication.publish import store

    return Path(store().path(publication.stored_name(publication.zip_name(name))))


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 implementation (moto's server mode) on a free local port, for the whole run."""
    from tests.services import S3Server

    server = S3Server()
    yield server
    server.stop()


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


@pytest.fixture
def flushable_sqlite(transactional_db):
    """SQLite empties tables with DELETE, which the append-only triggers refuse: lift them for the flush.

    pytest-django runs transactional tests after all the others, and the triggers are put back at
    the start of the next test using this fixture (PostgreSQL flushes with TRUNCATE: nothing to do).
    """
    from django.db import connection

    from rpps.registry.append_only import TABLES, statements

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for table, prefix in TABLES:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name=%s", [f"{prefix}_no_update"]
            )
            if cursor.fetchone()[0] == 0:
                for sql in statements(table, prefix)[0]["sqlite"]:
                    cursor.execute(sql)
    yield
    with connection.cursor() as cursor:
        for table, prefix in TABLES:
            for sql in statements(table, prefix)[1]["sqlite"]:
                cursor.execute(sql)


# End-to-end tests drive Debian's chromium through Playwright (never a downloaded browser). Without
# it they are skipped and say so, unless RPPS_REQUIRE_BROWSER is set, as `.ci/run` does: there a
# missing browser is a failure.
CHROMIUM = "/usr/bin/chromium"


# axe-core (npm, package.json) runs on every page the browser tests reach — after each goto and each
# click that navigated — and the test fails on any violation of WCAG 2.1 A/AA (RGAA's reference).
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@contextmanager
def _accessibility_checked():
    from playwright.sync_api import Locator, Page

    if not AXE.exists():
        if os.environ.get("RPPS_REQUIRE_BROWSER"):
            pytest.fail(f"{AXE} absent alors que RPPS_REQUIRE_BROWSER est défini (npm ci, que fait make install-dev).")
        pytest.skip(
            f"{AXE} absent (npm introuvable) : test de bout en bout non joué, son contrôle d'accessibilité manquerait."
        )
    script, failures, seen = AXE.read_text(), [], set()
    originals = {(Page, "goto"): Page.goto, (Page, "click"): Page.click, (Locator, "click"): Locator.click}

    def check(page):
        page.wait_for_load_state("load")
        key = (page.url, page.title())
        if key in seen:
            return
        seen.add(key)
        page.evaluate(script)  # through the debugging protocol: the pages' CSP forbids inline scripts
        found = page.evaluate("tags => axe.run(document, {runOnly: tags}).then(r => r.violations.map(v => "
            "[v.id, v.help, v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')]))", AXE_TAGS)  # fmt: skip
        failures.extend(f"{page.url} — {rule} : {help} ({where})" for rule, help, where in found)

    def navigating(name, owner):
        def wrapper(self, *args, **kwargs):
            page = self if isinstance(self, Page) else self.page
            before = page.evaluate("() => performance.timeOrigin") if page.url != "about:blank" else None
            result = originals[(owner, name)](self, *args, **kwargs)
            if page.url != "about:blank" and page.evaluate("() => performance.timeOrigin") != before:
                check(page)  # a new document: the page the user now sees
            return result

        return wrapper

    for owner, name in originals:
        setattr(owner, name, navigating(name, owner))
    try:
        yield failures
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("RPPS_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} est absent alors que RPPS_REQUIRE_BROWSER est défini (apt-get install chromium).")
        pytest.skip(f"{CHROMIUM} absent : test de bout en bout non joué (.ci/run installe chromium et le joue).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright, _accessibility_checked() as failures:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        assert not failures, "Accessibilité (axe-core, RGAA/WCAG 2.1 AA) :\n" + "\n".join(failures)
        # The ORM calls made in Playwright's context opened their own connection: close it, or
        # PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# The statement timeout a public read sets and resets on PostgreSQL (rpps.runtime.routing): two
# statements per request, whatever the page, not reads.
_TIMEOUT_STATEMENTS = ("SET statement_timeout", "RESET statement_timeout")


def data_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(_TIMEOUT_STATEMENTS)]


@pytest.fixture
def assert_max_reads():
    """Like pytest-django's django_assert_max_num_queries, counting the page's reads only."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def at_most(number: int):
        with CaptureQueriesContext(connection) as context:
            yield
        reads = data_queries(context.captured_queries)
        assert len(reads) <= number, f"{len(reads)} queries:\n" + "\n".join(reads)

    return at_most
