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


def decode(path: Path, data: bytes) -> str:
    """The text of an export: UTF-16 by its BOM, else UTF-8, Windows-1252 or Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:4096]
    if head and head[1::2].count(0) > 0.9 * len(head[1::2]):  # UTF-16 without a BOM (SoftMax Pro)
        return data.decode("utf-16-le")
    if head and head[0::2].count(0) > 0.9 * len(head[0::2]):
        return data.decode("utf-16-be")
    if b"\x00" in head:
        raise PlateFormatError(path, "binary file; expected a text/CSV or XLSX plate export")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise PlateFormatError(path, "cannot decode text")  # pragma: no cover (latin-1 never fails)


def load_text(path: Path) -> str:
    """The decoded text of an export file (a clear error for a missing, unreadable or zip file)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlateFormatError(path, "file not found") from None
    except OSError as exc:
        raise PlateFormatError(path, f"cannot read file ({exc.strerror})") from None
    if data[:4] == b"PK\x03\x04":
        raise PlateFormatError(path, "looks like an XLSX workbook but the name does not end in .xlsx")
    return decode(path, data)


def text_rows(path: Path, text: str) -> tuple[list[list[Cell]], bool]:
    """Rows of (text, 'file:line N, col M') cells and whether decimal commas are allowed."""
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
