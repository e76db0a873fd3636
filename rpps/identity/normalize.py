"""Identity traits normalised in the INS manner, and phonetic keys for candidate search.

INS rules (portal.md §3.1): upper case, no diacritics, hyphens and apostrophes read as spaces,
spaces collapsed; the first given name must match the start of the given-name list.
"""

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose into a base letter + accent.
_SPECIAL = str.maketrans({"Œ": "OE", "Æ": "AE", "ß": "SS", "Ø": "O", "Ð": "D", "Þ": "TH", "Ł": "L", "ı": "I"})
_NOT_LETTER = re.compile(r"[^A-Z ]+")
_NOT_LETTER_OR_DIGIT = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r" +")
# Digits scanned or typed for the letters they look like; no name holds a digit.
_DIGIT_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B"})


def _fold(value: str, other: re.Pattern) -> str:
    text = value.upper().translate(_SPECIAL)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.upper().translate(_SPECIAL)
    text = other.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=200_000)  # names repeat a lot: bulk indexing mostly hits the cache
def normalize_name(value: str) -> str:
    """'  N’Diaye-dé la Rosa ' -> 'N DIAYE DE LA ROSA'."""
    # hyphens, apostrophes (’ and '), dots and digits read as spaces
    return _fold(value, _NOT_LETTER) if value else ""


def misread_digits(value: str) -> str:
    """A name as typed or scanned, its digits read as the letters they look like (DUP0NT): no name holds
    a digit. For identity requests only (a search box keeps what the user typed)."""
    return value.translate(_DIGIT_LOOKALIKES)


@lru_cache(maxsize=200_000)
def fold_text(value: str) -> str:
    """normalize_name keeping digits, for names of places and structures ('Ehpad n°2 — Saint-Étienne' ->
    'EHPAD N 2 SAINT ETIENNE'). Every character a LIKE pattern treats specially is gone."""
    return _fold(value, _NOT_LETTER_OR_DIGIT) if value else ""


def normalize_given_names(value: str) -> str:
    """The given-name list as one normalised string ('Jean-Christophe Marie' -> 'JEAN CHRISTOPHE MARIE')."""
    return normalize_name(value)


def first_given_name(given_list: str) -> str:
    """The first given name as written, a compound kept whole ('Rose-Marie Léa' -> 'ROSE MARIE', 'Rose Léa'
    -> 'ROSE'): INS normalisation reads hyphens as spaces, which makes Rose-Marie and Rose Marie one list."""
    words = (given_list or "").replace(",", " ").split()
    return normalize_name(words[0]) if words else ""


def first_given_matches(first: str, given_list: str) -> bool:
    """INS EXI ID 10: the first given name matches the start of the list, on a word boundary."""
    first_n, list_n = normalize_name(first), normalize_given_names(given_list)
    return bool(first_n) and (list_n == first_n or list_n.startswith(first_n + " "))


# --- phonetic key --------------------------------------------------------------------------
# A French-oriented key: spellings that sound alike, common transliteration variants
# (MOHAMED/MOHAMMED, TCHEKHOV/CHEKHOV, YOUSSEF/JOUSSEF) and split/joined compounds share a key.
_RULES = (
    ("TCH", "CH"),
    ("SCH", "CH"),
    ("SH", "CH"),
    ("DJ", "J"),
    ("KH", "K"),
    ("PH", "F"),
    ("TH", "T"),
    ("GH", "G"),
    ("CK", "K"),
    ("QU", "K"),
    ("Q", "K"),
    ("EAU", "O"),
    ("AU", "O"),
    ("OU", "U"),
    ("OO", "U"),
    ("AI", "E"),
    ("EI", "E"),
    ("EE", "I"),
    ("Y", "I"),
    ("W", "V"),
    ("Z", "S"),
    ("X", "KS"),
)
_SOFT_C = re.compile(r"C(?=[EI])")
_SOFT_G = re.compile(r"G(?=[EI])")
_GU = re.compile(r"GU(?=[EI])")
_DOUBLE = re.compile(r"(.)\1+")


def phonetic(value: str) -> str:
    return phonetic_of_normalized(normalize_name(value))


@lru_cache(maxsize=200_000)
def phonetic_of_normalized(normalized: str) -> str:
    """phonetic() for a value already passed through normalize_name (saves the Unicode work in bulk)."""
    text = normalized.replace(" ", "")
    if not text:
        return ""
    if len(text) > 2 and text.endswith("X"):
        text = text[:-1]  # DUBOIX = DUBOIS = DUBOI
    text = _GU.sub("¤", text)  # hard G before E/I (GUÉRIN): protected from the soft-G rule
    for old, new in _RULES:
        text = text.replace(old, new)
    text = text.replace("CH", "§")
    text = _SOFT_G.sub("J", text)
    text = _SOFT_C.sub("S", text)
    text = text.replace("C", "K").replace("¤", "G").replace("UE", "U")
    text = text[0] + text[1:].replace("H", "")
    text = text.replace("§", "CH")
    text = _DOUBLE.sub(r"\1", text)
    # Silent endings: PETIT/PETI, MARTINE/MARTIN, DUBOIS/DUBOI.
    if len(text) > 2 and text.endswith("E"):
        text = text[:-1]
    if len(text) > 2 and text[-1] in "STD":
        text = text[:-1]
    return text
