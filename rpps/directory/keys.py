"""Search keys: how a name is written in the index and in a query, the one rule for both sides.

Upper case, no accents, and neither punctuation nor spaces, so that "N'Diaye", "n diaye" and
"ndiaye" are one key, as are "Saint-Jacques" and "saint jacques". Built on the INS folding of
rpps.identity.normalize (digits are kept for structures and places).
"""

from rpps.identity.normalize import fold_text, normalize_name


def name_key(*parts: str) -> str:
    return "".join(normalize_name(p) for p in parts).replace(" ", "")


def text_key(*parts: str) -> str:
    return "".join(fold_text(p) for p in parts).replace(" ", "")
