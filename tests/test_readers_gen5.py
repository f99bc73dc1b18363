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


def line_of(name: str, text: str) -> int:
    """The 1-based line of the first line of fixture ``name`` that is ``text``."""
    return (DATA / name).read_text(encoding="cp1252").splitlines().index(text) + 1


def test_results_matrix_after_a_layout_with_empty_conc_lines():
    # the Layout's Conc/Dil lines are empty for the sample rows: once 'incomplete … last row found: C'
    parsed = parse("results_layout.txt")
    header = f"line {line_of('results_layout.txt', 'Results') + 1}"
    assert [describe(r) + (r.where,) for r in parsed.reads] == [
        ("ELISA:450", 450, "ELISA", 1, "Plate 1", "absorbance", "endpoint", False, header),
        ("ELISA:570", 570, "ELISA", 1, "Plate 1", "absorbance", "endpoint", False, header),
        ("Blank ELISA:450", 450, "", 1, "Plate 1", "absorbance", "endpoint", True, header),
        ("[Concentration]", None, "", 1, "Plate 1", "absorbance", "endpoint", True, header),
    ]
    assert cell_values(parsed.reads[0]) == fixtures.values(11, marks=True)
    assert cell_values(parsed.reads[1]) == fixtures.values(12, low=0.03, high=0.06)
    assert cell_values(parsed.reads[2]) == fixtures.values(13, low=0.0, high=3.0)
    first = line_of("results_layout.txt", "Results") + 2
    assert parsed.reads[0].cells["A1"][1] == f"results_layout.txt:line {first}, col 2"
    assert parsed.reads[1].cells["A1"][1] == f"results_layout.txt:line {first + 1}, col 2"
    assert parsed.metadata["Wavelengths"] == "450, 570"


def test_results_matrix_saved_as_a_workbook():
    parsed = parse("results_layout.xlsx")
    assert parsed.format == "gen5-xlsx"
    assert [(r.label, r.nm, r.step, r.derived) for r in parsed.reads] == [
        ("ELISA:450", 450, "ELISA", False),
        ("ELISA:570", 570, "ELISA", False),
        ("Blank ELISA:450", 450, "", True),
        ("[Concentration]", None, "", True),
    ]
    expected = {w: fixtures.number(v) for w, v in fixtures.values(11, marks=True).items()}
    assert cell_values(parsed.reads[0]) == expected
    first = line_of("results_layout.txt", "Results") + 2
    assert parsed.reads[0].cells["A2"][1] == f"results_layout.xlsx:Sheet1!C{first}"


def test_two_read_steps_are_two_steps():
    parsed = parse("two_steps.txt")
    assert [(r.label, r.nm, r.step, r.derived) for r in parsed.reads] == [
        ("Read 1:450", 450, "Read 1", False),
        ("Read 1:570", 570, "Read 1", False),
        ("Read 2:418", 418, "Read 2", False),
    ]
    for read, seed in zip(parsed.reads, (21, 22, 23), strict=True):
        low, high = (0.03, 0.06) if seed == 22 else (0.04, 3.2)
        assert cell_values(read) == fixtures.values(seed, low=low, high=high)


def test_read_modes_say_what_they_measure():
    parsed = parse("read_modes.txt")
    assert [(r.label, r.nm, r.step, r.measurement, r.mode, r.derived) for r in parsed.reads] == [
        ("od:600", 600, "od", "absorbance", "endpoint", False),
        ("fluor:485/20,528/20", 528, "fluor", "fluorescence", "endpoint", False),
        ("lum:Lum", None, "lum", "luminescence", "endpoint", False),
    ]
    assert cell_values(parsed.reads[2]) == fixtures.values(33, low=100, high=900000, fmt="{:.0f}")


def test_kinetic_plate_is_one_plate_in_kinetic_mode():
    parsed = parse("kinetic.txt")
    assert parsed.plates() == [(1, "Plate 1")]
    kinetic = [r for r in parsed.reads if not r.derived]
    assert [(r.label, r.nm, r.step, r.mode, r.measurement) for r in kinetic] == [
        (f"Kin:450 at 0:0{t}:00", 450, "Kin", "kinetic", "absorbance") for t in range(5)
    ]
    for t, read in enumerate(kinetic):
        assert cell_values(read) == fixtures.values(40 + t)
    first = line_of("kinetic.txt", "Kin:450") + 3
    assert kinetic[0].where == f"line {first}"
    assert kinetic[0].cells["A1"][1] == f"kinetic.txt:line {first}, col 3"
    (maxv,) = [r for r in parsed.reads if r.derived]
    assert (maxv.label, maxv.mode) == ("Max V [Kin:450]", "kinetic")


@pytest.mark.parametrize("name", ["column_list.txt", "row_list.txt"])
def test_list_layouts(name):
    parsed = parse(name)
    assert [(r.label, r.nm, r.step, r.derived, r.wells) for r in parsed.reads] == [
        ("ELISA:450", 450, "ELISA", False, 96),
        ("ELISA:570", 570, "ELISA", False, 96),
        ("Blank ELISA:450", 450, "", True, 96),
    ]
    assert cell_values(parsed.reads[0]) == fixtures.values(51, marks=True)
    assert cell_values(parsed.reads[1]) == fixtures.values(52, low=0.03, high=0.06)
    assert cell_values(parsed.reads[2]) == fixtures.values(53, low=0.0, high=3.0)


def test_list_layout_sources():
    first = line_of("column_list.txt", "Well\tWell ID\tConc/Dil\tELISA:450\tELISA:570\tBlank ELISA:450")
    read = parse("column_list.txt").reads[1]
    assert read.cells["A1"][1] == f"column_list.txt:line {first + 1}, col 5"
    assert read.cells["H12"][1] == f"column_list.txt:line {first + 96}, col 5"
    row = parse("row_list.txt").reads[0]
    assert row.cells["A2"][1].endswith(", col 3") and row.where.startswith("line ")


def test_384_well_plate():
    (read,) = parse("plate_384.txt").reads
    assert (read.wells, read.nm, len(read.cells)) == (384, 450, 384)
    assert cell_values(read) == fixtures.values(61, 384)


def test_partial_plate_leaves_the_unread_wells_out():
    (read,) = parse("partial_plate.txt").reads
    assert (read.label, read.nm, read.wells) == ("ELISA:450", 450, 96)
    expected = {w: v for w, v in fixtures.values(71).items() if w[0] in "ACEG"}
    assert cell_values(read) == expected


def test_software_version_alone_is_not_gen5(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text(
        "Software Version,5.1\nUser,lab\n\n" + (Path(__file__).parent / "data/plates/grid/grid_450.csv").read_text()
    )
    assert not gen5.recognises(load_export(p))


def _broken(tmp_path, name: str, edit) -> PlateFormatError:
    p = tmp_path / name
    p.write_text(edit((DATA / name).read_text(encoding="cp1252")), encoding="cp1252")
    with pytest.raises(PlateFormatError) as exc:
        parse(p)
    assert str(exc.value).startswith(str(p))
    return exc.value


def test_results_matrix_cut_mid_row(tmp_path):
    cut = line_of("results_layout.txt", "Results") + 9
    exc = _broken(tmp_path, "results_layout.txt", lambda t: "\n".join(t.splitlines()[:cut])[:-40])
    assert "cut short" in str(exc) and exc.problems[0].line == str(cut)


def test_results_matrix_row_twice(tmp_path):
    def edit(text: str) -> str:
        lines = text.splitlines()
        k = lines.index("Results") + 2
        return "\n".join(lines[: k + 4] + lines[k : k + 4] + lines[k + 4 :])

    exc = _broken(tmp_path, "results_layout.txt", edit)
    assert "row 'A' at results_layout.txt:line" in str(exc) and "where row 'B' was expected" in str(exc)


def test_kinetic_table_cut_mid_row(tmp_path):
    cut = line_of("kinetic.txt", "Kin:450") + 5
    exc = _broken(tmp_path, "kinetic.txt", lambda t: "\n".join(t.splitlines()[:cut])[:-200])
    assert "row '0:02:00'" in str(exc) and "cut short" in str(exc) and exc.problems[0].line == str(cut)


def test_column_list_cut_mid_row(tmp_path):
    exc = _broken(tmp_path, "column_list.txt", lambda t: t.rstrip()[:-12])
    assert "well H12" in str(exc) and "cut short" in str(exc)


def test_gen5_export_without_data(tmp_path):
    exc = _broken(tmp_path, "sections_450_570.txt", lambda t: t.split("\n450\n")[0])
    assert "without any data" in str(exc)


def test_a_note_after_the_last_column_of_a_results_row(tmp_path):
    row = line_of("results_layout.txt", "Results") + 2 + 4 * 2  # plate row C's first line

    def edit(text: str) -> str:
        lines = text.splitlines()
        lines[row - 1] = lines[row - 1].replace("\tELISA:450", "\tredo")
        return "\n".join(lines) + "\n"

    exc = _broken(tmp_path, "results_layout.txt", edit)
    assert "text 'redo' after column 12 of row C" in str(exc) and "a note" in str(exc)
    assert exc.problems[0].line == str(row) and exc.problems[0].rule == GRID_SHAPE


def test_metadata_is_the_first_plates_header_and_procedure():
    meta = parse("column_list.txt").metadata
    assert meta["Software Version"] == "3.12.08" and meta["Plate Number"] == "Plate 1"
    assert meta["Wavelengths"] == "450, 570" and meta["Reader Type"] == "Synergy H1"
    assert "Well" not in meta and "A1" not in meta  # the data below the procedure is not metadata
    assert parse("two_plates.txt").metadata["Plate Number"] == "Plate 1"
