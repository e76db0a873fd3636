"""Search keys: how a name is written in the index and in a query, the one rule for both sides.

Upper case, no accents, and neither punctuation nor spaces, so that "N'Diaye", "n diaye" and
"ndiaye" are one key, as are "Saint-Jacques" and "saint jacques". Built on the INS folding of
rpps.identity.normalize (digits are kept for structures and places).
"""

from django.db.models import Q

from rpps.identity.normalize import fold_text, normalize_name


def name_key(*parts: str) -> str:
    return "".join(normalize_name(p) for p in parts).replace(" ", "")


def text_key(*parts: str) -> str:
    return "".join(fold_text(p) for p in parts).replace(" ", "")


def _after(prefix: str) -> str | None:
    """The smallest key greater than every key starting with ``prefix`` (keys are [0-9A-Z] only)."""
    stripped = prefix.rstrip("Z")
    if not stripped:
        return None
    last = stripped[-1]
    return stripped[:-1] + ("A" if last == "9" else chr(ord(last) + 1))


def prefix_condition(column: str, key: str) -> Q:
    """``column`` starts with ``key``, written as a range so that a plain btree serves it in any collation."""
    upper = _after(key)
    return Q(**{f"{column}__gte": key}) & (Q(**{f"{column}__lt": upper}) if upper else Q())
