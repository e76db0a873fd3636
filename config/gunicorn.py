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
# Bounds on what one request may send before Django sees it (gunicorn's defaults, stated and tightened):
# a header line of 8 KB at most, 50 header fields. Repeated Cookie headers are joined into one value:
# rpps.runtime.middleware.RequestLimits refuses a joined Cookie header over COOKIE_MAX_BYTES before Django
# parses cookies (CPython < 3.11.10 parses them in quadratic time, CVE-2024-7592).
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
# A worker that takes longer than this is killed and replaced (the master answers nothing for it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
