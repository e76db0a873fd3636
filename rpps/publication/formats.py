"""The published extraction formats (reference/formats.md §0–3): names, headers, line syntax.

`|` separator, no quoting, one header line, UTF-8 without BOM, LF. PS_LibreAcces and CPS lines
(header included) end with a `|`; MSSanté lines do not (as published).

A value cannot break a line: CR and LF become a space, and `|` becomes `¦` (U+00A6, "broken bar"),
which existing parsers read as an ordinary character. A value a spreadsheet would evaluate (a formula
typed as a name before names were checked, or in a national file loaded as it is) gets a leading
apostrophe (`projection.neutralise`). The rule is lossy for those values only; nothing else is escaped,
since the format has no escaping.
"""

from dataclasses import dataclass
from pathlib import Path

from rpps.registry.projection import neutralise

DATA = Path(__file__).resolve().parent / "data"
SEPARATOR = "|"
_BREAKERS = str.maketrans({"|": "¦", "\r": " ", "\n": " "})


# A value that starts so is looked at by neutralise (the line's first value, or one after a separator).
_EVALUABLE_STARTS = tuple(SEPARATOR + first for first in "=@+-\t")


def clean(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return neutralise(text.translate(_BREAKERS))


@dataclass(frozen=True)
class FileFormat:
    stem: str  # e.g. "PS_LibreAcces_Personne_activite"
    trailing_separator: bool

    @property
    def columns(self) -> list[str]:
        header = (DATA / f"{self.stem}.header.txt").read_text(encoding="utf-8").rstrip("\n")
        return header.rstrip(SEPARATOR).split(SEPARATOR) if self.trailing_separator else header.split(SEPARATOR)

    def line(self, values) -> str:
        """One line from string values (None is not accepted: generators give "" for no value)."""
        text = SEPARATOR.join(values)
        # Almost every line is clean: three C-level scans find the rare one that needs cleaning.
        if (
            text.count(SEPARATOR) != len(values) - 1
            or "\n" in text
            or "\r" in text
            or any(start in text for start in _EVALUABLE_STARTS)
            or text[:1] in "=@+-\t"
        ):
            text = SEPARATOR.join(clean(value) for value in values)
        return text + self.ending

    @property
    def ending(self) -> str:
        return (SEPARATOR if self.trailing_separator else "") + "\n"

    def header_line(self) -> str:
        return SEPARATOR.join(self.columns) + self.ending

    def member_name(self, stamp: str) -> str:
        return f"{self.stem}_{stamp}.txt"


PERSONNE_ACTIVITE = FileFormat("PS_LibreAcces_Personne_activite", True)
SAVOIR_FAIRE = FileFormat("PS_LibreAcces_SavoirFaire", True)
DIPL_AUT_EXERC = FileFormat("PS_LibreAcces_Dipl_AutExerc", True)
MSSANTE = FileFormat("Extraction_Correspondance_MSSante", False)
CPS = FileFormat("Porteurs_CPS_CPF", True)


@dataclass(frozen=True)
class Extraction:
    """One downloadable extraction: a zip named <name>_<YYYYMMDDhhmm>.zip holding its files."""

    name: str
    files: tuple[FileFormat, ...]

    def zip_name(self, stamp: str) -> str:
        return f"{self.name}_{stamp}.zip"


PS_LIBREACCES = Extraction("PS_LibreAcces", (PERSONNE_ACTIVITE, SAVOIR_FAIRE, DIPL_AUT_EXERC))
MSSANTE_EXTRACTION = Extraction("Extraction_Correspondance_MSSante", (MSSANTE,))
CPS_EXTRACTION = Extraction("Porteurs_CPS_CPF", (CPS,))
EXTRACTIONS = {e.name: e for e in (PS_LIBREACCES, MSSANTE_EXTRACTION, CPS_EXTRACTION)}
