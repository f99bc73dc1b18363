"""Result tables: written safely (atomically, deterministically, harmless in a spreadsheet), read
back as written, and turned from and into rows without pandas' per-row costs (:func:`records`,
:func:`typed_frame`)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Only text columns are touched; numbers (including negative ones) stay numbers. Only what a
    spreadsheet opens gets the apostrophe (the CSV files); :func:`read_csv` takes it off again, so
    the report, the HTML and the DOCX print the text exactly as read. To make that exact, a text
    that already starts with apostrophes followed by a formula character gets one more
    (``'=1`` is written ``''=1``): the apostrophe added is always the first of such a run.
    """
    out = frame.copy()
    for column in out.columns:
        if any(_is_formula(text) for text in _texts(out[column])):  # most columns have none
            out[column] = out[column].map(_neutralised)
    out.columns = [_neutralised(c) for c in out.columns]  # header cells are text cells too
    return out


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """The text as read: the apostrophe :func:`neutralise_formulas` added taken off (in place)."""
    for column in frame.columns:
        if any(text.startswith("'") and _is_formula(text) for text in _texts(frame[column])):
            frame[column] = frame[column].map(_restored)
    frame.columns = [_restored(c) for c in frame.columns]
    return frame


def _is_formula(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def _texts(column: pd.Series) -> list[str]:
    """The distinct text cells of ``column`` (numbers and missing values are not text).

    Distinct values first: a results table repeats its IDs, units and flags on every row, and
    testing each distinct text once keeps a 100,000-row table cheap to check.
    """
    if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
        return []
    return [value for value in pd.unique(column.to_numpy(dtype=object)) if isinstance(value, str)]


def _neutralised(value):
    return "'" + value if isinstance(value, str) and _is_formula(value) else value


def _restored(value):
    return value[1:] if isinstance(value, str) and value.startswith("'") and _is_formula(value) else value


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV with full float precision (round-trips exactly), LF line ends, formulas neutralised."""
    write_atomic(path, csv_text(frame).encode("utf-8"))


def csv_text(frame: pd.DataFrame) -> str:
    """The text :func:`write_csv` writes for ``frame``."""
    return _csv_text(frame)[0]


def _csv_text(frame: pd.DataFrame) -> tuple[str, bool]:
    """The CSV text, and whether every text cell had to be quoted."""
    safe = neutralise_formulas(frame)
    # The csv writer quotes a cell holding LF (the row end) but not one holding a bare CR, which
    # readers and spreadsheets also take as a row end: then quote every text cell (still plain CSV).
    bare_cr = any("\r" in c for c in safe.columns if isinstance(c, str)) or any(
        "\r" in text for c in safe.columns for text in _texts(safe[c])
    )
    quoting = csv.QUOTE_NONNUMERIC if bare_cr else csv.QUOTE_MINIMAL
    return safe.to_csv(index=False, lineterminator="\n", quoting=quoting), bare_cr


def csv_rows_by(frame: pd.DataFrame, column: str) -> dict | None:
    """The data rows of :func:`csv_text` (no header), in row order, grouped by ``column``'s value.

    A table put together from parts (e.g. the ELISA tables from per-batch results) can then be
    written by joining the parts' rows instead of formatting every number again. None when the
    rows cannot be told apart in the text: a cell holds a line end, or a bare CR made the whole
    table quoted (which a part cannot decide alone).
    """
    text, quoted = _csv_text(frame)
    body = text[len(csv_text(frame.iloc[0:0])) :]
    lines = body.split("\n")[:-1]  # the text ends with a line end
    if quoted or len(lines) != len(frame):
        return None
    rows: dict = {}
    for key, line in zip(frame[column].tolist(), lines, strict=True):
        rows.setdefault(key, []).append(line + "\n")
    return {key: "".join(parts) for key, parts in rows.items()}


def joined_csv_rows(frames: list[pd.DataFrame], rows_by: list[dict | None], order: list) -> str | None:
    """One table's CSV text from its parts: the parts' rows (``rows_by``, by :func:`csv_rows_by`)
    joined in ``order`` of their keys, under the header. These are the bytes :func:`csv_text`
    writes for the stacked table when every part has the same columns and dtypes (so each number
    is formatted alike), every column formats cell by cell, and each key is in exactly one part.
    None when that does not hold (format the stacked table instead)."""
    if not frames or any(rows is None for rows in rows_by):
        return None
    same_dtypes = all(f.dtypes.equals(frames[0].dtypes) for f in frames)
    # Text, numbers and booleans format cell by cell; dates would not (pandas drops midnight times only
    # when a whole column has them).
    cell_by_cell = all(dtype.kind in "iufbO" for dtype in frames[0].dtypes)
    rows = {key: text for part in rows_by for key, text in part.items()}
    ordered = [key for key in order if key in rows]
    one_place = len(ordered) == len(rows) == sum(len(part) for part in rows_by)
    if not (same_dtypes and cell_by_cell and one_place):
        return None
    return csv_text(frames[0].iloc[0:0]) + "".join(rows[key] for key in ordered)


def records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")``, the same values, built column by column: ``to_dict`` reads an
    extension-array column (pandas' text, Int64) cell by cell, ~2 µs each on 100,000s of rows.
    As there, a missing value of such a column (``pd.NA``) is ``None`` and a NumPy scalar in an
    object column is the Python one."""
    columns = []
    for _, column in frame.items():
        values = column.tolist()
        if column.dtype == object or isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
            values = [None if v is pd.NA else v.item() if isinstance(v, np.generic) else v for v in values]
        columns.append(values)
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def typed_frame(rows: list[tuple], dtypes: dict[str, object]) -> pd.DataFrame:
    """``pd.DataFrame.from_records(rows, columns=list(dtypes)).astype(dtypes)``, each column built
    with its dtype: ``astype`` on a frame converts and concatenates column by column, ~1.5 ms for a
    plate's table of 40 rows, 5 times what this costs (a batch of 200 plates builds ~1,000 such
    tables). ``dtypes`` maps each column, in order, to ``"str"`` (pandas' text) or a NumPy dtype
    (``float``, ``bool``, ``"int64"``). The same frame when the text columns hold text; a number in
    a text column is written as it is (``'1'``, where ``from_records`` makes a column of numbers and
    ``None`` a float column first: ``'1.0'``)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in dtypes]
    if len(columns) != len(dtypes):
        raise ValueError(f"rows of {len(columns)} values for {len(dtypes)} columns")
    return pd.DataFrame(
        {
            name: pd.array(list(values), dtype="str") if dtype == "str" else np.array(values, dtype=dtype)
            for (name, dtype), values in zip(dtypes.items(), columns, strict=True)
        }
    )


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a results CSV written by :func:`write_csv`, keeping IDs and empty text as strings;
    text exactly as it was before :func:`write_csv` neutralised formulas."""
    frame = pd.read_csv(
        path,
        keep_default_na=False,
        na_values=[""],
        # source_line is "12" for a file line and "P1:A3" for a well; a plate's read label "450" and its
        # place in the export "2 Plate1": text, whatever the first rows hold
        dtype={
            "participant_id": str,
            "arm": str,
            "time": str,
            "outcome": str,
            "source_line": str,
            "read": str,
            "export_plate": str,
        },
    )
    return restore_formulas(frame)


def read_text_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` with every cell as text (empty cells ``""``), the
    text as it was before formulas were neutralised: problem tables, ``validation.csv``."""
    return restore_formulas(pd.read_csv(path, dtype=str, keep_default_na=False))
