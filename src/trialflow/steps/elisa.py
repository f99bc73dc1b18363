"""Steps of the ELISA stage: quantify the plates in batches, then put the batches together.

Plates are quantified independently, so a batch job covers many plates (one process per plate
would cost more than the fits) and a plate appended to the manifest reruns only the last batch
of its analyte (the batches are planned in ``workflow/rules/common.smk``).
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import replace
from functools import partial
from pathlib import Path

import pandas as pd

from trialflow import elisa, schemas
from trialflow.elisa.plate_map import manifest_frame
from trialflow.elisa.quantify import PLATE_TABLES
from trialflow.elisa.results import analysis_rows, plates_by_analyte, sample_measurements
from trialflow.outputs import csv_rows_by, csv_text, joined_csv_rows, read_csv, write_atomic, write_csv
from trialflow.problems import Problem, problems_frame
from trialflow.steps import write_problems

log = logging.getLogger(__name__)


def quantify_batch(
    manifest: str,
    manifest_name: str,
    plates: list[dict],
    rules: dict,
    model: str,
    weighting: str,
    units: dict[str, str],
    expected_standards: dict[str, list[float]],
    out: str,
    reads: dict[str, dict] | None = None,
) -> None:
    """Fit the standard curves of one batch of plates and apply the acceptance rules.

    ``plates`` are the batch's manifest rows as the workflow read them (``line`` and ``row``);
    they are validated here as in the whole manifest (``units``: the configured unit of each
    biomarker outcome; ``reads``: the ``elisa.reads`` config naming each analyte's reads). The
    batch's tables and the problems of its plates go to one intermediate file (a pickle: exact
    dtypes and floats) that :func:`combine_plates` reads; a
    plate with a problem is left out and the others are quantified, so that one run reports the
    problems of every plate. With the tables go their CSV rows per plate (``rows``), so that
    putting ~1,000 plates together after one new plate does not format every number again.
    """
    raw_dir = _raw_dir(manifest, manifest_name)
    rows = [(int(p["line"]), dict(p["row"])) for p in plates]
    listed, problems = manifest_frame(manifest, rows, units)
    bad_lines = {int(p.line) for p in problems if p.line}
    listed = listed[~listed["manifest_line"].isin(bad_lines)]
    tables, _, found = elisa.quantify_batch(
        listed,
        elisa.AcceptanceRules.from_config(rules),
        model,
        weighting,
        expected_standards=expected_standards,
        reads=reads,
    )
    found = [relative_problem(p, raw_dir) for p in problems + found]
    if tables:
        schemas.PlateWells.validate(tables["wells"], lazy=True)  # the contract of the well-level table
    csv_rows = {name: csv_rows_by(tables[name], "plate_id") for name in PLATE_TABLES if name in tables}
    batch = {"tables": tables, "rows": csv_rows, "problems": problems_frame(found)}
    write_atomic(out, pickle.dumps(batch, protocol=5))
    log.info("%d plates quantified, %d problems", len(tables.get("plate_qc", [])), len(found))


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
    controls, plate_qc, curves, concentrations) in manifest order, re-assays resolved, every
    sample measurement with its status (``measurements``), the plates per analyte; then the
    results as analysis rows (``table``, ``missing``, ``row_problems``;
    :func:`trialflow.elisa.results.analysis_rows`), in the same process, which has the tables in
    memory.

    Every problem of the manifest, of a plate map or of an export, and every plate that failed
    QC (a warning) goes to ``problems``, with the file named relative to the raw folder, for
    the validation gate (on_error: stop ends the run there; quarantine goes on without the
    plates and results in error). The step itself fails only on a bug.
    """
    raw_dir = _raw_dir(manifest, manifest_name)
    listed, manifest_problems = elisa.read_manifest_leniently(manifest, units)
    found = [relative_problem(p, raw_dir) for p in manifest_problems]
    parts = []
    for path in batches:
        with open(path, "rb") as fh:
            part = pickle.load(fh)  # noqa: S301 (written by quantify_batch of this run)
        parts.append(part)
        # A manifest row's own problem is found by its batch and by the manifest check: once.
        found += [p for p in (Problem(**r) for r in part["problems"].to_dict("records")) if p not in found]
    known = set(listed["plate_id"]) if listed is not None else set()
    parts = [_only_plates(part, known) for part in parts if part["tables"]]
    parts = [part for part in parts if len(part["tables"]["plate_qc"])]
    if not parts:
        if listed is None:
            listed = pd.DataFrame({c: pd.Series(dtype=str) for c in ("plate_id", "map_path")})
        parts = [{"tables": elisa.empty_tables(), "rows": {}}]
    samples = pd.concat([part["tables"]["samples"] for part in parts], ignore_index=True)
    concentrations, tied = elisa.resolve_reassays(samples, listed, manifest)
    found += [relative_problem(p, raw_dir) for p in tied]
    write_csv(concentrations, out["concentrations"])
    for name in PLATE_TABLES:
        frames = [part["tables"][name] for part in parts]
        rows = [part["rows"].get(name) for part in parts]
        text = joined_csv_rows(frames, rows, list(listed["plate_id"])) if all(r is not None for r in rows) else None
        if text is None:  # rows that cannot be joined as text: format the whole table
            text = csv_text(elisa.in_manifest_order(pd.concat(frames, ignore_index=True), listed))
        write_atomic(out[name], text.encode("utf-8"))
    plate_qc = pd.concat([part["tables"]["plate_qc"] for part in parts], ignore_index=True)
    plate_qc = elisa.in_manifest_order(plate_qc, listed)
    elisa_dir = Path(manifest_name).parent.as_posix()
    sources = (f"{elisa_dir}/" + plate_qc.set_index("plate_id")["export_file"].astype(str)).rename("source_file")
    measurements = sample_measurements(elisa.in_manifest_order(samples, listed), concentrations, sources)
    write_csv(measurements, out["measurements"])
    failed = plate_qc[plate_qc["verdict"] != "pass"]
    found += [
        Problem(
            f"{elisa_dir}/{r.export_file}",
            "",
            "",
            r.plate_id,
            "plate_acceptance",
            "warning",
            f"plate {r.plate_id} failed QC ({r.reasons}); its samples are not used and need re-assay",
        )
        for r in failed.itertuples()
    ]
    write_problems(found, out["problems"], "ELISA plates")
    write_csv(plates_by_analyte(plate_qc), out["plates_by_analyte"])
    log.info("%d plates quantified, %d failed", len(plate_qc), len(failed))
    wells = pd.concat([part["tables"]["wells"][["plate_id", "well", "source"]] for part in parts], ignore_index=True)
    well_source = wells.set_index(["plate_id", "well"])["source"]
    map_files = dict(zip(listed["plate_id"], listed["map_path"], strict=True))
    rows, gaps, unknown = analysis_rows(
        concentrations,
        plate_qc,
        well_source,
        read_csv(participants),
        elisa_dir,
        time_points,
        units,
        map_line=partial(_map_line, map_files=map_files, raw_dir=raw_dir, cache={}),
    )
    write_problems(unknown, out["row_problems"], "ELISA concentrations")
    write_csv(rows, out["table"])
    write_csv(gaps, out["missing"])


def _only_plates(part: dict, plates: set[str]) -> dict:
    """A batch without the plates that the whole manifest's check left out (e.g. a plate id that
    another batch uses too)."""
    tables = part["tables"]
    if set(tables["plate_qc"]["plate_id"]) <= plates:
        return part
    kept = {name: t[t["plate_id"].isin(plates)].reset_index(drop=True) for name, t in tables.items()}
    return {"tables": kept, "rows": {}}


def _map_line(plate_id: str, well: str, *, map_files: dict[str, str], raw_dir: str, cache: dict) -> tuple[str, str]:
    """The plate map file (relative to the raw folder) and the line of ``well`` in it (the map is
    read again, once per plate: only results with a problem are looked up)."""
    path = map_files[plate_id]
    if path not in cache:
        table = elisa.read_plate_map(path, contract=False)
        cache[path] = dict(zip(table["well"], table["map_line"], strict=True))
    line = cache[path].get(well)
    return _relative(path, raw_dir), "" if line is None else str(int(line))


def relative_problem(problem: Problem, raw_dir: str) -> Problem:
    """A problem of the ELISA library with its file named relative to the raw folder."""
    return replace(problem, file=_relative(problem.file, raw_dir))


def _raw_dir(manifest: str, manifest_name: str) -> str:
    """The raw folder, from the manifest's path and its path inside the raw folder."""
    return str(Path(manifest).resolve().parents[len(Path(manifest_name).parts) - 1])


def _relative(path: str, raw_dir: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(raw_dir).resolve()).as_posix()
    except ValueError:
        return Path(path).name
