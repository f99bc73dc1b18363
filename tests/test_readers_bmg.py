"""BMG LABTECH MARS CSV and SMART Control XLSX, recognised by BMG's header lines: raw grids per
wavelength named by their titles, blank-corrected grids derived, plate-map grids left out, MARS's
missing trailing separators read as wells left out, a cut file and a 1536-well plate refused.

Fixtures: tests/data/plates/bmg/make_fixtures.py (seeded; the tests recompute its values)."""

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers import bmg
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data"
HERE = DATA / "plates" / "bmg"
_spec = importlib.util.spec_from_file_location("bmg_fixtures", HERE / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
COLUMN = "ABCDEFGHIJKLMNOPQRSTUVWXY"


def parsed(name: str):
    return bmg.reads(load_export(HERE / name))


def assert_text_cells(read, expected: dict, file: str, header_line: int) -> None:
    assert sorted(read.cells) == sorted(expected)
    rows = sorted({w[0] for w in expected})
    for well, value in expected.items():
        src = f"{file}:line {header_line + 1 + rows.index(well[0])}, col {int(well[1:]) + 1}"
        assert read.cells[well] == (fx._num(value), src), well


def test_pherastar_450_names_bmg_and_takes_wavelength_and_measurement_from_its_lines():
    p = parsed("bmg_pherastar_450.csv")
    assert p.format == "bmg-text"
    (read,) = p.reads
    assert (read.label, read.step, read.nm, read.measurement, read.mode, read.derived, read.plate_name) == (
        "Raw Data  (450)",
        "Absorbance",
        450,
        "absorbance",
        "endpoint",
        False,
        "IL6 plate 01",
    )
    assert_text_cells(read, fx.values(fx.PHERASTAR), "bmg_pherastar_450.csv", 9)
    assert p.metadata["Test name"] == "IL-6 ELISA" and p.metadata["Test run no."] == "65"


def test_two_chromatics_are_two_raw_reads_and_the_blank_corrected_grid_is_derived():
    p = parsed("bmg_clariostar_dual.csv")
    assert [(r.label, r.nm, r.measurement, r.derived) for r in p.reads] == [
        ("Raw Data (450 1)", 450, "absorbance", False),
        ("Raw Data (620 2)", 620, "absorbance", False),
        ("Blank corrected based on Raw Data (450 1)", 450, "unknown", True),
    ]
    assert_text_cells(p.reads[0], fx.values(fx.DUAL[450]), "bmg_clariostar_dual.csv", 9)
    assert_text_cells(p.reads[1], fx.values(fx.DUAL[620], 96, 0.03, 0.09), "bmg_clariostar_dual.csv", 21)


def test_fluorescence_384_with_trailing_separators_left_out():
    (read,) = parsed("bmg_pherastar_fi_384.csv").reads
    assert (read.measurement, read.nm, read.wells, len(read.cells)) == ("fluorescence", None, 384, 360)
    expected = {w: v for w, v in fx.counts(fx.FI_384).items() if w not in fx.FI_EMPTY}
    assert_text_cells(read, expected, "bmg_pherastar_fi_384.csv", 9)


def test_smart_control_workbook_raw_and_blank_corrected_grids_plate_map_grids_left_out():
    p = parsed("bmg_smart_control.xlsx")
    assert p.format == "bmg-xlsx"
    assert [(r.label, r.nm, r.measurement, r.derived, r.plate_name) for r in p.reads] == [
        ("Raw Data (450)", 450, "absorbance", False, "IL6 plate 02"),
        ("Blank corrected based on Raw Data (450)", 450, "unknown", True, "IL6 plate 02"),
    ]
    raw = fx.values(fx.SMART)
    for well, value in raw.items():
        row = 40 + "ABCDEFGH".index(well[0])
        assert p.reads[0].cells[well] == (
            value,
            f"bmg_smart_control.xlsx:Microplate End point!{COLUMN[int(well[1:])]}{row}",
        )


def test_a_file_cut_inside_a_row_is_refused_naming_the_line():
    with pytest.raises(PlateFormatError) as err:
        parsed("bmg_truncated.csv")
    assert "last row found: F with 2 values" in str(err.value)
    assert err.value.problems[0].line == "15"


def test_a_1536_well_plate_is_refused_saying_so():
    with pytest.raises(PlateFormatError, match="has 48 columns: a 1536-well plate; only 96- and 384-well plates"):
        parsed("bmg_1536.csv")


OTHERS = [
    DATA / "elisa" / "grid_plain.csv",
    DATA / "elisa" / "grid_ref.csv",
    DATA / "elisa" / "gen5_sections.txt",
    DATA / "elisa" / "gen5_export.xlsx",
    *sorted(p for p in (DATA / "plates").glob("*/*") if p.suffix != ".py" and p.parent.name != "bmg"),
]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_other_exports_are_not_recognised(path):
    assert not bmg.recognises(load_export(path))


def test_every_fixture_is_recognised():
    assert all(bmg.recognises(load_export(p)) for p in HERE.iterdir() if p.suffix != ".py")


def test_the_chooser_takes_450_minus_620_of_one_measurement_and_refuses_fluorescence():
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(HERE / "bmg_clariostar_dual.csv")
    df = choose_reads(export, bmg.reads(export), ReadChoice(wavelength_nm=450, reference_nm=620))
    v450, v620 = fx.values(fx.DUAL[450]), fx.values(fx.DUAL[620], 96, 0.03, 0.09)
    assert df["od"].tolist() == pytest.approx([v450[w] - v620[w] for w in fx.wells(96)])
    export = load_export(HERE / "bmg_pherastar_fi_384.csv")
    with pytest.raises(PlateFormatError, match="holds fluorescence reads, not absorbance"):
        choose_reads(export, bmg.reads(export), ReadChoice())
