"""Hostile inputs on the ELISA path: every bad plate export, plate map and manifest named exactly.

Each case copies the demo's raw folder, breaks one thing in one file, and runs the ELISA steps as
the workflow does (``quantify_batch`` for the plate's batch, then ``combine_plates``). It asserts
the problem row that reaches ``results/qc/validation.csv`` (file relative to the raw folder; line
or ``Sheet!cell``; column or well; rule; severity), that the steps themselves raised nothing (a
plate problem is a row for the gate, not a traceback) and that the raw folder is unchanged by the
run. The cases are grouped by the input file they break: export, map, manifest. The last tests run
the whole pipeline through Snakemake and see a plate error stop the run at the gate, or be
quarantined.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT
from trialflow.dag import plate_batches
from trialflow.steps import elisa as steps

DEMO = ROOT / "raw" / "demo"
MANIFEST = "elisa/plates.csv"
UNITS = {"BDNF": "pg/mL", "GDNF": "pg/mL"}
EXPECTED = {"BDNF": [10.0, 10000.0], "GDNF": [1.0, 1000.0]}  # as the demo's config.yaml
OUTPUTS = [
    "wells",
    "standards",
    "controls",
    "plate_qc",
    "curves",
    "plates_by_analyte",
    "concentrations",
    "measurements",
    "problems",
    "table",
    "missing",
    "row_problems",
]
P01 = "elisa/exports/BDNF_P01.csv"  # plain grid CSV: 450 grid lines 1-9, 'Wavelength: 570' line 11, grid 12-20
P02 = "elisa/exports/BDNF_P02.txt"  # Gen5 text, sections '450' (line 28) and '570' (line 39)
X01 = "elisa/exports/GDNF_P01.xlsx"  # Gen5 saved as XLSX: Results matrix, rows A-H at Sheet1!A30 ...
R01 = "elisa/exports/GDNF_R01.xlsx"  # Tecan Magellan well list, 450 nm only
MAP = "elisa/maps/BDNF_P01.csv"
RMAP = "elisa/maps/GDNF_R01.csv"


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _participants(raw: Path, out: Path) -> str:
    table = pd.read_csv(raw / "participants.csv", dtype=str)[["participant_id", "arm"]]
    table.to_csv(out, index=False)
    return str(out)


def run_elisa(raw: Path, work: Path, plates: set[str] | None) -> pd.DataFrame:
    """The ELISA steps on ``raw`` (only the batches' rows of ``plates``; all when None); the
    problem rows they write for validation.csv. Nothing may raise."""
    manifest = raw / MANIFEST
    batches = []
    for batch_id, rows in plate_batches(manifest, 25).items():
        rows = [r for r in rows if plates is None or r["row"].get("plate_id") in plates]
        if not rows:
            continue
        path = work / f"{batch_id}.pickle"
        steps.quantify_batch(str(manifest), MANIFEST, rows, {}, "4PL", "1/y^2", UNITS, EXPECTED, str(path))
        batches.append(str(path))
    out = {name: str(work / f"{name}.csv") for name in OUTPUTS}
    steps.combine_plates(
        str(manifest),
        MANIFEST,
        batches,
        participants=_participants(raw, work / "people.csv"),
        time_points=["pre", "post"],
        units=UNITS,
        out=out,
    )
    frames = [pd.read_csv(out[name], dtype=str, keep_default_na=False) for name in ("row_problems", "problems")]
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- edits of one file


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def set_cell(rel: str, line: int, field: int, value: str, sep: str = ","):
    """Field ``field`` (0-based) of ``line`` (1-based) of a delimited text file set to ``value``."""

    def edit(raw: Path) -> None:
        path = raw / rel
        lines = lines_of(path)
        fields = lines[line - 1].split(sep)
        fields[field] = value
        lines[line - 1] = sep.join(fields)
        path.write_text("\n".join(lines), encoding="utf-8")

    return edit


def set_line(rel: str, line: int, text: str | None):
    """Line ``line`` replaced by ``text`` (None: deleted)."""

    def edit(raw: Path) -> None:
        path = raw / rel
        lines = lines_of(path)
        if text is None:
            del lines[line - 1]
        else:
            lines[line - 1] = text
        path.write_text("\n".join(lines), encoding="utf-8")

    return edit


def insert_line(rel: str, before: int, text: str):
    def edit(raw: Path) -> None:
        path = raw / rel
        lines = lines_of(path)
        lines.insert(before - 1, text)
        path.write_text("\n".join(lines), encoding="utf-8")

    return edit


def cut(rel: str, line: int, keep_chars: int | None = None):
    """The file cut after ``line`` lines (and ``keep_chars`` characters of the next one)."""

    def edit(raw: Path) -> None:
        path = raw / rel
        lines = lines_of(path)
        kept = lines[:line]
        if keep_chars is not None:
            kept.append(lines[line][:keep_chars])
        path.write_text("\n".join(kept), encoding="utf-8")

    return edit


def replace_text(rel: str, old: str, new: str, count: int = 1):
    def edit(raw: Path) -> None:
        path = raw / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return edit


def write_bytes(rel: str, data: bytes):
    def edit(raw: Path) -> None:
        (raw / rel).write_bytes(data)

    return edit


def xlsx_cell(ref: str, value):
    """A cell of the demo's XLSX export set to ``value``."""

    def edit(raw: Path) -> None:
        path = raw / X01
        wb = load_workbook(path)
        wb["Sheet1"][ref] = value
        wb.save(path)

    return edit


def both(*edits):
    def edit(raw: Path) -> None:
        for e in edits:
            e(raw)

    return edit


def map_line(line: int, text: str, rel: str = MAP):
    return set_line(rel, line, text)


def manifest_line(line: int, text: str | None):
    return set_line(MANIFEST, line, text)


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    id: str
    edit: object
    file: str
    line: str
    column: str
    rule: str
    says: str  # a fragment of the message: the cause is named
    severity: str = "error"
    plates: tuple[str, ...] = ("BDNF_P01",)


ROW_A = "A,2.014,2.067,0.426,0.419,0.576,0.600,0.556,0.561,0.403,0.421,0.045,0.046"
REF_A = "A,0.041,0.042,0.040,0.039,0.040,0.039,0.041,0.044,0.040,0.040,0.042,0.042"
OD = "plate_od_value"
SHAPE = "plate_grid_shape"
WAVE = "plate_wavelength"
FILE = "plate_export_file"
INPUT = "plate_input"
GEN5 = ("BDNF_P02",)
XLSX = ("GDNF_P01",)

EXPORT_CASES = [
    # one well that is not an OD: the file's line (or Sheet!cell), the well, the cause
    Case("text in a well", set_cell(P01, 2, 1, "abc"), P01, "2", "A1", OD, "text in a grid cell"),
    Case("a note in a well", set_cell(P01, 4, 5, "0.502 redo"), P01, "4", "C5", OD, "text in a grid cell"),
    Case("empty well", set_cell(P01, 2, 3, ""), P01, "2", "A3", OD, "empty cell"),
    Case("blank-padded empty well", set_cell(P01, 5, 12, "  "), P01, "5", "D12", OD, "empty cell"),
    Case("quoted decimal comma", set_cell(P01, 3, 2, '"1,492"'), P01, "3", "B2", OD, "decimal comma"),
    Case("decimal comma splits the row", set_cell(P01, 3, 2, "1,492"), P01, "3", "", SHAPE, "decimal comma"),
    Case("1e999 overflows to infinity", set_cell(P01, 6, 3, "1e999"), P01, "6", "E3", OD, "not a finite number"),
    Case("inf", set_cell(P01, 6, 3, "inf"), P01, "6", "E3", OD, "not a finite number"),
    Case("-inf", set_cell(P01, 6, 3, "-Infinity"), P01, "6", "E3", OD, "not a finite number"),
    Case("nan", set_cell(P01, 7, 4, "nan"), P01, "7", "F4", OD, "not a finite number"),
    Case("NaN", set_cell(P01, 7, 4, "NaN"), P01, "7", "F4", OD, "not a finite number"),
    Case("negative OD of a sample", set_cell(P01, 4, 3, "-0.050"), P01, "4", "C3", OD, "negative absorbance"),
    Case("negative OD of a standard", set_cell(P01, 2, 1, "-2.014"), P01, "2", "A1", OD, "negative absorbance"),
    Case("negative OD of a blank", set_cell(P01, 9, 1, "-0.020"), P01, "9", "H1", OD, "negative absorbance"),
    Case("absurd OD 1e308", set_cell(P01, 2, 1, "1e308"), P01, "2", "A1", OD, "beyond any plate reader"),
    Case("absurd OD 12.5", set_cell(P01, 8, 2, "12.5"), P01, "8", "G2", OD, "beyond any plate reader"),
    Case("unknown mark", set_cell(P01, 2, 6, "HIGH"), P01, "2", "A6", OD, "reader mark"),
    Case("reference well text", set_cell(P01, 13, 1, "x"), P01, "13", "A1", OD, "reference OD"),
    Case("reference well empty", set_cell(P01, 20, 12, ""), P01, "20", "H12", OD, "empty cell"),
    Case("reference well negative", set_cell(P01, 15, 7, "-0.04"), P01, "15", "C7", OD, "negative"),
    Case("reference well 1e999", set_cell(P01, 16, 1, "1e999"), P01, "16", "D1", OD, "not a finite"),
    # the grid's shape
    Case(
        "note after column 12", set_line(P01, 5, ROW_A.replace("A,", "D,", 1) + ",redo"), P01, "5", "", SHAPE, "a note"
    ),
    Case("value in column 13", set_line(P01, 2, ROW_A + ",0.051"), P01, "2", "", SHAPE, "extra column"),
    Case("header with column 13", set_line(P01, 1, ",1,2,3,4,5,6,7,8,9,10,11,12,13"), P01, "1", "", SHAPE, "past 12"),
    Case("extra row I", insert_line(P01, 10, "I" + ROW_A[1:]), P01, "10", "", SHAPE, "row 'I'"),
    Case("extra row I in the reference grid", insert_line(P01, 21, "I" + REF_A[1:]), P01, "21", "", SHAPE, "row 'I'"),
    Case("missing row C", set_line(P01, 4, None), P01, "4", "", SHAPE, "row 'C' was expected"),
    Case(
        "rows out of order",
        both(set_line(P01, 4, "D" + ROW_A[1:]), set_line(P01, 5, "C" + ROW_A[1:])),
        P01,
        "4",
        "",
        SHAPE,
        "row 'C' was expected",
    ),
    Case("row B twice", insert_line(P01, 4, "B" + ROW_A[1:]), P01, "4", "", SHAPE, "row 'C' was expected"),
    Case("row label X", set_line(P01, 4, "X" + ROW_A[1:]), P01, "4", "", SHAPE, "row 'C' was expected"),
    Case("short row", set_line(P01, 6, ROW_A[:40].replace("A,", "E,", 1)), P01, "6", "", SHAPE, "cut short"),
    Case("file cut mid-row", cut(P01, 14, 30), P01, "15", "", SHAPE, "cut short"),
    Case("file cut mid-row in the first grid", cut(P01, 5, 20), P01, "6", "", SHAPE, "cut short"),
    Case("file cut after row D", cut(P01, 5), P01, "6", "", SHAPE, "file ends there"),
    Case("file cut after row F of the reference", cut(P01, 18), P01, "19", "", SHAPE, "file ends there"),
    Case("file cut after the reference label", cut(P01, 11), P01, "11", "", SHAPE, "announces a grid"),
    Case("file cut after the first grid", cut(P01, 9), P01, "", "", WAVE, "missing or cut off"),
    Case("reference grid labelled 450 too", set_line(P01, 11, "Wavelength: 450"), P01, "1", "", WAVE, "ambiguous"),
    Case(
        "two 450 grids in Gen5",
        both(replace_text(P02, "\n570\n", "\n450\n"), replace_text(P02, "\t570\n", "\t450\n", 8)),
        P02,
        "40",
        "",
        WAVE,
        "two grids for 450 nm",
        plates=GEN5,
    ),
    Case(
        "Gen5 declares a wavelength it lacks",
        replace_text(P02, "450, 570", "450, 570, 630"),
        P02,
        "",
        "",
        WAVE,
        "630",
        plates=GEN5,
    ),
    Case("Gen5 text in a well", replace_text(P02, "\t0.418\t", "\tabc\t"), P02, "30", "A3", OD, "text", plates=GEN5),
    Case("Gen5 empty well", replace_text(P02, "\t0.418\t", "\t\t"), P02, "30", "A3", OD, "empty cell", plates=GEN5),
    Case(
        "Gen5 negative well", replace_text(P02, "\t0.418\t", "\t-0.418\t"), P02, "30", "A3", OD, "negative", plates=GEN5
    ),
    Case(
        "Gen5 row H missing",
        replace_text(P02, "\nH\t0.086", "\nX\t0.086"),
        P02,
        "37",
        "",
        SHAPE,
        "row 'H' was expected",
        plates=GEN5,
    ),
    Case(
        "Gen5 two plates",
        lambda raw: (raw / P02).write_text((raw / P02).read_text() * 2),
        P02,
        "",
        "",
        SHAPE,
        "holds 2 plates",
        plates=GEN5,
    ),
    Case("Gen5 cut in the 570 grid", cut(P02, 44), P02, "45", "", SHAPE, "file ends there", plates=GEN5),
    Case("XLSX text in a well", xlsx_cell("B30", "abc"), X01, "Sheet1!B30", "A1", OD, "text", plates=XLSX),
    Case("XLSX empty well", xlsx_cell("D32", None), X01, "Sheet1!D32", "B3", OD, "empty cell", plates=XLSX),
    Case("XLSX negative well", xlsx_cell("C34", -0.5), X01, "Sheet1!C34", "C2", OD, "negative", plates=XLSX),
    Case("XLSX absurd well", xlsx_cell("C34", 1e308), X01, "Sheet1!C34", "C2", OD, "beyond any", plates=XLSX),
    Case("XLSX reference well text", xlsx_cell("B31", "?x"), X01, "Sheet1!B31", "A1", OD, "reference OD", plates=XLSX),
    Case(
        "XLSX value after column 12", xlsx_cell("N30", 0.5), X01, "Sheet1!N30", "", SHAPE, "extra column", plates=XLSX
    ),
    Case("XLSX note after column 12", xlsx_cell("N30", "redo"), X01, "Sheet1!N30", "", SHAPE, "a note", plates=XLSX),
    Case(
        "XLSX formula without a value",
        xlsx_cell("B30", "=1+1"),
        X01,
        "Sheet1!B30",
        "",
        FILE,
        "cached value",
        plates=XLSX,
    ),
    Case(
        "XLSX row D relabelled",
        xlsx_cell("A36", "X"),
        X01,
        "Sheet1!A36",
        "",
        SHAPE,
        "row 'D' was expected",
        plates=XLSX,
    ),
    # the file as a whole
    Case("empty export", write_bytes(P01, b""), P01, "", "", FILE, "the file is empty"),
    Case("not a plate", write_bytes(P01, b"plate,od\nA1,0.5\n"), P01, "", "", SHAPE, "no 96-well grid"),
    Case("binary export", write_bytes(P01, b"\x00\x01\x02" * 50), P01, "", "", FILE, "binary"),
    Case(
        "broken workbook", write_bytes(X01, b"PK\x03\x04 broken"), X01, "", "", FILE, "not a readable XLSX", plates=XLSX
    ),
    # the reference read against the manifest's reference_nm
    Case(
        "no reference grid but 570 stated",
        set_cell(MANIFEST, 6, 6, "570"),
        R01,
        "",
        "",
        WAVE,
        "no grid for the reference wavelength 570 nm",
        plates=("GDNF_R01",),
    ),
    Case(
        "reference grid but none stated",
        set_cell(MANIFEST, 2, 6, ""),
        P01,
        "12",
        "",
        WAVE,
        "reference_nm",
        plates=("BDNF_P01",),
    ),
    Case(
        "another reference wavelength stated",
        set_cell(MANIFEST, 2, 6, "620"),
        P01,
        "",
        "",
        WAVE,
        "620",
        plates=("BDNF_P01",),
    ),
]

# A sample planned in duplicate with one readable well: a warning naming the well; the CV is not computable.
REPLICATE_CASES = [
    Case(
        "one of a duplicate not read",
        set_cell(P01, 4, 4, "?????"),
        P01,
        "4",
        "C4",
        "plate_replicates",
        "CV is not computable",
        "warning",
    ),
    Case(
        "one of a duplicate masked",
        set_cell(P01, 5, 3, "*0.771*"),
        P01,
        "5",
        "D3",
        "plate_replicates",
        "CV is not computable",
        "warning",
    ),
    Case(
        "one of a duplicate n.d.",
        set_cell(P01, 6, 4, "n.d."),
        P01,
        "6",
        "E4",
        "plate_replicates",
        "mean of 1 well",
        "warning",
    ),
    Case(
        "reference of one well not read",
        set_cell(P01, 15, 4, "?????"),
        P01,
        "15",
        "C4",
        "plate_replicates",
        "CV is not computable",
        "warning",
    ),
]

# A standard level, a control or the blanks with a well that cannot be used: fitted from the others, and said so.
REPLICATE_CASES += [
    Case(
        "a standard well not read",
        set_cell(P01, 2, 1, "?????"),
        P01,
        "2",
        "A1",
        "plate_replicates",
        "standard STD1",
        "warning",
    ),
    Case(
        "a standard well saturated",
        set_cell(P01, 2, 2, "OVRFLW"),
        P01,
        "2",
        "A2",
        "plate_replicates",
        "fitted and checked from 1",
        "warning",
    ),
    Case(
        "a standard's reference not read",
        set_cell(P01, 13, 1, "?????"),
        P01,
        "13",
        "A1",
        "plate_replicates",
        "standard STD1",
        "warning",
    ),
    Case(
        "a blank well not read",
        set_cell(P01, 9, 1, "n.d."),
        P01,
        "9",
        "H1",
        "plate_replicates",
        "blank OD is the mean of 1",
        "warning",
    ),
    Case(
        "a control well saturated",
        set_cell(P01, 2, 3, "OVER"),
        P01,
        "2",
        "A3",
        "plate_replicates",
        "control CTRL_LOW",
        "warning",
    ),
]

MAP_CASES = [
    Case("unknown role", map_line(22, "C3,smaple,MS001,pre,,1,MS001_pre"), MAP, "22", "role", INPUT, "role must be"),
    Case("Pre for pre", map_line(22, "C3,sample,MS001,Pre,,1,MS001_pre"), MAP, "23", "time", INPUT, "mixes wells"),
    Case(
        "Pre for pre in both wells",
        both(map_line(22, "C3,sample,MS001,Pre,,1,MS001_pre"), map_line(23, "C4,sample,MS001,Pre,,1,MS001_pre")),
        MAP,
        "22",
        "time",
        "time_known",
        "not one of pre, post",
    ),
    Case(
        "participant not randomised",
        both(map_line(22, "C3,sample,MS999,pre,,1,MS999_pre"), map_line(23, "C4,sample,MS999,pre,,1,MS999_pre")),
        MAP,
        "22",
        "participant_id",
        "participant_known",
        "not in the participants file",
    ),
    Case("truncated map row", map_line(22, "C3,sample,MS001"), MAP, "22", "", INPUT, "truncated row"),
    Case("extra field", map_line(22, "C3,sample,MS001,pre,,1,MS001_pre,x"), MAP, "22", "", INPUT, "fields"),
    Case(
        "sample dilution empty",
        map_line(24, "D3,sample,MS001,post,,,MS001_post"),
        MAP,
        "24",
        "dilution",
        INPUT,
        "write 1",
    ),
    Case(
        "dilution below 1", map_line(24, "D3,sample,MS001,post,,0.5,MS001_post"), MAP, "24", "dilution", INPUT, ">= 1"
    ),
    Case(
        "dilution as text",
        map_line(24, "D3,sample,MS001,post,,x4,MS001_post"),
        MAP,
        "24",
        "dilution",
        INPUT,
        "not a number",
    ),
    Case("dilution 1e9", map_line(24, "D3,sample,MS001,post,,1e9,MS001_post"), MAP, "24", "dilution", INPUT, "a typo"),
    Case(
        "dilution inf",
        map_line(24, "D3,sample,MS001,post,,inf,MS001_post"),
        MAP,
        "24",
        "dilution",
        INPUT,
        "not a number",
    ),
    Case(
        "re-assay dilution empty",
        map_line(22, "C3,sample,MS009,post,,,MS009_post", RMAP),
        RMAP,
        "22",
        "dilution",
        INPUT,
        "write 1",
        plates=("GDNF_R01",),
    ),
    Case(
        "standards in ng/mL",
        lambda raw: (raw / MAP).write_text(_scale_standards(raw / MAP, 0.001)),
        MAP,
        "2",
        "nominal_conc",
        "standards_plausible",
        "another unit",
    ),
    Case(
        "standards in ug/mL",
        lambda raw: (raw / MAP).write_text(_scale_standards(raw / MAP, 1000)),
        MAP,
        "2",
        "nominal_conc",
        "standards_plausible",
        "outside the plausible range",
    ),
    Case(
        "standard of 1e308", map_line(2, "A1,standard,,,1e308,1,STD1"), MAP, "2", "nominal_conc", INPUT, "above 1e+09"
    ),
    Case("negative standard", map_line(2, "A1,standard,,,-2000,1,STD1"), MAP, "2", "nominal_conc", INPUT, "> 0"),
    Case(
        "standard with a decimal comma",
        map_line(2, 'A1,standard,,,"2000,5",1,STD1'),
        MAP,
        "2",
        "nominal_conc",
        INPUT,
        "not a number",
    ),
    Case("standard without nominal", map_line(2, "A1,standard,,,,1,STD1"), MAP, "2", "nominal_conc", INPUT, "required"),
    Case("standard diluted", map_line(2, "A1,standard,,,2000,2,STD1"), MAP, "2", "dilution", INPUT, "empty or 1"),
    Case(
        "control without nominal",
        map_line(18, "A3,control,,,,1,CTRL_LOW"),
        MAP,
        "18",
        "nominal_conc",
        INPUT,
        "required",
    ),
    Case("blank with nominal", map_line(16, "H1,blank,,,5,1,BLANK"), MAP, "16", "nominal_conc", INPUT, "empty or 0"),
    Case("duplicate well", map_line(23, "C3,sample,MS001,pre,,1,MS001_pre"), MAP, "23", "well", INPUT, "listed twice"),
    Case("well I1", map_line(23, "I1,sample,MS001,pre,,1,MS001_pre"), MAP, "23", "well", INPUT, "a 96-well plate"),
    Case("well A13", map_line(23, "A13,sample,MS001,pre,,1,MS001_pre"), MAP, "23", "well", INPUT, "a 96-well plate"),
    Case(
        "sample without participant",
        map_line(22, "C3,sample,,pre,,1,MS001_pre"),
        MAP,
        "22",
        "participant_id",
        INPUT,
        "required",
    ),
    Case("sample without time", map_line(22, "C3,sample,MS001,,,1,MS001_pre"), MAP, "22", "time", INPUT, "required"),
    Case(
        "sample with nominal",
        map_line(22, "C3,sample,MS001,pre,5,1,MS001_pre"),
        MAP,
        "22",
        "nominal_conc",
        INPUT,
        "must be empty",
    ),
    Case(
        "group mixes participants",
        map_line(23, "C4,sample,MS002,pre,,1,MS001_pre"),
        MAP,
        "23",
        "participant_id",
        INPUT,
        "mixes wells",
    ),
    Case(
        "sample split over two groups",
        map_line(23, "C4,sample,MS001,pre,,1,OTHER"),
        MAP,
        "23",
        "replicate_group",
        INPUT,
        "split over several",
    ),
    Case(
        "unknown column",
        map_line(1, "well,role,participant_id,time,nominal_conc,dilutoin,replicate_group"),
        MAP,
        "1",
        "dilutoin",
        INPUT,
        "unknown column",
    ),
    Case(
        "role column missing",
        map_line(1, "well,kind,participant_id,time,nominal_conc,dilution,replicate_group"),
        MAP,
        "1",
        "role",
        INPUT,
        "required column missing",
    ),
    Case("empty map", write_bytes(MAP, b""), MAP, "1", "", INPUT, "empty file"),
    Case(
        "four standard levels",
        lambda raw: (raw / MAP).write_text(
            "\n".join(line for line in lines_of(raw / MAP) if not line.startswith(("E1", "E2", "F1", "F2", "G1", "G2")))
        ),
        MAP,
        "",
        "nominal_conc",
        INPUT,
        "at least 5",
    ),
    Case(
        "no blank",
        lambda raw: (raw / MAP).write_text("\n".join(line for line in lines_of(raw / MAP) if ",blank," not in line)),
        MAP,
        "",
        "role",
        INPUT,
        "no blank",
    ),
]

MANIFEST_CASES = [
    Case("bdnf for BDNF", set_cell(MANIFEST, 2, 1, "bdnf"), MANIFEST, "2", "analyte", "analyte_known", "BDNF, GDNF"),
    Case("unknown analyte", set_cell(MANIFEST, 2, 1, "IL6"), MANIFEST, "2", "analyte", "analyte_known", "exact case"),
    Case("unit ng/mL", set_cell(MANIFEST, 2, 2, "ng/mL"), MANIFEST, "2", "unit", "plate_unit", "nothing is converted"),
    Case("unit pg/ml", set_cell(MANIFEST, 2, 2, "pg/ml"), MANIFEST, "2", "unit", "plate_unit", "configured in pg/mL"),
    Case("unit empty", set_cell(MANIFEST, 2, 2, ""), MANIFEST, "2", "unit", INPUT, "value required"),
    Case("analyte empty", set_cell(MANIFEST, 2, 1, ""), MANIFEST, "2", "analyte", INPUT, "value required"),
    Case(
        "plate id empty", set_cell(MANIFEST, 2, 0, ""), MANIFEST, "2", "plate_id", INPUT, "value required", plates=("",)
    ),
    Case("kit lot empty", set_cell(MANIFEST, 2, 3, ""), MANIFEST, "2", "kit_lot", INPUT, "value required"),
    Case(
        "reference 570nm", set_cell(MANIFEST, 2, 6, "570nm"), MANIFEST, "2", "reference_nm", INPUT, "wavelength in nm"
    ),
    Case("reference 50", set_cell(MANIFEST, 2, 6, "50"), MANIFEST, "2", "reference_nm", INPUT, "wavelength in nm"),
    Case(
        "export missing",
        set_cell(MANIFEST, 2, 4, "exports/NOPE.csv"),
        MANIFEST,
        "2",
        "export_file",
        INPUT,
        "file not found",
    ),
    Case("map missing", set_cell(MANIFEST, 2, 5, "maps/NOPE.csv"), MANIFEST, "2", "map_file", INPUT, "file not found"),
    Case(
        "duplicate plate id",
        set_cell(MANIFEST, 3, 0, "BDNF_P01"),
        MANIFEST,
        "3",
        "plate_id",
        INPUT,
        "duplicate plate_id",
    ),
    Case(
        "same export twice",
        set_cell(MANIFEST, 3, 4, "exports/BDNF_P01.csv"),
        MANIFEST,
        "3",
        "export_file",
        INPUT,
        "same export file",
        plates=("BDNF_P02",),
    ),
    Case(
        "extra field",
        manifest_line(2, "BDNF_P01,BDNF,pg/mL,L,exports/BDNF_P01.csv,maps/BDNF_P01.csv,570,x"),
        MANIFEST,
        "2",
        "",
        INPUT,
        "fields",
    ),
    Case(
        "truncated row",
        manifest_line(2, "BDNF_P01,BDNF,pg/mL,L,exports/BDNF_P01.csv"),
        MANIFEST,
        "2",
        "",
        INPUT,
        "truncated row",
    ),
    Case(
        "unit column missing",
        lambda raw: (raw / MANIFEST).write_text((raw / MANIFEST).read_text().replace("unit,", "units,", 1)),
        MANIFEST,
        "1",
        "unit",
        INPUT,
        "required column missing",
    ),
    Case(
        "no plates",
        lambda raw: (raw / MANIFEST).write_text(lines_of(raw / MANIFEST)[0] + "\n"),
        MANIFEST,
        "",
        "",
        INPUT,
        "no plates listed",
    ),
    Case("empty manifest", write_bytes(MANIFEST, b""), MANIFEST, "1", "", INPUT, "empty file"),
]

CASES = (
    [pytest.param(c, id=f"export: {c.id}") for c in EXPORT_CASES]
    + [pytest.param(c, id=f"export replicates: {c.id}") for c in REPLICATE_CASES]
    + [pytest.param(c, id=f"map: {c.id}") for c in MAP_CASES]
    + [pytest.param(c, id=f"manifest: {c.id}") for c in MANIFEST_CASES]
)


def _scale_standards(path: Path, factor: float) -> str:
    out = []
    for line in lines_of(path):
        fields = line.split(",")
        if len(fields) > 4 and fields[1] == "standard":
            fields[4] = f"{float(fields[4]) * factor:g}"
        out.append(",".join(fields))
    return "\n".join(out)


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    shutil.copytree(DEMO, folder)
    return folder


def test_the_corpus_is_large_and_distinct():
    ids = [c.id for c in EXPORT_CASES + REPLICATE_CASES + MAP_CASES + MANIFEST_CASES]
    assert len(ids) >= 90 and len(set(CASES)) == len(CASES)
    assert len({p.id for p in CASES}) == len(CASES)


def test_the_demo_plates_have_no_problem(raw, tmp_path):
    problems = run_elisa(raw, tmp_path, None)
    assert problems.empty, problems.to_dict("records")


@pytest.mark.parametrize("case", CASES)
def test_hostile_elisa_input_is_named(case, raw, tmp_path):
    case.edit(raw)
    before = _tree(raw)
    problems = run_elisa(raw, tmp_path, set(case.plates))
    assert _tree(raw) == before  # the run reads the raw folder, never writes it
    found = problems[
        (problems["file"] == case.file)
        & (problems["line"] == case.line)
        & (problems["column"] == case.column)
        & (problems["rule"] == case.rule)
    ]
    assert len(found), problems[["file", "line", "column", "rule", "message"]].to_dict("records")
    assert (found["severity"] == case.severity).all()
    assert found["message"].str.contains(case.says, regex=False).any(), found["message"].tolist()
    if case.severity == "warning":  # the plate is quantified; a sample's measurement says why no CV
        measured = pd.read_csv(tmp_path / "measurements.csv", dtype=str, keep_default_na=False)
        assert len(measured) and not (problems["severity"] == "error").any()
        if "sample" in found["message"].iloc[0]:
            assert measured["note"].str.contains("planned wells readable").any()
    else:
        errors = problems[problems["severity"] == "error"]
        assert len(errors) and (errors["message"] != "").all() and (errors["rule"] != "").all()


def test_a_plate_with_an_error_is_left_out_and_the_others_are_quantified(raw, tmp_path):
    """Quarantine: the plate whose export breaks a rule is not in the tables; the other plates are."""
    set_cell(P01, 2, 1, "1e999")(raw)
    problems = run_elisa(raw, tmp_path, None)
    assert list(problems.loc[problems["severity"] == "error", "file"]) == [P01]
    qc = pd.read_csv(tmp_path / "plate_qc.csv")
    assert list(qc["plate_id"]) == ["BDNF_P02", "GDNF_P01", "GDNF_P02", "GDNF_R01"]
    measured = pd.read_csv(tmp_path / "measurements.csv")
    assert "BDNF_P01" not in set(measured["plate_id"]) and len(measured) == 120 - 30 + 1


def test_measurements_keep_the_censored_then_reassayed_result(raw, tmp_path):
    """Every sample measurement of every plate is a row; the demo's > ULOQ result re-assayed at
    dilution 4 is two rows: superseded, and reported."""
    run_elisa(raw, tmp_path, None)
    measured = pd.read_csv(tmp_path / "measurements.csv", dtype={"note": str}, keep_default_na=False)
    conc = pd.read_csv(tmp_path / "concentrations.csv")
    assert len(measured) == len(conc) + 1 and measured["reported"].sum() == len(conc)
    twice = measured[(measured["participant_id"] == "MS009") & (measured["analyte"] == "GDNF")]
    twice = twice[twice["time"] == "post"]
    assert twice[["plate_id", "flag", "status", "reported"]].to_dict("records") == [
        {"plate_id": "GDNF_P01", "flag": "> ULOQ", "status": "superseded by re-assay", "reported": False},
        {"plate_id": "GDNF_R01", "flag": "", "status": "usable", "reported": True},
    ]
    assert twice["note"].iloc[0] == "reported from plate GDNF_R01 (wells C3;C4, dilution 4)"


def test_negative_od_after_blank_correction_is_a_flag_not_a_crash(raw, tmp_path):
    """A sample read below the blank (OD 0.030, blank ~0.045): its response is below the curve,
    the result is < LLOQ (documented), and nothing fails."""
    set_cell(P01, 4, 3, "0.030")(raw)
    set_cell(P01, 4, 4, "0.031")(raw)
    problems = run_elisa(raw, tmp_path, {"BDNF_P01"})
    assert problems.empty
    wells = pd.read_csv(tmp_path / "wells.csv", keep_default_na=False)
    c3 = wells[(wells["plate_id"] == "BDNF_P01") & (wells["well"].isin(["C3", "C4"]))]
    assert (c3["flag"] == "below_curve").all() and (c3["od_corrected"].astype(float) < 0).all()
    conc = pd.read_csv(tmp_path / "concentrations.csv", keep_default_na=False)
    row = conc[(conc["participant_id"] == "MS001") & (conc["time"] == "pre") & (conc["analyte"] == "BDNF")]
    assert row["flag"].tolist() == ["< LLOQ"] and row["concentration"].tolist() == [""]


def test_a_blank_read_a_hair_below_zero_is_read_as_it_is(raw, tmp_path):
    """Readers report blank wells around zero by their noise (a SoftMax Pro "Raw" export in
    allotropy's test data holds -0.00024 and -0.00055): accepted and used unchanged, not clipped;
    -0.020 is refused (EXPORT_CASES)."""
    set_cell(P01, 9, 1, "-0.0005")(raw)  # blank well H1; its 570 nm reference read is 0.041
    problems = run_elisa(raw, tmp_path, {"BDNF_P01"})
    assert problems.empty, problems.to_dict("records")
    wells = pd.read_csv(tmp_path / "wells.csv", keep_default_na=False)
    h1 = wells[(wells["plate_id"] == "BDNF_P01") & (wells["well"] == "H1")].iloc[0]
    assert h1["role"] == "blank" and float(h1["od"]) == pytest.approx(-0.0005 - 0.041, abs=1e-12)


def test_a_high_cv_group_without_a_mean_is_recorded_missing_not_a_crash(raw, tmp_path):
    """A reference read of 0.4 instead of 0.040 puts one replicate of MS012 pre below the curve
    and the other in range: the group is high CV with no mean. It was analysed as a NaN value (a
    SchemaError in combine_plates); it is a missing value with its reason."""
    set_cell(P01, 13, 9, "0.4")(raw)
    problems = run_elisa(raw, tmp_path, {"BDNF_P01"})
    assert not (problems["severity"] == "error").any()
    missing = pd.read_csv(tmp_path / "missing.csv", keep_default_na=False)
    row = missing[(missing["participant_id"] == "MS012") & (missing["time"] == "pre")]
    assert row["reason"].tolist() == [
        "high_cv without a mean (a replicate beyond a curve asymptote) on plate BDNF_P01 (wells A9;A10)"
    ]
    measured = pd.read_csv(tmp_path / "measurements.csv", keep_default_na=False)
    assert measured.loc[measured["wells"] == "A9;A10", "status"].tolist() == ["high CV, no value"]
    table = pd.read_csv(tmp_path / "table.csv")
    assert table["value"].notna().all() and "MS012" not in set(table.loc[table["time"] == "pre", "participant_id"])


# ---------------------------------------------------------------- through Snakemake


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def _trial(tmp_path: Path, edit, on_error: str = "stop") -> Path:
    workdir = tmp_path / "trial"
    shutil.copytree(DEMO, workdir / "raw" / "demo")
    config = (ROOT / "config.yaml").read_text()
    if on_error != "stop":
        assert "on_error: stop" in config
        config = config.replace("on_error: stop", f"on_error: {on_error}", 1)
    (workdir / "config.yaml").write_text(config)
    edit(workdir / "raw" / "demo")
    return workdir


@pytest.mark.pipeline
@pytest.mark.parametrize(
    ("edit", "file", "line", "rule"),
    [
        (set_cell(P01, 6, 3, "1e999"), P01, "6", OD),
        (set_cell(MANIFEST, 2, 1, "bdnf"), MANIFEST, "2", "analyte_known"),
    ],
    ids=["export 1e999", "manifest bdnf"],
)
def test_a_plate_error_reaches_validation_and_stops_the_run_at_the_gate(tmp_path, edit, file, line, rule):
    workdir = _trial(tmp_path, edit)
    before = _tree(workdir / "raw")
    result = _snakemake(workdir)
    assert result.returncode != 0
    validation = pd.read_csv(workdir / "results/qc/validation.csv", dtype=str, keep_default_na=False)
    row = validation[(validation["file"] == file) & (validation["line"] == line) & (validation["rule"] == rule)]
    assert len(row) == 1, validation.to_dict("records")
    assert "nothing was analysed (on_error: stop)" in result.stderr
    assert f"{file}, line {line}" in result.stderr and "Traceback" not in result.stderr
    assert not (workdir / "reports").exists() or not any((workdir / "reports").rglob("report.pdf"))
    assert _tree(workdir / "raw") == before


@pytest.mark.pipeline
def test_a_quarantined_plate_leaves_the_run_going_without_it(tmp_path):
    workdir = _trial(tmp_path, set_cell(P01, 2, 3, "abc"), on_error="quarantine")
    result = _snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    validation = pd.read_csv(workdir / "results/qc/validation.csv", dtype=str, keep_default_na=False)
    assert validation[validation["file"] == P01][["line", "column", "rule"]].values.tolist() == [["2", "A3", OD]]
    qc = pd.read_csv(workdir / "results/elisa/plate_qc.csv")
    assert "BDNF_P01" not in set(qc["plate_id"])
