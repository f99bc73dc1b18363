"""Readers for 96-well absorbance plate-reader exports (ELISA).

Supported layouts (see ``docs/elisa.md`` for exact descriptions and examples):

* **Plain grid** text/CSV: a header row ``,1,2,...,12`` followed by rows ``A`` … ``H``;
  optionally a second grid for the reference wavelength, preceded by a label line such
  as ``570`` or ``Wavelength: 570``.
* **BioTek/Agilent Gen5 text export** (tab- or comma-separated): a metadata block
  (``Software Version``, ``Plate Number``, ``Date``/``Reading Date``, ``Read``,
  ``Wavelengths:  450, 570`` …) followed by grids.  Both Gen5 variants are read: one
  section per read labelled ``450`` / ``570`` (or ``Read 1:450``, ``450nm:450`` …), and
  the combined ``Results`` matrix in which every data row ends with its label and the
  reads of a plate row follow each other on continuation rows with an empty row letter.
  Derived grids (``Layout``, ``Blank 450``, ``Corrected …``, ``[Concentration]``,
  ``Conc`` …) are skipped.
* **XLSX** workbooks holding either layout on a worksheet (openpyxl, ``read_only``,
  ``data_only``).  A formula cell without a cached value is an error (the workbook was
  written by a program that does not compute formulas; open and save it in Excel).

Output is one tidy row per well (:func:`read_plate_export`).  Reader sentinels become
explicit flags with a NaN OD, never a silent NaN:

==================  =======================================================================
flag                cell text (case-insensitive)
==================  =======================================================================
``saturated``       ``OVER``, ``OVRFLW``, ``OVERFLOW``, ``SAT``, ``****`` (any run of ``*``),
                    ``Range?``, ``>`` followed by a number (e.g. ``>4.000``)
``not_determined``  ``n.d.``, ``ND``, ``N/A``, ``?????`` (any run of ``?``), ``MISSED``,
                    ``<LLOQ``, ``<`` followed by a number (e.g. ``<0.000``), ``-``
``masked``          Gen5 masked well ``*0.356*``: the OD is kept, the well is excluded
``missing``         empty cell in the grid
``ref_<flag>``      the 450 nm value is fine but the reference value carries ``<flag>``
==================  =======================================================================

Any other text in a grid raises :class:`~trialflow.elisa.errors.PlateFormatError`.

Why not ``allotropy``
---------------------
The ``allotropy`` package (Benchling, MIT licence) has a Gen5 parser and was evaluated
first (version 0.1.150).  It is not used because (1) it requires ``pandas<3.0`` and
``jsonschema<4.18``, which conflict with this project's ``pandas>=3.1`` and with the
``jsonschema`` that Snakemake needs, so it cannot be installed next to trialflow;
(2) it is heavy (about 360 MB installed with 30 dependencies, including
``rainbow-api``, ``python-calamine``, ``xlrd``, ``olefile``); (3) it outputs Allotrope
Simple Model JSON documents (one measurement document per well, with errors as
separate error documents), which would still have to be flattened into the tidy frame
below; and (4) it reads Gen5 text exports only, not plain grid CSV or Gen5-style XLSX.
Its Gen5 test fixtures were used as the reference for the layout handled here (metadata
block, labelled sections, ``Results`` matrix with trailing labels and continuation rows,
``OVRFLW``/``?????``/``*x*`` cells).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import PlateFormatError

__all__ = [
    "PlateFormatError",
    "ROWS",
    "COLS",
    "WELLS",
    "parse_od_cell",
    "read_plate_export",
]

ROWS = tuple("ABCDEFGH")
COLS = tuple(range(1, 13))
WELLS = tuple(f"{r}{c}" for r in ROWS for c in COLS)

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_SATURATED = {"over", "ovrflw", "overflow", "sat", "saturated", "range?", "range"}
_NOT_DETERMINED = {
    "n.d.",
    "n.d",
    "nd",
    "n/a",
    "na",
    "missed",
    "<lloq",
    "< lloq",
    "-",
    "invalid",
    "error",
}
_DERIVED_WORDS = (
    "blank",
    "corrected",
    "ratio",
    "conc",
    "delta",
    "[",
    "well id",
    "layout",
    "pathlength",
    "mean",
    "std",
    "cv",
    "count",
    "dil",
    "curve",
    "fit",
    "temperature",
    "time",
    "sample",
)
_LABEL_KEYS = {"wavelength", "wavelengths", "read", "label", "measurement", "filter"}

Cell = tuple[Any, str]  # (raw value, source description)


def _txt(value: Any) -> str:
    """Text view of a cell value (numbers that are whole become e.g. '1')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    return str(value).strip()


def parse_od_cell(value: Any, *, decimal_comma: bool = False) -> tuple[float, str] | None:
    """Parse one OD cell.

    Parameters
    ----------
    value
        Raw cell value (text from a text export, or a number/None from XLSX).
    decimal_comma
        Accept ``0,123`` as 0.123 (only for exports not separated by commas).

    Returns
    -------
    tuple of (float, str) or None
        ``(od, flag)`` where ``flag`` is ``''`` for a plain number, or one of
        ``'saturated'``, ``'not_determined'``, ``'masked'``, ``'missing'`` (OD NaN except
        for ``'masked'``).  ``None`` when the text is not recognised.
    """
    if value is None:
        return (math.nan, "missing")
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return (v, "") if math.isfinite(v) else (math.nan, "not_determined")
    s = str(value).strip()
    if s == "":
        return (math.nan, "missing")
    if _NUMBER.match(s):
        return (float(s), "")
    if decimal_comma and _DECIMAL_COMMA.match(s):
        return (float(s.replace(",", ".")), "")
    low = s.lower()
    if low in _SATURATED or re.fullmatch(r"\*{2,}", s):
        return (math.nan, "saturated")
    if low in _NOT_DETERMINED or re.fullmatch(r"\?{2,}", s):
        return (math.nan, "not_determined")
    m = re.fullmatch(r"([<>])\s*(.+)", s)
    if m and _NUMBER.match(m.group(2).strip()):
        return (math.nan, "saturated" if m.group(1) == ">" else "not_determined")
    m = re.fullmatch(r"\*(.+)\*", s)
    if m and _NUMBER.match(m.group(1).strip()):
        return (float(m.group(1)), "masked")
    return None


# --------------------------------------------------------------------------------------
# loading files into rows of cells
# --------------------------------------------------------------------------------------


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


def _text_rows(path: Path) -> tuple[list[list[Cell]], bool]:
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


def _xlsx_rows(path: Path) -> list[tuple[str, list[list[Cell]]]]:
    """Per worksheet: rows of (value, 'file:Sheet!C5') cells."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    if not path.exists():
        raise PlateFormatError(path, "file not found")
    try:
        wb_val = load_workbook(path, read_only=True, data_only=True)
        wb_f = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise PlateFormatError(path, f"not a readable XLSX workbook ({exc})") from None
    sheets = []
    try:
        for ws_val, ws_f in zip(wb_val.worksheets, wb_f.worksheets, strict=True):
            title = ws_val.title
            ws_val.reset_dimensions()
            ws_f.reset_dimensions()
            formulas: dict[tuple[int, int], str] = {}
            for r, row in enumerate(ws_f.iter_rows(values_only=True), start=1):
                for c, v in enumerate(row, start=1):
                    if isinstance(v, str) and v.startswith("="):
                        formulas[(r, c)] = v
                    elif v is not None and type(v).__name__ in ("ArrayFormula", "DataTableFormula"):
                        formulas[(r, c)] = str(getattr(v, "text", v))
            rows: list[list[Cell]] = []
            bad: list[str] = []
            for r, row in enumerate(ws_val.iter_rows(values_only=True), start=1):
                cells: list[Cell] = []
                for c, v in enumerate(row, start=1):
                    ref = f"{title}!{get_column_letter(c)}{r}"
                    if v is None and (r, c) in formulas:
                        bad.append(f"{ref} ({formulas[(r, c)]})")
                    cells.append((v, f"{path.name}:{ref}"))
                rows.append(cells)
            if bad:
                shown = ", ".join(bad[:5]) + (" …" if len(bad) > 5 else "")
                raise PlateFormatError(
                    path,
                    f"formula cell(s) without a cached value: {shown}; the workbook was saved "
                    "by a program that does not calculate formulas - open and save it in "
                    "Excel/LibreOffice, or export values",
                )
            sheets.append((title, rows))
    finally:
        wb_val.close()
        wb_f.close()
    return sheets


# --------------------------------------------------------------------------------------
# grid detection
# --------------------------------------------------------------------------------------


def _cell(row: list[Cell], j: int) -> Cell:
    return row[j] if 0 <= j < len(row) else (None, "")


def _find_header(row: list[Cell]) -> int | None:
    """Index of the cell holding '1' in a '1..12' header row, or None."""
    texts = [_txt(v) for v, _ in row]
    for j in range(1, len(texts) - 11):
        if texts[j] == "1" and all(texts[j + m] == str(m + 1) for m in range(12)):
            corner = texts[j - 1]
            if corner and _NUMBER.match(corner):
                continue
            return j
    return None


def _label_kind(text: str) -> tuple[str, int | None]:
    """Classify a grid label: ('raw', nm) | ('derived', None) | ('container', None) |
    ('unknown', None)."""
    t = text.strip().lower()
    if t == "":
        return ("unknown", None)
    if t.rstrip(":") == "results":
        return ("container", None)
    if any(w in t for w in _DERIVED_WORDS):
        return ("derived", None)
    nums = [int(n) for n in re.findall(r"(?<!\d)(\d{3})(?!\d)", t) if 200 <= int(n) <= 1000]
    if nums:
        return ("raw", nums[-1])
    return ("unknown", None)


def _label_above(rows: list[list[Cell]], i: int, floor: int) -> str:
    """Text of the label line above header row ``i`` (not above row ``floor``)."""
    k = i - 1
    while k >= floor and not any(_txt(v) for v, _ in rows[k]):
        k -= 1
    if k < floor:
        return ""
    cells = [_txt(v) for v, _ in rows[k] if _txt(v)]
    if len(cells) == 1:
        return cells[0]
    if len(cells) == 2 and cells[0].lower().rstrip(":").strip() in _LABEL_KEYS:
        return f"{cells[0]} {cells[1]}"
    return ""


class _Grid:
    def __init__(self, label: str, kind: str, nm: int | None, line_desc: str) -> None:
        self.label = label
        self.kind = kind
        self.nm = nm
        self.where = line_desc
        self.rows: dict[str, list[Cell]] = {}


def _scan_grids(path: Path, rows: list[list[Cell]]) -> tuple[list[_Grid], int]:
    """Find all 96-well grids; return them and the index of the first header row."""
    grids: list[_Grid] = []
    first_header = len(rows)
    floor = 0
    i = 0
    while i < len(rows):
        j = _find_header(rows[i])
        if j is None:
            i += 1
            continue
        first_header = min(first_header, i)
        hdr_src = rows[i][j][1]
        if _txt(_cell(rows[i], j + 12)[0]) == "13":
            raise PlateFormatError(
                path,
                f"grid header at {hdr_src} runs past 12 columns; only 96-well plates "
                "(rows A-H, columns 1-12) are supported",
            )
        corner = _txt(_cell(rows[i], j - 1)[0])
        section = _label_above(rows, i, floor) or corner
        by_label: dict[str, _Grid] = {}
        expected = iter(ROWS)
        want = next(expected)
        letter = None
        r = i + 1
        while r < len(rows):
            row = rows[r]
            lab = _txt(_cell(row, j - 1)[0])
            vals = [_cell(row, j + m) for m in range(12)]
            if lab.upper() in ROWS and len(lab) == 1:
                if lab.upper() != want:
                    raise PlateFormatError(
                        path,
                        f"grid starting at {hdr_src}: row {lab!r} at "
                        f"{_cell(row, j - 1)[1]} where row {want!r} was expected "
                        "(rows must run A to H)",
                    )
                letter = lab.upper()
                want = next(expected, None)
            elif lab == "" and letter is not None and any(_txt(v) for v, _ in vals):
                pass  # Gen5 continuation row (another read of the same plate row)
            else:
                break
            trailing = next((_txt(v) for v, _ in row[j + 12 :] if _txt(v)), "")
            label = trailing or section
            g = by_label.get(label)
            if g is None:
                kind, nm = _label_kind(label)
                g = by_label[label] = _Grid(label, kind, nm, hdr_src)
            if letter in g.rows:
                raise PlateFormatError(
                    path,
                    f"grid starting at {hdr_src}: row {letter} appears twice for "
                    f"label {label!r} (at {_cell(row, j - 1)[1]})",
                )
            g.rows[letter] = vals
            r += 1
        if letter != "H":
            got = letter or "none"
            raise PlateFormatError(
                path,
                f"grid starting at {hdr_src} is incomplete: expected rows A-H after the "
                f"'1..12' header, last row found: {got}",
            )
        for g in by_label.values():
            missing = [x for x in ROWS if x not in g.rows]
            if missing:
                raise PlateFormatError(
                    path,
                    f"grid {g.label or '(unlabelled)'} starting at {hdr_src} lacks row(s) {', '.join(missing)}",
                )
            grids.append(g)
        floor = r
        i = r
    return grids, first_header


def _metadata(rows: list[list[Cell]], stop: int) -> dict[str, str]:
    meta: dict[str, str] = {}
    for row in rows[:stop]:
        cells = [_txt(v) for v, _ in row if _txt(v)]
        if not cells:
            continue
        if len(cells) >= 2:
            key, value = cells[0].rstrip(":").strip(), " ".join(cells[1:])
        elif ":" in cells[0]:
            key, value = (p.strip() for p in cells[0].split(":", 1))
        else:
            continue
        meta.setdefault(key, value)
    return meta


def _declared_wavelengths(meta: dict[str, str]) -> list[int]:
    for key, value in meta.items():
        if key.lower() in ("wavelengths", "wavelength"):
            return [int(n) for n in re.findall(r"(?<!\d)(\d{3})(?!\d)", value)]
    return []


def _parse_rows(
    path: Path,
    rows: list[list[Cell]],
    container: str,
    primary_nm: int,
    reference_nm: int | None,
    decimal_comma: bool,
) -> pd.DataFrame:
    grids, first_header = _scan_grids(path, rows)
    if not grids:
        raise PlateFormatError(
            path,
            "no 96-well grid found: expected a header row with the column numbers "
            "1..12 (e.g. ',1,2,...,12') followed by rows A-H (see docs/elisa.md)",
        )
    meta = _metadata(rows, first_header)
    plate_numbers = sum(1 for row in rows if row and _txt(row[0][0]).lower().startswith("plate number"))
    if plate_numbers > 1:
        raise PlateFormatError(
            path,
            f"contains {plate_numbers} plates ('Plate Number' blocks); export one plate per file",
        )
    is_gen5 = any(k.lower() == "software version" for k in meta)
    declared = _declared_wavelengths(meta)

    raw: dict[int, _Grid] = {}
    unlabelled: list[_Grid] = []
    for g in grids:
        if g.kind == "raw":
            if g.nm in raw:
                raise PlateFormatError(
                    path,
                    f"two grids for {g.nm} nm (at {raw[g.nm].where} and {g.where}); export one plate per file",
                )
            raw[g.nm] = g
        elif g.kind in ("unknown", "container"):
            if g.kind == "container" and len(declared) == 1:
                g.nm = declared[0]
                if g.nm in raw:
                    raise PlateFormatError(path, f"two grids for {g.nm} nm")
                raw[g.nm] = g
            else:
                unlabelled.append(g)

    if primary_nm in raw:
        primary = raw[primary_nm]
    elif unlabelled:
        primary = unlabelled.pop(0)
    else:
        found = ", ".join(g.label or "(unlabelled)" for g in grids)
        raise PlateFormatError(
            path,
            f"no {primary_nm} nm grid found (grids found: {found}); label the grid "
            f"'{primary_nm}' or make it the first, unlabelled grid",
        )
    if unlabelled and primary_nm not in raw:
        raise PlateFormatError(
            path,
            f"grid at {unlabelled[0].where} has no wavelength label; put a line such "
            "as '570' or 'Wavelength: 570' above it",
        )

    if reference_nm is not None:
        if reference_nm not in raw:
            raise PlateFormatError(path, f"no grid for reference wavelength {reference_nm} nm")
        reference = raw[reference_nm]
    else:
        others = sorted(nm for nm in raw if nm != primary_nm and raw[nm] is not primary)
        if len(others) > 1:
            raise PlateFormatError(
                path,
                f"several non-{primary_nm} nm grids ({', '.join(map(str, others))}); "
                "pass reference_nm to choose the reference wavelength",
            )
        reference = raw[others[0]] if others else None
        missing = [nm for nm in declared if nm not in raw and nm != primary_nm]
        if reference is None and missing and primary.kind != "unknown":
            raise PlateFormatError(
                path,
                f"the export declares wavelength(s) {', '.join(map(str, declared))} "
                f"but has no grid for {', '.join(map(str, missing))}",
            )

    records = []
    for r in ROWS:
        for c in COLS:
            v450, src = primary.rows[r][c - 1]
            p = parse_od_cell(v450, decimal_comma=decimal_comma)
            if p is None:
                raise PlateFormatError(
                    path,
                    f"cannot read OD {_txt(v450)!r} at {src or f'well {r}{c}'}: expected a "
                    "number or a reader flag (OVER, ****, Range?, n.d., <LLOQ, ...)",
                )
            od450, flag = p
            odref = math.nan
            if reference is not None:
                vref, rsrc = reference.rows[r][c - 1]
                q = parse_od_cell(vref, decimal_comma=decimal_comma)
                if q is None:
                    raise PlateFormatError(
                        path,
                        f"cannot read reference OD {_txt(vref)!r} at "
                        f"{rsrc or f'well {r}{c}'}: expected a number or a reader flag",
                    )
                odref, rflag = q
                if rflag == "masked":
                    rflag = ""
                if flag == "" and rflag:
                    flag = f"ref_{rflag}"
                    src = rsrc or src
            if not src:
                src = f"{path.name}: well {r}{c} (cell absent)"
            records.append((f"{r}{c}", r, c, od450, odref, flag, src))
    df = pd.DataFrame.from_records(records, columns=["well", "row", "col", "od_450", "od_ref", "flag", "source"])
    df["od_450"] = df["od_450"].astype(float)
    df["od_ref"] = df["od_ref"].astype(float)
    df["col"] = df["col"].astype("int64")
    od = df["od_450"] - df["od_ref"] if reference is not None else df["od_450"].copy()
    df.insert(5, "od", od.astype(float))
    df.attrs["format"] = f"{'gen5' if is_gen5 else 'grid'}-{container}"
    df.attrs["metadata"] = meta
    df.attrs["primary_nm"] = primary.nm if primary.nm is not None else primary_nm
    df.attrs["reference_nm"] = reference.nm if reference is not None else None
    return df


def read_plate_export(path: str | Path, *, primary_nm: int = 450, reference_nm: int | None = None) -> pd.DataFrame:
    """Read one plate-reader export into a tidy per-well frame.

    The layout (plain grid, Gen5 text, XLSX) is detected from the file name suffix
    (``.xlsx``/``.xlsm`` → workbook, anything else → text) and from the content.

    Parameters
    ----------
    path
        Export file (``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xlsm``).
    primary_nm
        Measurement wavelength (default 450 nm).  The first unlabelled grid counts as the
        primary wavelength when no grid is labelled with it.
    reference_nm
        Reference wavelength.  Default: the only other raw-read wavelength in the file
        (e.g. 570, 620 or 630), none if there is no other; an error if there are several.

    Returns
    -------
    pandas.DataFrame
        96 rows in plate order A1, A2, …, H12 with columns

        ``well`` (str, ``A1``…``H12``), ``row`` (str, ``A``…``H``), ``col`` (int, 1…12),
        ``od_450`` (float, OD at the primary wavelength; NaN when flagged other than
        ``masked``), ``od_ref`` (float, OD at the reference wavelength, NaN if none),
        ``od`` (float, reference-corrected OD ``od_450 - od_ref``, or ``od_450`` when the
        export has no reference grid), ``flag`` (str, ``''`` or a flag from the module
        docstring table), ``source`` (str, file and cell of the primary value - of the
        reference value for ``ref_*`` flags - e.g. ``plate01.csv:line 5, col 3`` or
        ``plate03.xlsx:Sheet1!C5``).

        ``df.attrs`` holds ``format`` (``'grid-text'``, ``'gen5-text'``, ``'grid-xlsx'``,
        ``'gen5-xlsx'``), ``metadata`` (dict of the key/value lines above the first
        grid, e.g. ``Software Version``, ``Plate Number``, ``Wavelengths``),
        ``primary_nm`` and ``reference_nm``.

    Raises
    ------
    PlateFormatError
        The file is missing, unreadable, holds no complete 96-well grid, several plates,
        an unknown cell text, or an XLSX formula without a cached value.  The message
        names the file, the place and what was expected.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = _xlsx_rows(path)
        found = []
        for title, rows in sheets:
            grids, _ = _scan_grids(path, rows)
            if grids:
                found.append((title, rows))
        if not found:
            raise PlateFormatError(
                path,
                "no 96-well grid found on any worksheet: expected a header row with the "
                "column numbers 1..12 followed by rows A-H (see docs/elisa.md)",
            )
        if len(found) > 1:
            raise PlateFormatError(
                path,
                f"plate grids on several worksheets ({', '.join(t for t, _ in found)}); keep one plate per workbook",
            )
        return _parse_rows(path, found[0][1], "xlsx", primary_nm, reference_nm, False)
    if path.suffix.lower() == ".xls":
        raise PlateFormatError(path, "legacy .xls workbooks are not supported; save as .xlsx")
    rows, decimal_comma = _text_rows(path)
    return _parse_rows(path, rows, "text", primary_nm, reference_nm, decimal_comma)
