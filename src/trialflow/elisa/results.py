"""Quantified ELISA results as rows of the analysis data set, and the results kept out of it.

Usable results (and high-CV ones, flagged) become analysis rows traced to the plate export and
the first replicate well; censored (< LLOQ, > ULOQ), saturated, undetermined and failed-plate
results are kept out with their reason, never extrapolated or averaged. :func:`plates_by_analyte`
counts the plates for the reports.
"""

from __future__ import annotations

import pandas as pd

from trialflow import schemas
from trialflow.problems import Problem

USABLE_FLAGS = {"", "high_cv"}  # high-CV results are analysed and listed as flagged


def analysis_rows(
    concentrations: pd.DataFrame,
    plate_qc: pd.DataFrame,
    well_source: pd.Series,
    participants: pd.DataFrame,
    elisa_dir: str,
    time_points: list[str],
    units: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """The analysis rows of the quantified results, the results recorded as missing, and the problems.

    Parameters
    ----------
    concentrations, plate_qc : the combined ELISA tables (results/elisa/).
    well_source : the ``source`` (file and line) of each well, indexed by plate_id and well.
    participants : the accepted participants (participant_id, arm).
    elisa_dir : the folder of the manifest inside the raw folder, prefixed to export file names.
    time_points : the configured time point ids.
    units : analyte (outcome id) -> unit, for the biomarker outcomes.

    Returns
    -------
    rows : :class:`trialflow.schemas.AnalysisData` rows of the usable results of known participants.
    missing : participant_id, time, outcome, reason, source: the results that are not usable.
    problems : errors for results of a participant or time point that is not configured.
    """
    qc = plate_qc.set_index("plate_id")
    conc = concentrations
    unknown = ~conc["participant_id"].isin(participants["participant_id"])
    problems = [
        Problem(
            f"{elisa_dir}/{qc.loc[r.plate_id, 'export_file']}",
            "",
            "participant_id",
            r.participant_id,
            "participant_known",
            "error",
            f"plate {r.plate_id}: participant {r.participant_id!r} is not in the participants file",
        )
        for r in conc[unknown].itertuples()
    ]
    bad_time = ~conc["time"].isin(time_points)
    problems += [
        Problem(
            f"{elisa_dir}/{qc.loc[r.plate_id, 'export_file']}",
            "",
            "time",
            r.time,
            "time_known",
            "error",
            f"plate {r.plate_id}: time point {r.time!r} is not one of {', '.join(time_points)}",
        )
        for r in conc[bad_time & ~unknown].itertuples()
    ]
    usable = conc[conc["flag"].fillna("").isin(USABLE_FLAGS) & conc["analyte"].isin(units)].copy()
    first_well = usable["wells"].str.split(";").str[0]
    usable["source_file"] = f"{elisa_dir}/" + usable["plate_id"].map(qc["export_file"])
    where = well_source.reindex(pd.MultiIndex.from_arrays([usable["plate_id"], first_well]))
    if where.isna().any():  # both come from the same plates: a gap is a bug
        raise ValueError(f"the wells table lacks the well of {where.isna().sum()} ELISA result(s)")
    usable["source_line"] = where.str.split(":", n=1).str[-1].str.strip().to_numpy() + " (well " + first_well + ")"
    rows = usable.rename(columns={"analyte": "outcome", "concentration": "value"})
    rows["unit"] = rows["outcome"].map(units)
    rows = rows.merge(participants[["participant_id", "arm"]], on="participant_id")
    rows = schemas.AnalysisData.validate(rows[list(schemas.AnalysisData.to_schema().columns)])
    gaps = conc[~conc["flag"].fillna("").isin(USABLE_FLAGS)]
    missing = pd.DataFrame(
        {
            "participant_id": gaps["participant_id"],
            "time": gaps["time"],
            "outcome": gaps["analyte"],
            "reason": [
                f"{f} on plate {p} (wells {w})"
                for f, p, w in zip(gaps["flag"], gaps["plate_id"], gaps["wells"], strict=True)
            ],
            "source": f"{elisa_dir}/" + gaps["plate_id"].map(qc["export_file"]),
        }
    )
    return rows, missing, problems


def plates_by_analyte(plate_qc: pd.DataFrame) -> pd.DataFrame:
    """Plates per analyte, in order of first appearance in ``plate_qc`` (results/elisa/plate_qc.csv).

    Returns
    -------
    DataFrame with columns analyte, n_plates, n_passed, n_failed, min_r2 (the lowest R² of its
    curves), models (model and weighting, ``"; "``-joined, sorted) and kit_lots (``", "``-joined,
    sorted).
    """
    rows = []
    for analyte, g in plate_qc.groupby("analyte", sort=False):
        passed = int((g["verdict"] == "pass").sum())
        rows.append(
            {
                "analyte": analyte,
                "n_plates": len(g),
                "n_passed": passed,
                "n_failed": len(g) - passed,
                "min_r2": float(g["r2"].min()),
                "models": ", ".join(sorted(set(g["model"].astype(str) + ", " + g["weighting"].astype(str)))),
                "kit_lots": ", ".join(sorted(set(g["kit_lot"].fillna("").astype(str)) - {""})),
            }
        )
    columns = ["analyte", "n_plates", "n_passed", "n_failed", "min_r2", "models", "kit_lots"]
    return pd.DataFrame(rows, columns=columns)
