"""Production server settings: `gunicorn -c config/gunicorn.py config.wsgi:application`.

Two worker processes (one per core of the reference machine), each with four threads: while one
thread waits for PostgreSQL another runs (measured on the FHIR identifier search: about 10 % more
requests per second than sync workers, bench/results.md), and HTTP keep-alive is honoured.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
