import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_prod_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings.prod"], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_production_refuses_debug():
    result = _import_prod_settings(DEBUG="true", SECRET_KEY="x" * 60)
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_production_refuses_a_missing_or_default_secret():
    result = _import_prod_settings()
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    result = _import_prod_settings(SECRET_KEY="dev-insecure-secret-key-do-not-use-in-production")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_and_debug_off():
    result = _import_prod_settings(SECRET_KEY="k" * 64, DEBUG="false")
    assert result.returncode == 0, result.stderr


def test_bad_boolean_is_refused():
    result = _import_prod_settings(SECRET_KEY="k" * 64, DEBUG="peut-être")
    assert result.returncode != 0 and "DEBUG must be a boolean" in result.stderr


def test_production_serves_no_development_identity_provider():
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.prod'; django.setup()\n"
        "from django.conf import settings; from django.urls import Resolver404, resolve\n"
        "assert not settings.DEV_PSC_ENABLED and 'rpps.devpsc' not in settings.INSTALLED_APPS\n"
        "try:\n    resolve('/dev-psc/.well-known/openid-configuration')\nexcept Resolver404:\n    print('absent')\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    clean["SECRET_KEY"] = "k" * 64
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "absent", result.stderr


def test_production_refuses_to_load_demo_data(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    clean |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "k" * 64,
        "RPPS_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo"], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "n'admettent pas de données de démonstration ou synthétiques" in result.stderr


def test_production_settings_pass_the_deployment_checks_without_a_warning(tmp_path):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    clean |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "k" * 25 + "Z9-x" * 10,
        "ALLOWED_HOSTS": "annuaire.example.fr",
        "RPPS_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
