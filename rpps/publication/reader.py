"""Reading PS_LibreAcces extraction files as existing clients do: by header name, tolerant of layouts.

Accepts a zip, a directory or the `.txt` files themselves; files are recognised by their name
prefix (the timestamp changes). The older 52-column layout (without rôle and genre d'activité) and
the current 56-column one are both read; a UTF-8 BOM and CRLF line ends are tolerated. A line whose
number of fields differs from the header is reported with its line number.
"""

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import formats

STEMS = (formats.PERSONNE_ACTIVITE.stem, formats.SAVOIR_FAIRE.stem, formats.DIPL_AUT_EXERC.stem)
# Columns absent from the older 52-column Personne_activite layout.
OPTIONAL_ACTIVITY_COLUMNS = {"Code rôle", "Libellé rôle", "Code genre activité", "Libellé genre activité"}


class ExtractionError(Exception):
    pass


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self):
        return f"{self.file}, ligne {self.line} : {self.message}"


@dataclass
class Source:
    stem: str
    name: str
    opener: object  # () -> binary file object


@dataclass
class Extraction:
    sources: dict[str, Source]
    problems: list[Problem] = field(default_factory=list)

    def lines(self, stem: str) -> Iterator:
        """The file's header, then (line number, line) for each line with as many fields as it: the line
        without its line end and its trailing separator, fields not yet split (the staging copies
        lines as they are)."""
        source = self.sources.get(stem)
        if source is None:
            return
        number = 0  # the last line read whole
        try:
            with source.opener() as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                header, number = _fields(text.readline()), 1
                expected = [c for c in expected_columns(stem) if c not in OPTIONAL_ACTIVITY_COLUMNS]
                missing = [c for c in expected if c not in header]
                if missing:
                    raise ExtractionError(f"{source.name} : colonnes manquantes dans l'en-tête : {', '.join(missing)}.")
                yield header
                separators, separator = len(header) - 1, formats.SEPARATOR
                for number, line in enumerate(text, start=2):
                    # _fields, inline: called once per line of a national file
                    line = line.rstrip("\r\n")
                    if line[-1:] == separator:
                        line = line[:-1]  # the trailing separator every line ends with
                    found = line.count(separator)
                    if found != separators or "\x00" in line:  # no database text holds a NUL
                        if line:
                            message = f"{found + 1} champ(s) au lieu de {separators + 1}"
                            if found == separators:
                                message = "caractère nul (octet 0) dans la ligne"
                            self.problems.append(Problem(source.name, number, f"{message} : ligne ignorée."))
                        continue
                    yield number, line
        except UnicodeDecodeError:
            # the text is decoded by blocks: the faulty byte lies after the last line read whole
            where = f"après la ligne {number}" if number else "dès l'en-tête"
            raise ExtractionError(
                f"{source.name}, {where} : le fichier n'est pas encodé en UTF-8, comme le sont les fichiers "
                "PS_LibreAcces ; convertissez-le (par exemple iconv -f ISO-8859-1 -t UTF-8) puis chargez-le à "
                "nouveau. Rien n'est écrit."
            ) from None


def _fields(line: str) -> list[str]:
    line = line.rstrip("\r\n")
    values = line.split(formats.SEPARATOR)
    if len(values) > 1 and values[-1] == "":
        values.pop()  # the trailing separator every line ends with
    return values


def expected_columns(stem: str) -> list[str]:
    return {f.stem: f for e in formats.EXTRACTIONS.values() for f in e.files}[stem].columns


def _stem_of(name: str) -> str | None:
    base = Path(name).name
    for stem in STEMS:
        if base.startswith(stem) and base.lower().endswith(".txt"):
            return stem
    return None


def open_extraction(paths: list[str | Path]) -> Extraction:
    sources: dict[str, Source] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ExtractionError(f"{path} : fichier ou répertoire introuvable.")
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for candidate in candidates:
            if zipfile.is_zipfile(candidate):
                archive_path = candidate
                with zipfile.ZipFile(archive_path) as archive:
                    for member in archive.namelist():
                        stem = _stem_of(member)
                        if stem:
                            sources[stem] = Source(stem, member, lambda a=archive_path, m=member: _zip_member(a, m))
            else:
                stem = _stem_of(candidate.name)
                if stem:
                    # Opened, and closed, by Extraction.rows.
                    sources[stem] = Source(stem, candidate.name, lambda c=candidate: open(c, "rb"))  # noqa: SIM115
    if formats.PERSONNE_ACTIVITE.stem not in sources:
        raise ExtractionError(
            "Aucun fichier PS_LibreAcces_Personne_activite_….txt trouvé (zip, répertoire ou fichiers .txt attendus)."
        )
    return Extraction(sources)


class _zip_member:
    """A zip member opened for reading, closing its archive with it."""

    def __init__(self, archive_path, member):
        self.archive = zipfile.ZipFile(archive_path)
        self.handle = self.archive.open(member)

    def __enter__(self):
        return self.handle

    def __exit__(self, *exc):
        self.handle.close()
        self.archive.close()
