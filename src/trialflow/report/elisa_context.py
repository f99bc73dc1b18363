"""What the ELISA QC pages print: per-plate verdicts, curve parameters, recoveries, flagged samples.

The main report carries the plate summary and the flagged samples; the per-plate pages go to
their own QC report, so a trial with hundreds of plates keeps a readable main report.
"""

from __future__ import annotations

import pandas as pd

from trialflow.outputs import read_csv
from trialflow.report.context import svg_data_uri


def build_elisa_context(tables: dict[str, str], figures: dict[str, str] | None = None) -> dict:
    """``tables`` maps wells, standards, controls, plate_qc, concentrations to CSV paths."""
    qc = read_csv(tables["plate_qc"])
    standards = read_csv(tables["standards"])
    controls = read_csv(tables["controls"])
    conc = read_csv(tables["concentrations"])
    wells = read_csv(tables["wells"]) if "wells" in tables else None
    flagged = conc[conc["flag"].fillna("") != ""].fillna({"flag": ""})
    superseded = _censored_then_reassayed(wells, conc) if wells is not None else []
    plates = []
    for row in qc.fillna({"reasons": "", "kit_lot": ""}).to_dict("records"):
        pid = row["plate_id"]
        plates.append(
            row
            | {
                "standards": standards[standards["plate_id"] == pid].to_dict("records"),
                "controls": controls[controls["plate_id"] == pid].to_dict("records"),
                "flagged": flagged[flagged["plate_id"] == pid].to_dict("records"),
                "figure": svg_data_uri(figures[pid]) if figures and pid in figures else None,
            }
        )
    failed = qc[qc["verdict"] != "pass"]["plate_id"].tolist()
    return {
        "plates": plates,
        "flagged": flagged.to_dict("records"),
        "superseded": superseded,
        "failed_plates": failed,
        "reassay": flagged[flagged["flag"] == "plate_failed"].to_dict("records"),
        "n_plates": len(qc),
    }


def _censored_then_reassayed(wells: pd.DataFrame, conc: pd.DataFrame) -> list[dict]:
    """Sample measurements that are not the reported one (e.g. > ULOQ, then re-assayed diluted)."""
    samples = wells[wells["role"] == "sample"].dropna(subset=["participant_id"])
    reported = {(r.participant_id, r.time, r.analyte): r.plate_id for r in conc.itertuples()}
    rows = []
    for (pid, time, analyte, plate, dilution), g in samples.groupby(
        ["participant_id", "time", "analyte", "plate_id", "dilution"], sort=True
    ):
        chosen = reported.get((pid, time, analyte))
        if chosen is not None and chosen != plate:
            rows.append(
                {
                    "participant_id": pid,
                    "time": time,
                    "analyte": analyte,
                    "plate_id": plate,
                    "dilution": dilution,
                    "wells": ";".join(g["well"]),
                    "reported_plate": chosen,
                }
            )
    return rows
