"""The development provider's signing key: an RSA key kept under var/ so that tokens survive restarts."""

import json
import os
import threading

from django.conf import settings
from joserfc.jwk import KeySet, RSAKey

_lock = threading.Lock()
_key: RSAKey | None = None


def signing_key() -> RSAKey:
    global _key
    with _lock:
        if _key is None:
            path = settings.VAR_DIR / "dev-psc-signing-key.json"
            if path.exists():
                _key = RSAKey.import_key(json.loads(path.read_text()))
            else:
                _key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
                _key.ensure_kid()
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(_key.as_dict(private=True)))
                os.chmod(tmp, 0o600)
                tmp.replace(path)
        return _key


def public_jwks() -> dict:
    return KeySet([signing_key()]).as_dict(private=False)
