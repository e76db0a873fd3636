"""Real services started by tests that need them: a local S3 implementation (moto's server mode, from
PyPI), and helpers to run project processes (servers, workers) against the test database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class S3Server:
    """moto's S3 server on a free port, with one bucket; `env` configures the project to use it."""

    def __init__(self, bucket: str = "rpps-tests"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bucket = bucket
        self.process = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(self.url)
        self.client().create_bucket(Bucket=bucket)

    @property
    def env(self) -> dict:
        return {
            "STORAGE_S3_BUCKET": self.bucket,
            "STORAGE_S3_ENDPOINT_URL": self.url,
            "STORAGE_S3_REGION": "us-east-1",
            "STORAGE_S3_ACCESS_KEY_ID": "tests",
            "STORAGE_S3_SECRET_ACCESS_KEY": "tests",
        }

    def storage_options(self, prefix: str) -> dict:
        return {
            "bucket_name": self.bucket,
            "location": prefix,
            "endpoint_url": self.url,
            "region_name": "us-east-1",
            "access_key": "tests",
            "secret_key": "tests",
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": False,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="tests",
            aws_secret_access_key="tests",
        )

    def keys(self, prefix: str = "") -> list[str]:
        found = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in found.get("Contents", []))

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def project_env(database_name: str, **extra) -> dict:
    """The environment of a project process (server, worker, command) sharing the test database."""
    from django.db import connection

    params = connection.settings_dict
    env = dict(os.environ)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{database_name}"
        )
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONUNBUFFERED": "1"}
    env |= {k: str(v) for k, v in extra.items()}
    return env


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "ab")  # noqa: SIM115 — the process owns it
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def manage(*args, env: dict, log: Path) -> subprocess.Popen:
    return start([sys.executable, "manage.py", *args], env, log)
