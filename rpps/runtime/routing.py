"""Public reads on a read replica: while a public page, file or FHIR read is served (GET/HEAD under
PUBLIC_READ_PATHS), the ORM reads from the `replica` database when one is configured
(DATABASE_REPLICA_URL); every write, and every other request, uses the primary. Paths that must see
their own writes at once (the $export kick-off and its status) stay on the primary. FHIR later
pages, vread and _history read the past without writing (rpps.registry.past): on the replica too."""

import contextvars

from django.conf import settings
from django.db import connections

_public = contextvars.ContextVar("rpps_public_read", default=False)
REPLICA = "replica"


def _on_replica(path: str) -> bool:
    if not any(path.startswith(prefix) for prefix in settings.PUBLIC_READ_PATHS):
        return False
    return not any(part in path for part in settings.PRIMARY_ONLY_PATH_PARTS)


class PublicReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not _on_replica(request.path):
            return self.get_response(request)
        token = _public.set(True)
        try:
            return self.get_response(request)
        finally:
            _public.reset(token)


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
