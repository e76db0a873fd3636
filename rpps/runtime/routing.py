"""Public reads on a read replica: while a public page, file or FHIR read is served (GET/HEAD under
PUBLIC_READ_PATHS), the ORM reads from the `replica` database when one is configured
(DATABASE_REPLICA_URL); every write, and every other request, uses the primary. Paths that must see
their own writes at once (the $export kick-off and its status) stay on the primary. FHIR later
pages, vread and _history read the past without writing (rpps.registry.past): on the replica too."""

import contextvars

from django.conf import settings
from django.db import DatabaseError, connections
from django.shortcuts import render

_public = contextvars.ContextVar("rpps_public_read", default=False)
REPLICA = "replica"


def _on_replica(path: str) -> bool:
    if not any(path.startswith(prefix) for prefix in settings.PUBLIC_READ_PATHS):
        return False
    return not any(part in path for part in settings.PRIMARY_ONLY_PATH_PARTS)


class PublicReadMiddleware:
    """Also bounds what one public read may cost the database: on PostgreSQL its statements are cancelled
    after PUBLIC_STATEMENT_TIMEOUT_MS, and the reader is told so (process_exception), not shown a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not _on_replica(request.path):
            return self.get_response(request)
        token = _public.set(True)
        connection = connections[REPLICA if REPLICA in connections.settings else "default"]
        bounded = connection.vendor == "postgresql" and settings.PUBLIC_STATEMENT_TIMEOUT_MS > 0
        try:
            if bounded:
                with connection.cursor() as cursor:
                    cursor.execute("SET statement_timeout = %s", [settings.PUBLIC_STATEMENT_TIMEOUT_MS])
            return self.get_response(request)
        finally:
            _public.reset(token)
            if bounded and connection.connection is not None:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("RESET statement_timeout")  # the connection serves other requests next
                except DatabaseError:
                    connection.close()  # a broken connection is not handed to the next request

    def process_exception(self, request, exception):
        if not _public.get() or not cancelled(exception):
            return None
        if request.path.startswith(settings.API_PATH_PREFIXES):
            return None  # the API answers in its own format (rpps.fhir.http)
        response = render(request, "503.html", {"seconds": settings.PUBLIC_STATEMENT_TIMEOUT_MS / 1000}, status=503)
        response["Retry-After"] = "30"
        return response


def cancelled(exception: BaseException) -> bool:
    """A statement the database cancelled (statement_timeout), whatever layer wrapped it."""
    while exception is not None:
        if getattr(exception, "sqlstate", None) == "57014":  # query_canceled
            return True
        exception = exception.__cause__ or exception.__context__
    return False


class PublicReadRouter:
    def db_for_read(self, model, **hints):
        if _public.get() and REPLICA in connections.settings:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
