"""SAS transport (XPT) version 5 files, the format FDA submissions require, with its limits checked.

The limits (SAS TS-140 and the FDA Study Data Technical Conformance Guide): dataset and variable
names of 1-8 letters, digits or '_' starting with a letter; labels of at most 40 characters;
character values of at most 200 bytes; ASCII text. :func:`xpt_problems` lists every breach;
:func:`xpt_bytes` refuses a dataset that has one. pyreadstat (ReadStat) writes the file.

ReadStat stamps the time of writing into the header; :func:`xpt_bytes` replaces it by the date
given (the data cut-off), so the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat

from trialflow.exports import ExportError

NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
LABEL_LENGTH = 40
VALUE_LENGTH = 200
RECORD = 80
# (offset, length) of the four header timestamps of a one-dataset file: the library header's
# created and modified times, then the member's (TS-140, records 2, 3, 6 and 7).
_STAMPS = [(RECORD + 64, 16), (2 * RECORD, 16), (5 * RECORD + 64, 16), (6 * RECORD, 16)]
_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")


def xpt_problems(frame: pd.DataFrame, name: str, label: str, labels: dict[str, str]) -> list[str]:
    """Every way ``frame`` (with its dataset ``name`` and ``label`` and variable ``labels``) breaks
    the XPT v5 limits, one sentence each naming the variable (and the row, for a value)."""
    found = []
    if not NAME.fullmatch(name):
        found.append(f"dataset name {name!r} is not 1-8 capital letters, digits or '_' starting with a letter")
    for what, text in [("dataset label", label), *((f"label of {v}", labels.get(v, "")) for v in frame.columns)]:
        if len(text) > LABEL_LENGTH:
            found.append(f"{name}: {what} {text!r} is longer than {LABEL_LENGTH} characters")
        if not text.isascii():
            found.append(f"{name}: {what} {text!r} is not ASCII")
    for column in frame.columns:
        if not NAME.fullmatch(str(column)):
            found.append(
                f"{name}: variable name {column!r} is not 1-8 capital letters, digits or '_' starting with a letter"
            )
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].tolist()
        texts = [v for v in values if isinstance(v, str)]
        if "".join(texts).isascii() and max(map(len, texts), default=0) <= VALUE_LENGTH:
            continue  # the common case, checked in C; otherwise find the rows
        for row, value in zip(frame.index, values, strict=True):
            if not isinstance(value, str):
                continue
            if not value.isascii():
                found.append(f"{name}, row {row + 1}, {column}: {value!r} is not ASCII")
            elif len(value) > VALUE_LENGTH:
                found.append(
                    f"{name}, row {row + 1}, {column}: value of {len(value)} characters, more than {VALUE_LENGTH}"
                )
    return found


def xpt_bytes(frame: pd.DataFrame, name: str, label: str, labels: dict[str, str], created: dt.date) -> bytes:
    """``frame`` as an XPT v5 file (bytes), dated ``created``.

    Text columns are written as SAS character variables (missing: blank), numeric ones as SAS
    numbers (missing: ``.``). Raises :class:`ExportError` listing every limit broken.
    """
    problems = xpt_problems(frame, name, label, labels)
    if problems:
        raise ExportError("cannot write SAS XPT v5:\n  - " + "\n  - ".join(problems))
    # pyreadstat reads text value by value, which costs ~1 µs a value from a pandas string column
    # and a fraction of that from an object column (the bytes written are the same).
    text = {c: object for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name.lower()}.xpt"
        pyreadstat.write_xport(
            frame.astype(text),
            str(path),
            file_label=label,
            column_labels=[labels[c] for c in frame.columns],
            table_name=name,
            file_format_version=5,
        )
        data = bytearray(path.read_bytes())
    stamp = created.strftime("%d%b%y:00:00:00").upper().encode("ascii")
    for offset, length in _STAMPS:
        if not _STAMP.fullmatch(bytes(data[offset : offset + length])):
            raise ExportError(
                f"XPT header of {name} has no timestamp at byte {offset}; has pyreadstat's layout changed?"
            )
        data[offset : offset + length] = stamp
    return bytes(data)
