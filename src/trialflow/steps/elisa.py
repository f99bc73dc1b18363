"""Steps of the ELISA stage: quantify the plates in batches, then put the batches together.

Plates are quantified independently, so a batch job covers many plates (one process per plate
would cost more than the fits) and a plate appended to the manifest reruns only the last batch
of its analyte (the batches are planned in ``workflow/rules/common.smk``).
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import replace
from pathlib import Path

import pandas as pd

from trialflow import elisa, schemas
from trialflow.elisa.plate_map import check_manifest_rows
from trialflow.elisa.quantify import PLATE_TABLES
from trialflow.elisa.results import analysis_rows, plates_by_analyte
from trialflow.outputs import csv_rows_by, csv_text, joined_csv_rows, read_csv, write_atomic, write_csv
from trialflow.problems import InputError, Problem, problems_frame
from trialflow.steps import write_problems

log = logging.getLogger(__name__)


def quantify_batch(
    manifest: str, manifest_name: str, plates: list[dict], rules: dict, model: str, weighting: str, out: str
) -> None:
    """Fit the standard curves of one batch of plates and apply the acceptance rules.

    ``plates`` are the batch's manifest rows as the workflow read them (``line`` and ``row``);
    they are validated here as in the whole manifest. The batch's tables, or the problems
    that stopped it, go to one intermediate file (a pickle: exact dtypes and floats) that
    :func:`combine_plates` reads; problems do not stop the batch, so that one run reports the
    problems of every plate. With the tables go their CSV rows per plate (``rows``), so that
    putting ~1,000 plates together after one new plate does not format every number again.
    """
    found: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    try:
        rows = check_manifest_rows(manifest, [(int(p["line"]), dict(p["row"])) for p in plates])
        tables, _ = elisa.quantify_batch(rows, elisa.AcceptanceRules.from_config(rules), model, weighting)
    except (elisa.PlateMapError, elisa.ElisaInputError) as err:
        found = elisa_problems(err, manifest, _raw_dir(manifest, manifest_name))
    if tables:
        schemas.PlateWells.validate(tables["wells"], lazy=True)  # the contract of the well-level table
    csv_rows = {name: csv_rows_by(tables[name], "plate_id") for name in PLATE_TABLES if name in tables}
    batch = {"tables": tables, "rows": csv_rows, "problems": problems_frame(found)}
    write_atomic(out, pickle.dumps(batch, protocol=5))
    log.info("%d plates quantified, %d problems", len(plates), len(found))


def combine_plates(
    manifest: str,
    manifest_name: str,
    batches: list[str],
    participants: str,
    time_points: list[str],
    units: dict[str, str],
    out: dict[str, str],
) -> None:
    """Put the plate batches together: the ELISA tables (``out`` keys wells, standards,
    controls, plate_qc, curves, concentrations) in manifest order, re-assays resolved, plates
    that failed QC as warnings (``problems``), the plates per analyte; then the results as analysis rows (``table``,
    ``missing``, ``row_problems``; :func:`trialflow.elisa.results.analysis_rows`), in the same
    process, which has the tables in memory.

    Any problem of the manifest or of a plate stops the run here, listing all of them with the
    file named relative to the raw folder.
    """
    raw_dir = _raw_dir(manifest, manifest_name)
    found: list[Problem] = []
    try:
        listed = elisa.read_manifest(manifest)
    except elisa.PlateMapError as err:
        found = elisa_problems(err, manifest, raw_dir)
    parts = []
    for path in batches:
        with open(path, "rb") as fh:
            part = pickle.load(fh)  # noqa: S301 (written by quantify_batch of this run)
        parts.append(part)
        # A manifest row's own problem is found by its batch and by the manifest check: once.
        found += [p for p in (Problem(**r) for r in part["problems"].to_dict("records")) if p not in found]
    if not found:
        samples = pd.concat([part["tables"]["samples"] for part in parts], ignore_index=True)
        try:
            concentrations = elisa.resolve_reassays(samples, listed, manifest)
        except elisa.PlateMapError as err:
            found = elisa_problems(err, manifest, raw_dir)
    if found:
        write_csv(problems_frame(found), out["problems"])
        raise InputError(found) from None
    write_csv(concentrations, out["concentrations"])
    for name in PLATE_TABLES:
        frames = [part["tables"][name] for part in parts]
        text = joined_csv_rows(frames, [part["rows"][name] for part in parts], list(listed["plate_id"]))
        if text is None:  # rows that cannot be joined as text: format the whole table
            text = csv_text(elisa.in_manifest_order(pd.concat(frames, ignore_index=True), listed))
        write_atomic(out[name], text.encode("utf-8"))
    plate_qc = pd.concat([part["tables"]["plate_qc"] for part in parts], ignore_index=True)
    plate_qc = elisa.in_manifest_order(plate_qc, listed)
    failed = plate_qc[plate_qc["verdict"] != "pass"]
    warnings = [
        Problem(
            str(r.export_file),
            "",
            "",
            r.plate_id,
            "plate_acceptance",
            "warning",
            f"plate {r.plate_id} failed QC ({r.reasons}); its samples are not used and need re-assay",
        )
        for r in failed.itertuples()
    ]
    write_csv(problems_frame(warnings), out["problems"])
    write_csv(plates_by_analyte(plate_qc), out["plates_by_analyte"])
    for p in warnings:
        log.warning("%s", p)
    log.info("%d plates quantified, %d failed", len(plate_qc), len(failed))
    wells = pd.concat([part["tables"]["wells"][["plate_id", "well", "source"]] for part in parts], ignore_index=True)
    well_source = wells.set_index(["plate_id", "well"])["source"]
    elisa_dir = Path(manifest_name).parent.as_posix()
    rows, gaps, unknown = analysis_rows(
        concentrations, plate_qc, well_source, read_csv(participants), elisa_dir, time_points, units
    )
    write_problems(unknown, out["row_problems"], "ELISA concentrations")
    write_csv(rows, out["table"])
    write_csv(gaps, out["missing"])


def elisa_problems(err: Exception, manifest: str, raw_dir: str) -> list[Problem]:
    """Problems of the ELISA library as validation rows, files named relative to the raw folder."""
    if isinstance(err, elisa.PlateMapError):
        return [replace(p, file=_relative(p.file, raw_dir)) for p in err.problems]
    where = _relative(getattr(err, "path", manifest), raw_dir)
    return [Problem(where, "", "", "", "plate_export", "error", getattr(err, "detail", str(err)))]


def _raw_dir(manifest: str, manifest_name: str) -> str:
    """The raw folder, from the manifest's path and its path inside the raw folder."""
    return str(Path(manifest).resolve().parents[len(Path(manifest_name).parts) - 1])


def _relative(path: str, raw_dir: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(raw_dir).resolve()).as_posix()
    except ValueError:
        return Path(path).name
