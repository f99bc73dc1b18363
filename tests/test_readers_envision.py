"""PerkinElmer EnVision CSV: result blocks per plate (columns written 01 … 12, or bare matrices),
measurements named by label, technology code or MeasInfo, wavelength from the label and filter
lines, calculated results derived, cut or edited exports refused naming the line.

Fixtures: tests/data/plates/envision/make_fixtures.py (seeded; the tests recompute its values)."""

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers import envision
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data"
HERE = DATA / "plates" / "envision"
_spec = importlib.util.spec_from_file_location("envision_fixtures", HERE / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


def parsed(name: str):
    return envision.reads(load_export(HERE / name))


def assert_cells(read, expected: dict, file: str, first_line: int, first_col: int) -> None:
    """Every well holds the text written, each with its own line and column."""
    cols = 12 if read.wells == 96 else 24
    assert sorted(read.cells) == sorted(expected)
    rows = sorted({w[0] for w in expected})
    for well, text in expected.items():
        line = first_line + rows.index(well[0])
        col = first_col + int(well[1:]) - 1
        assert read.cells[well] == (text, f"{file}:line {line}, col {col}"), well
    assert len(read.cells) == len(rows) * cols


def test_two_plates_at_450_nm_with_columns_written_01_to_12():
    p = parsed("envision_a450.csv")
    assert p.format == "envision-text"
    assert p.plates() == [(1, "Plate 1"), (2, "Plate 2")]
    assert [(r.plate, r.nm, r.measurement, r.mode, r.derived, r.wells, r.step) for r in p.reads] == [
        (1, 450, "absorbance", "endpoint", False, 96, "A450(1)"),
        (2, 450, "absorbance", "endpoint", False, 96, "A450(1)"),
    ]
    assert p.reads[0].label == "Results for A450(1) - channel 1 (A)"
    assert_cells(p.reads[0], fx.values(fx.A450[1]), "envision_a450.csv", 11, 2)
    assert_cells(p.reads[1], fx.values(fx.A450[2]), "envision_a450.csv", 30, 2)
    assert p.metadata["Software Version"] == "EnVision Workstation version 1.14.3049.1642"
    assert p.metadata["Number of the wells in the plate"] == "96"


def test_bare_384_matrices_absorbance_at_562_and_alphascreen_with_its_calculated_result():
    p = parsed("envision_bare_384.csv")
    assert p.plates() == [(1, "BCA-0001"), (2, "ALPHA-0002")]
    got = [(r.plate, r.label, r.nm, r.measurement, r.derived, r.wells) for r in p.reads]
    assert got == [
        (1, "BCA Absorbance @ 562(1)", 562, "absorbance", False, 384),
        (
            2,
            "Calc 1: Crosstalk = Crosstalk correction where Label : Screen 384 OptiPlate(1) channel 1",
            None,
            "unknown",
            True,
            384,
        ),
        (2, "Screen 384 OptiPlate(1)", None, "luminescence", False, 384),
    ]
    assert_cells(p.reads[0], fx.values(fx.BCA_562, 384), "envision_bare_384.csv", 9, 1)
    assert_cells(p.reads[2], fx.counts(fx.ALPHA), "envision_bare_384.csv", 57, 1)


def test_luminescence_pattern_rows_leave_the_other_wells_out():
    p = parsed("envision_luminescence.csv")
    assert [(r.plate_name, r.measurement, r.nm, r.wells, len(r.cells)) for r in p.reads] == [
        ("LUM-1", "luminescence", None, 384, 96),
        ("LUM-2", "luminescence", None, 384, 96),
    ]
    expected = {w: v for w, v in fx.counts(fx.LUM[2]).items() if w[0] in fx.LUM_ROWS}
    assert_cells(p.reads[1], expected, "envision_luminescence.csv", 26, 2)


def test_a_file_cut_inside_a_grid_row_is_refused_naming_the_line():
    with pytest.raises(PlateFormatError) as err:
        parsed("envision_truncated.csv")
    assert "last row found: F with 6 values" in str(err.value) and "truncated" in str(err.value)
    assert err.value.problems[0].line == "35"


def test_a_result_without_its_plate_information_is_refused():
    with pytest.raises(PlateFormatError, match=r"'Results for A450\(1\) - channel 1 \(A\)' at line 20 is not inside"):
        parsed("envision_missing_header.csv")


OTHERS = [
    DATA / "elisa" / "grid_plain.csv",
    DATA / "elisa" / "grid_ref.csv",
    DATA / "elisa" / "gen5_sections.txt",
    DATA / "elisa" / "gen5_export.xlsx",
    *sorted(p for p in (DATA / "plates").glob("*/*") if p.suffix != ".py" and p.parent.name != "envision"),
]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_other_exports_are_not_recognised(path):
    assert not envision.recognises(load_export(path))


def test_every_fixture_is_recognised():
    assert all(envision.recognises(load_export(p)) for p in HERE.glob("*.csv"))


def test_the_chooser_reads_a_named_plate_and_refuses_luminescence():
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(HERE / "envision_a450.csv")
    df = choose_reads(export, envision.reads(export), ReadChoice(plate="2"))
    expected = fx.values(fx.A450[2])
    assert df["od_450"].tolist() == pytest.approx([float(expected[w]) for w in fx.wells(96)])
    export = load_export(HERE / "envision_luminescence.csv")
    with pytest.raises(PlateFormatError, match="holds luminescence reads, not absorbance"):
        choose_reads(export, envision.reads(export), ReadChoice(plate="LUM-1"))
