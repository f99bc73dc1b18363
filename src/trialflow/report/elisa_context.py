"""What the ELISA QC pages print: per-plate verdicts, curve parameters, recoveries, flagged samples.

The main report carries the plate summary and the flagged samples; the per-plate pages go to
their own QC report, so a trial with hundreds of plates keeps a readable main report.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pandas as pd

from trialflow.outputs import read_csv

LISTED_PLATES = 30  # above this the main report summarises plates per analyte


def build_elisa_context(
    tables: dict[str, str], *, plate_pages: str | None = None, draw: Callable[..., bytes] | None = None
) -> dict:
    """``tables`` maps wells, standards, controls, plate_qc, plates_by_analyte, concentrations (and
    curves, to draw) to CSV paths.

    ``plate_pages`` chooses the plates that get a page of their own in the QC report:
    ``all``, or ``attention`` (failed plates, plates with flagged or superseded results) for
    trials with hundreds of plates, whose curves and recoveries stay in the attached tables;
    ``None`` (the main report, which prints no plate pages) builds none.
    ``draw`` (:func:`trialflow.figures.plot_plate_curve`, passed in by the QC report's step, the
    only one that draws) draws the standard curve of every plate that gets a page, as SVG.
    """
    qc = read_csv(tables["plate_qc"]).fillna({"reasons": "", "kit_lot": "", "read": "", "export_plate": ""})
    conc = read_csv(tables["concentrations"])
    wells = read_csv(tables["wells"]) if "wells" in tables else None
    flagged = conc[conc["flag"].fillna("") != ""].fillna({"flag": ""})
    superseded = _censored_then_reassayed(wells, conc) if wells is not None else []
    failed = qc[qc["verdict"] != "pass"]["plate_id"].tolist()
    attention = set(failed) | set(flagged["plate_id"]) | {s["plate_id"] for s in superseded}
    paged = {"all": qc, "attention": qc[qc["plate_id"].isin(attention)]}.get(plate_pages, qc.iloc[0:0])
    return {
        "plates": qc.to_dict("records"),
        "pages": _plate_pages(paged, tables, flagged, wells if draw else None, draw),
        "plate_pages": plate_pages,
        "by_analyte": read_csv(tables["plates_by_analyte"]).fillna({"kit_lots": ""}).to_dict("records"),
        "list_plates": len(qc) <= LISTED_PLATES,
        "flagged": flagged.to_dict("records"),
        "superseded": superseded,
        "failed_plates": failed,
        "reassay": flagged[flagged["flag"] == "plate_failed"].to_dict("records"),
        "n_plates": len(qc),
        "n_wells": int(qc["wells"].sum()),
    }


def _plate_pages(
    qc: pd.DataFrame, tables: dict[str, str], flagged: pd.DataFrame, wells: pd.DataFrame | None, draw
) -> list:
    """One entry per plate that gets a page: its QC row, recoveries, controls, flagged samples, curve."""
    if qc.empty:
        return []
    keep = set(qc["plate_id"])
    standards = read_csv(tables["standards"])
    controls = read_csv(tables["controls"])
    std_by, ctl_by, flag_by = (_by_plate(t, keep) for t in (standards, controls, flagged))
    figures = {}
    if wells is not None:
        curves = read_csv(tables["curves"])
        curve_by, well_by = _by_plate(curves, keep), _by_plate(wells, keep)
        empty = wells.iloc[0:0]
        for row in qc.to_dict("records"):
            pid = row["plate_id"]
            svg = draw(
                pid,
                well_by.get(pid, empty),
                std_by.get(pid, standards.iloc[0:0]),
                curve_by.get(pid, curves.iloc[0:0]),
                row,
            )
            figures[pid] = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    none = pd.DataFrame()
    return [
        row
        | {
            "standards": std_by.get(row["plate_id"], none).to_dict("records"),
            "controls": ctl_by.get(row["plate_id"], none).to_dict("records"),
            "flagged": flag_by.get(row["plate_id"], none).to_dict("records"),
            "figure": figures.get(row["plate_id"]),
        }
        for row in qc.to_dict("records")
    ]


def _by_plate(table: pd.DataFrame, plates: set) -> dict[str, pd.DataFrame]:
    """The rows of ``table`` for each of ``plates`` (one pass, not a filter per plate)."""
    return dict(tuple(table[table["plate_id"].isin(plates)].groupby("plate_id", sort=False)))


def _censored_then_reassayed(wells: pd.DataFrame, conc: pd.DataFrame) -> list[dict]:
    """Sample measurements that are not the reported one (e.g. > ULOQ, then re-assayed diluted)."""
    key = ["participant_id", "time", "analyte"]
    samples = wells[wells["role"] == "sample"].dropna(subset=["participant_id"])
    reported = conc[[*key, "plate_id"]].rename(columns={"plate_id": "reported_plate"})
    # Only the few measurements on another plate than the reported one are grouped (a large
    # trial has ~50,000 sample groups).
    other = samples.merge(reported, on=key, how="inner")
    other = other[other["plate_id"] != other["reported_plate"]]
    rows = []
    for (pid, time, analyte, plate, dilution), g in other.groupby([*key, "plate_id", "dilution"], sort=True):
        rows.append(
            {
                "participant_id": pid,
                "time": time,
                "analyte": analyte,
                "plate_id": plate,
                "dilution": dilution,
                "wells": ";".join(g["well"]),
                "reported_plate": g["reported_plate"].iloc[0],
            }
        )
    return rows
