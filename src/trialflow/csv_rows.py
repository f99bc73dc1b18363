"""Rows of a small delimited text file (a plate map, the plate manifest) with their line numbers.

Standard library only: the workflow reads the plate manifest with it while Snakemake builds its
jobs (:func:`trialflow.dag.plate_batches`), before any job runs; the plate-map and manifest
checks (:mod:`trialflow.elisa.plate_map`) read through it too, so both see the same rows.
"""

from __future__ import annotations

import csv
from pathlib import Path


def read_rows(path: str | Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[tuple[int, str, str]]]:
    """The header, the data rows and what is wrong with the file.

    Returns
    -------
    header : the header cells, stripped.
    rows : ``(line, {column: cell})`` for every data line (1-based physical line; cells stripped;
        blank lines and lines starting with ``#`` are skipped).
    faults : ``(line, value, message)`` for the file as a whole (line 0: not found, unreadable;
        line 1: no header) or a line with more or fewer fields than the header.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], [], [(0, "", "file not found")]
    except OSError as exc:
        return [], [], [(0, "", f"cannot read file ({exc.strerror})")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [], [(1, "", "empty file or empty header line")]
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=delimiter))]
    rows, faults = [], []
    for i, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([line], delimiter=delimiter))
        if len(fields) > len(header) and any(f.strip() for f in fields[len(header) :]):
            faults.append((i, line, f"{len(fields)} fields but the header has {len(header)}"))
        elif len(fields) < len(header):
            faults.append((i, line, f"{len(fields)} fields but the header has {len(header)}: a truncated row?"))
        rows.append((i, {h: (fields[k].strip() if k < len(fields) else "") for k, h in enumerate(header)}))
    return header, rows, faults
