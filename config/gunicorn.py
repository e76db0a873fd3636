"""Production server settings: `gunicorn -c config/gunicorn.py config.wsgi:application`.

Two sync worker processes (one per core of the reference machine). Measured on the FHIR benchmark
(bench/results.md): threaded workers (gthread, 4 threads) gave no more requests per second within
the noise, and a worse p99 at low concurrency (two requests could share one process while the
other waited idle), so each process serves one request at a time.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"
