"""BioTek/Agilent Gen5 exports (trialflow.elisa.readers.gen5): every grid of every plate and read
step described as a Read, with every cell as written; other vendors' files and plain grids are
not Gen5; broken files name the place."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers import gen5
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data" / "plates" / "gen5"
_spec = importlib.util.spec_from_file_location("gen5_fixtures", DATA / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def parse(name: str | Path):
    return gen5.reads(load_export(DATA / name if isinstance(name, str) else name))


def cell_values(read) -> dict[str, object]:
    return {well: value for well, (value, _) in read.cells.items()}


def describe(read) -> tuple:
    return (read.label, read.nm, read.step, read.plate, read.plate_name, read.measurement, read.mode, read.derived)


def test_sections_one_step_two_wavelengths():
    parsed = parse("sections_450_570.txt")
    assert parsed.format == "gen5-text"
    assert parsed.metadata["Software Version"] == "3.12.08"
    assert parsed.metadata["Wavelengths"] == "450, 570"
    assert [describe(r) for r in parsed.reads] == [
        ("450", 450, "", 1, "Plate 1", "absorbance", "endpoint", False),
        ("570", 570, "", 1, "Plate 1", "absorbance", "endpoint", False),
    ]
    assert [r.where for r in parsed.reads] == ["line 29", "line 40"]
    assert cell_values(parsed.reads[0]) == fixtures.values(1, marks=True)
    assert cell_values(parsed.reads[1]) == fixtures.values(2, low=0.03, high=0.06)
    assert parsed.reads[0].cells["C7"] == ("*0.356*", "sections_450_570.txt:line 32, col 8")


def test_two_plates_are_plates_one_and_two():
    parsed = parse("two_plates.txt")
    assert parsed.plates() == [(1, "Plate 1"), (2, "Plate 2")]
    assert [(r.plate, r.nm) for r in parsed.reads] == [(1, 450), (1, 570), (2, 450), (2, 570)]
    assert cell_values(parsed.reads[2]) == fixtures.values(5)
    assert cell_values(parsed.reads[3]) == fixtures.values(6, low=0.03, high=0.06)


def test_plain_grids_are_not_gen5():
    grids = Path(__file__).parent / "data" / "plates" / "grid"
    for name in ("grid_450.csv", "grid_450_570.csv", "grid_two_plates.csv", "grid_sheets.xlsx"):
        assert not gen5.recognises(load_export(grids / name)), name
    assert gen5.recognises(load_export(DATA / "sections_450_570.txt"))


def test_truncated_section_names_the_line(tmp_path):
    lines = (DATA / "sections_450_570.txt").read_text().splitlines()
    p = tmp_path / "cut.txt"
    p.write_text("\n".join(lines[:45]) + "\n")
    with pytest.raises(PlateFormatError) as exc:
        parse(p)
    assert exc.value.problems[0].rule == GRID_SHAPE and exc.value.problems[0].line == "46"
    assert "last row found: E" in str(exc.value) and "file ends there" in str(exc.value)
