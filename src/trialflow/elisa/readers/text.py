"""Delimited text exports (plain grid CSV, Gen5 text): the file as rows of cells.

UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252; the separator is a tab if the
file contains tabs, else ``;`` if more frequent than ``,``, else ``,``. With ``;`` or tab
separators a decimal comma (``0,125``) is accepted.
"""

from __future__ import annotations

import csv
from pathlib import Path

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers.plate import Cell


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise PlateFormatError(path, "binary file; expected a text/CSV or XLSX plate export")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise PlateFormatError(path, "cannot decode text")  # pragma: no cover (latin-1 never fails)


def text_rows(path: Path) -> tuple[list[list[Cell]], bool]:
    """Rows of (text, 'file:line N, col M') cells and whether decimal commas are allowed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlateFormatError(path, "file not found") from None
    except OSError as exc:
        raise PlateFormatError(path, f"cannot read file ({exc.strerror})") from None
    if data[:4] == b"PK\x03\x04":
        raise PlateFormatError(path, "looks like an XLSX workbook but the name does not end in .xlsx")
    text = _decode(path, data)
    lines = text.splitlines()
    sample = "\n".join(lines[:200])
    if "\t" in sample:
        delim = "\t"
    elif sample.count(";") > sample.count(","):
        delim = ";"
    else:
        delim = ","
    name = path.name
    rows: list[list[Cell]] = []
    for i, line in enumerate(lines, start=1):
        fields = next(csv.reader([line], delimiter=delim)) if line.strip() else []
        rows.append([(f, f"{name}:line {i}, col {j}") for j, f in enumerate(fields, start=1)])
    return rows, delim != ","
