"""Quantified ELISA results as rows of the analysis data set, and the results kept out of it.

Usable results (and high-CV ones, flagged) become analysis rows traced to the plate export and
the first replicate well; censored (< LLOQ, > ULOQ), saturated, undetermined and failed-plate
results are kept out with their reason, never extrapolated or averaged. :func:`plates_by_analyte`
counts the plates for the reports.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from trialflow import schemas
from trialflow.problems import Problem

from .schemas import MeasurementsSchema

USABLE_FLAGS = {"", "high_cv"}  # high-CV results are analysed and listed as flagged
# The status of a reported measurement, by its flag (results/elisa/measurements.csv).
STATUS = {
    "": "usable",
    "high_cv": "usable, high CV",
    "< LLOQ": "< LLOQ",
    "> ULOQ": "> ULOQ",
    "saturated": "saturated",
    "not_determined": "not determined",
    "plate_failed": "failed plate",
}
SUPERSEDED = "superseded by re-assay"
# A high-CV group whose replicates straddle a curve asymptote has no mean (qc, "Samples").
NO_MEAN = "high_cv without a mean (a replicate beyond a curve asymptote)"
TIED = "not reported: tied with another plate"
NO_MEAN_STATUS = "high CV, no value"
MEASUREMENT_KEY = ["participant_id", "time", "analyte"]


def analysis_rows(
    concentrations: pd.DataFrame,
    plate_qc: pd.DataFrame,
    well_source: pd.Series,
    participants: pd.DataFrame,
    elisa_dir: str,
    time_points: list[str],
    units: dict[str, str],
    map_line: Callable[[str, str], tuple[str, str]],
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
    problems : errors for results of a participant or time point that is not configured, at the
        plate map line of the result's first well (``map_line``: (plate_id, well) -> (file, line)).
    """
    qc = plate_qc.set_index("plate_id")
    conc = concentrations
    unknown = ~conc["participant_id"].isin(participants["participant_id"])

    def where(r) -> tuple[str, str]:
        return map_line(r.plate_id, r.wells.split(";")[0])

    problems = [
        Problem(
            *where(r),
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
            *where(r),
            "time",
            r.time,
            "time_known",
            "error",
            f"plate {r.plate_id}: time point {r.time!r} is not one of {', '.join(time_points)}",
        )
        for r in conc[bad_time & ~unknown].itertuples()
    ]
    analysed = conc["flag"].fillna("").isin(USABLE_FLAGS) & conc["concentration"].notna()
    usable = conc[analysed & conc["analyte"].isin(units)].copy()
    first_well = usable["wells"].str.split(";").str[0]
    usable["source_file"] = f"{elisa_dir}/" + usable["plate_id"].map(qc["export_file"]).astype(str)
    where = well_source.reindex(pd.MultiIndex.from_arrays([usable["plate_id"], first_well]))
    if where.isna().any():  # both come from the same plates: a gap is a bug
        raise ValueError(f"the wells table lacks the well of {where.isna().sum()} ELISA result(s)")
    usable["source_line"] = where.str.split(":", n=1).str[-1].str.strip().to_numpy() + " (well " + first_well + ")"
    rows = usable.rename(columns={"analyte": "outcome", "concentration": "value"})
    rows["unit"] = rows["outcome"].map(units)
    rows = rows.merge(participants[["participant_id", "arm"]], on="participant_id")
    rows = schemas.AnalysisData.validate(rows[list(schemas.AnalysisData.to_schema().columns)])
    gaps = conc[~analysed]
    missing = pd.DataFrame(
        {
            "participant_id": gaps["participant_id"],
            "time": gaps["time"],
            "outcome": gaps["analyte"],
            "reason": [
                f"{f if f != 'high_cv' else NO_MEAN} on plate {p} (wells {w})"
                for f, p, w in zip(gaps["flag"], gaps["plate_id"], gaps["wells"], strict=True)
            ],
            "source": f"{elisa_dir}/" + gaps["plate_id"].map(qc["export_file"]).astype(str),
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


def sample_measurements(samples: pd.DataFrame, concentrations: pd.DataFrame, sources: pd.Series) -> pd.DataFrame:
    """Every sample measurement of every plate, with what became of it (results/elisa/measurements.csv).

    Parameters
    ----------
    samples : one row per sample replicate group of every plate (before re-assays are resolved),
        in manifest order; columns of :data:`trialflow.elisa.qc.SAMPLE_COLUMNS`.
    concentrations : the reported result per participant × time × analyte (resolve_reassays).
    sources : plate_id -> the export file, relative to the raw folder.

    Returns
    -------
    :class:`~trialflow.elisa.schemas.MeasurementsSchema` rows, sorted by analyte, participant and
    time (plates in manifest order): the reported measurement has the status of its flag
    (:data:`STATUS`); the others of the same participant × time × analyte are superseded by it
    (:data:`SUPERSEDED`), or tied with another plate and none reported (:data:`TIED`). ``note``
    names the measurement that superseded a row, and says when fewer wells than planned could be
    read (one: the CV is not computable).
    """
    cols = list(MeasurementsSchema.to_schema().columns)
    if samples.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    m = samples.reset_index(drop=True).copy()
    chosen = concentrations[[*MEASUREMENT_KEY, "plate_id", "wells", "dilution"]]
    both = m.merge(chosen, on=MEASUREMENT_KEY, how="left", suffixes=("", "_reported"), validate="many_to_one")
    m["reported"] = (
        (both["plate_id"] == both["plate_id_reported"]) & (both["wells"] == both["wells_reported"])
    ).to_numpy()
    has_result = both["plate_id_reported"].notna().to_numpy()
    no_mean = (m["flag"] == "high_cv") & m["concentration"].isna()
    m["status"] = [
        (NO_MEAN_STATUS if nm else STATUS[f]) if rep else SUPERSEDED if has else TIED
        for f, nm, rep, has in zip(m["flag"], no_mean, m["reported"], has_result, strict=True)
    ]
    notes = []
    for row, rep, has in zip(both.itertuples(), m["reported"], has_result, strict=True):
        parts = []
        if not rep and has:
            parts.append(
                f"reported from plate {row.plate_id_reported} (wells {row.wells_reported}, "
                f"dilution {row.dilution_reported:g})"
            )
        planned = len(row.wells.split(";"))
        if 1 <= row.n_replicates < planned:
            cv = ": CV not computable" if row.n_replicates == 1 else ""
            parts.append(f"{row.n_replicates} of {planned} planned wells readable{cv}")
        notes.append("; ".join(parts))
    m["note"] = notes
    m["source_file"] = m["plate_id"].map(sources)
    m = m.sort_values(MEASUREMENT_KEY, kind="stable").reset_index(drop=True)
    return MeasurementsSchema.validate(m[cols], lazy=True)
