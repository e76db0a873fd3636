"""Variants of a published PS_LibreAcces zip for the load benchmarks (bench/run.py: bench_load).

- ``subset ZIP OUT TENTHS``: the lines of the persons whose RPPS number ends in a digit below
  TENTHS (1 -> 10 % of the persons, 5 -> 50 %), in all three files, so each subset is a coherent
  extraction of fewer persons.
- ``delta ZIP OUT``: the next day's file (its members dated a day later): 1 % of the situation lines changed (half a different mode
  of exercise: one situation closed and one opened; half a different exercise name) and 0.1 % of
  the lines of every file removed. Seeded by line number: the same variant every run.
"""

import datetime
import re
import sys
import zipfile

MODES = {"L": "S", "S": "B", "B": "L"}


def _next_day(name: str) -> str:
    """The member's name with its date a day later (the loader dates a file by its members' names)."""
    match = re.search(r"_(\d{8})(\d{4})\.txt$", name)
    day = datetime.datetime.strptime(match.group(1), "%Y%m%d") + datetime.timedelta(days=1)
    return name[: match.start(1)] + day.strftime("%Y%m%d") + name[match.start(2) :]


def _rewrite(source: str, target: str, change, rename=lambda name: name) -> None:
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name in archive.namelist():
            with archive.open(name) as handle, out.open(rename(name), "w", force_zip64=True) as member:
                header = handle.readline().decode("utf-8")
                member.write(header.encode("utf-8"))
                columns = header.rstrip("\r\n").split("|")
                for number, raw in enumerate(handle):
                    line = change(name, columns, number, raw.decode("utf-8"))
                    if line is not None:
                        member.write(line.encode("utf-8"))


def subset(source: str, target: str, tenths: int) -> None:
    def keep(name, columns, number, line):
        rpps = line.split("|", columns.index("Identifiant PP") + 1)[columns.index("Identifiant PP")]
        return line if rpps[-1:].isdigit() and int(rpps[-1]) < tenths else None

    _rewrite(source, target, keep)


def delta(source: str, target: str) -> None:
    def change(name, columns, number, line):
        if number % 1000 == 7:
            return None
        if "Personne_activite" not in name or number % 100 not in (3, 53):
            return line
        values = line.split("|")
        if number % 100 == 3:
            position = columns.index("Code mode exercice")
            values[position] = MODES.get(values[position], "L")
        else:
            values[columns.index("Nom d'exercice")] += "-DELTA"
        return "|".join(values)

    _rewrite(source, target, change, _next_day)


if __name__ == "__main__":
    if sys.argv[1] == "subset":
        subset(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        delta(sys.argv[2], sys.argv[3])
