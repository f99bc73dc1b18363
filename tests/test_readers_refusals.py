"""Every vendor layout through the chooser (read_plate_export): the ODs of the chosen read are the
described cells, and the refusals - a wavelength the file lacks, a second wavelength nobody named,
a read that is not absorbance, a kinetic read - say what the file holds and which key to set.
The cell values themselves are checked against the seeded generators in each vendor's test file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from trialflow.elisa import PlateFormatError, read_plate_export
from trialflow.elisa.readers import LAYOUTS
from trialflow.elisa.readers.load import load_export
from trialflow.elisa.readers.plate import parse_od_cell, well_names

PLATES = Path(__file__).parent / "data" / "plates"

# fixture, primary nm, reference nm (None: the file's step holds no other wavelength to subtract), plate
ABSORBANCE = [
    ("asm/asm_absorbance_450_620.json", 450, 620, None),
    ("bmg/bmg_clariostar_dual.csv", 450, 620, None),
    ("bmg/bmg_pherastar_450.csv", 450, None, None),
    ("bmg/bmg_smart_control.xlsx", 450, None, None),
    ("envision/envision_a450.csv", 450, None, "2"),
    ("envision/envision_bare_384.csv", 562, None, "1"),
    ("gen5/column_list.txt", 450, 570, None),
    ("gen5/row_list.txt", 450, 570, None),
    ("gen5/results_layout.txt", 450, 570, None),
    ("gen5/results_layout.xlsx", 450, 570, None),
    ("gen5/sections_450_570.txt", 450, 570, None),
    ("gen5/two_plates.txt", 450, 570, "2"),
    ("gen5/two_steps.txt", 450, 570, None),
    ("gen5/plate_384.txt", 450, None, None),
    ("grid/grid_384.csv", 450, None, None),
    ("grid/grid_450_570.csv", 450, 570, None),
    ("grid/grid_sheets.xlsx", 450, 570, None),
    ("grid/grid_two_plates.csv", 450, None, "2"),
    ("kaleido/kaleido2_absorbance.csv", 450, None, None),
    ("kaleido/kaleido3_absorbance_two.csv", 450, None, None),
    ("magellan/magellan_grid.xlsx", 450, None, None),
    ("magellan/magellan_list_od.txt", 450, None, None),
    ("magellan/magellan_list_od.xls", 450, None, None),
    ("magellan/magellan_list_od.xlsx", 450, None, None),
    ("magellan/icontrol_two_labels.xlsx", 450, None, None),
    ("magellan/magellan_list_two_labels_384.xlsx", 450, None, None),
    ("skanit/skanit_elisa.xlsx", 450, 620, None),
    ("skanit/skanit_multiplate.xlsx", 450, 620, "1"),  # plate 2 is read in part: refused (empty cells)
    ("softmax/plate_format_384.txt", 450, None, None),
    ("softmax/plate_format_two_plates.txt", 450, 650, "2"),
    ("softmax/time_format_450_570.txt", 450, 570, None),
    ("softmax/xml_export.xml", 450, 650, "1"),
]
NOT_ABSORBANCE = [
    ("asm/asm_luminescence_384.json", "luminescence", None),
    ("bmg/bmg_pherastar_fi_384.csv", "fluorescence", None),
    ("envision/envision_luminescence.csv", "luminescence", "1"),
    ("kaleido/kaleido35_luminescence_384.csv", "luminescence", None),
    ("magellan/icontrol_fluorescence.txt", "fluorescence", None),
    ("skanit/skanit_luminescence.xlsx", "luminescence", None),
    ("softmax/luminescence_time_format.txt", "luminescence", None),
]
KINETIC = [
    ("gen5/kinetic.txt", 450),
    ("magellan/icontrol_kinetic.xlsx", 600),
    ("softmax/kinetic_plate_format.txt", 405),
]


def described(path: Path, nm: int, plate: str | None, step: str | None = None):
    """The raw absorbance endpoint read at ``nm`` as the layout describes it."""
    export = load_export(path)
    parsed = next(layout for layout in LAYOUTS if layout.recognises(export)).reads(export)
    number = int(plate) if plate else 1
    reads = [
        r
        for r in parsed.reads
        if not r.derived
        and r.nm == nm
        and r.plate == number
        and r.mode == "endpoint"
        and (step is None or r.step == step)
    ]
    assert len(reads) == 1, reads
    return reads[0]


def od_of(cell) -> float:
    od, flag = parse_od_cell(cell[0])
    return od if flag in ("", "masked") else math.nan


@pytest.mark.parametrize(("name", "nm", "reference", "plate"), ABSORBANCE, ids=[a[0] for a in ABSORBANCE])
def test_the_chosen_reads_are_the_described_cells(name, nm, reference, plate):
    df = read_plate_export(PLATES / name, wavelength_nm=nm, reference_nm=reference or "none", plate=plate)
    primary = described(PLATES / name, nm, plate)
    assert len(df) == primary.wells and tuple(df["well"]) == well_names(primary.wells)
    np.testing.assert_array_equal(df["od_450"].to_numpy(), [od_of(primary.cells[w]) for w in df["well"]])
    if reference is not None:
        ref = described(PLATES / name, reference, plate, step=primary.step)
        np.testing.assert_array_equal(df["od_ref"].to_numpy(), [od_of(ref.cells[w]) for w in df["well"]])
        np.testing.assert_array_equal(df["od"], df["od_450"] - df["od_ref"])
    assert df.attrs["primary_nm"] == nm and df.attrs["format"]


@pytest.mark.parametrize(("name", "nm", "reference", "plate"), ABSORBANCE, ids=[a[0] for a in ABSORBANCE])
def test_a_wavelength_the_file_lacks_is_refused_naming_what_it_holds(name, nm, reference, plate):
    with pytest.raises(PlateFormatError) as err:
        read_plate_export(PLATES / name, wavelength_nm=492, reference_nm="none", plate=plate)
    message = str(err.value)
    assert "no 492 nm read" in message and f"{nm} nm" in message and "wavelength_nm" in message


@pytest.mark.parametrize(
    ("name", "nm", "reference", "plate"), [a for a in ABSORBANCE if a[2]], ids=[a[0] for a in ABSORBANCE if a[2]]
)
def test_a_second_wavelength_nobody_named_is_not_taken_as_reference(name, nm, reference, plate):
    with pytest.raises(PlateFormatError) as err:
        read_plate_export(PLATES / name, wavelength_nm=nm, plate=plate)
    assert f"also holds {reference} nm" in str(err.value) and "reference_nm" in str(err.value)


@pytest.mark.parametrize(("name", "measurement", "plate"), NOT_ABSORBANCE, ids=[a[0] for a in NOT_ABSORBANCE])
def test_a_file_that_is_not_absorbance_is_refused_saying_what_it_is(name, measurement, plate):
    with pytest.raises(PlateFormatError) as err:
        read_plate_export(PLATES / name, wavelength_nm=450, plate=plate)
    assert f"holds {measurement} reads, not absorbance" in str(err.value)


@pytest.mark.parametrize(("name", "nm"), KINETIC, ids=[k[0] for k in KINETIC])
def test_a_kinetic_read_is_refused_where_an_endpoint_is_expected(name, nm):
    plate = "2" if name.endswith(".xml") else None
    with pytest.raises(PlateFormatError, match="is a kinetic read"):
        read_plate_export(PLATES / name, wavelength_nm=nm, plate=plate)


def test_a_partial_plate_is_refused_naming_the_wells_it_lacks():
    with pytest.raises(PlateFormatError, match=r"lacks 48 of its 96 wells"):
        read_plate_export(PLATES / "gen5" / "partial_plate.txt", wavelength_nm=450)
