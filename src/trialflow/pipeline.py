"""The pipeline's steps as plain functions of file paths: what each Snakemake rule runs.

Each step reads its inputs, calls the library, and writes its outputs. The adapters in
``workflow/scripts`` only pass paths and config values in, so every step can be run and
tested without Snakemake.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from trialflow.outputs import csv_rows_by, csv_text, read_csv, write_atomic, write_csv
from trialflow.problems import InputError, Problem, describe, errors_in, problems_frame

log = logging.getLogger(__name__)


CODE_SUFFIXES = {".py", ".j2", ".css", ".ttf"}


def code_version() -> str:
    """SHA-256 over the package's source, templates and fonts (sorted, path-qualified).

    Rules carry it as a param, so a changed statistic or template reruns what it affects.
    """
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def end_pending_rescheduling() -> None:
    """Cancel Snakemake's pending scheduler re-evaluations, once the run has succeeded.

    After each scheduling pass Snakemake 9 starts a `threading.Timer` that wakes the scheduler
    when its job-rate limit (1 s) has passed; Python waits for such timers before it exits, so
    a run ended up to a second after its last job. Only timers running that scheduler callback
    are cancelled (called from ``onsuccess``, when no job is left to schedule).
    """
    for thread in threading.enumerate():
        callback = getattr(thread, "function", None)
        if isinstance(thread, threading.Timer) and "_schedule_reevalutation" in getattr(callback, "__qualname__", ""):
            thread.cancel()


def run_logged(log_path: str | Path, step: Callable, **kwargs) -> None:
    """Run ``step`` with logging to ``log_path`` and stderr; input errors exit 1 without a traceback."""
    handlers = [logging.FileHandler(log_path, mode="w", encoding="utf-8"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its INFO is a page-by-page progress log
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    try:
        step(**kwargs)
    except InputError as err:
        log.error("%s", err)
        sys.exit(1)


def _settle(problems, problems_path: str | Path, what: str) -> None:
    """Write a file's problems; the policy (stop or quarantine) is applied once, by check_validation."""
    write_csv(problems_frame(problems), problems_path)
    errors = errors_in(problems)
    for problem in problems[:20]:
        (log.error if problem.severity == "error" else log.warning)("%s", problem)
    if len(problems) > 20:
        log.warning("... %d more problems in %s", len(problems) - 20, problems_path)
    log.info("%s: %d errors, %d warnings", what, len(errors), len(problems) - len(errors))


def write_balance(raw: str, name: str, accepted: int | None, found, out: str) -> None:
    """Rows read = rows accepted + rows rejected, for one input file (``accepted=None``: every row
    without an error of its own counts as accepted, for exports whose rows fan out into values)."""
    from trialflow.readers import read, row_balance

    table = read(raw, name)
    if accepted is None:
        accepted = table.rows_read - row_balance(table, 0, found).rejected
    balance = row_balance(table, accepted, found)
    write_csv(
        pd.DataFrame(
            [
                {
                    "file": name,
                    "rows_read": balance.read,
                    "rows_accepted": balance.accepted,
                    "rows_rejected": balance.rejected,
                    "balanced": balance.ok,
                }
            ]
        ),
        out,
    )
    if not balance.ok:
        log.error(
            "%s: %d rows read but %d accepted + %d rejected", name, balance.read, balance.accepted, balance.rejected
        )


def read_participants(raw: str, name: str, arms: list[str], table: str, problems: str, balance: str) -> None:
    """Validate the participants file; write the accepted rows (with BMI), the problems and the row balance."""
    from trialflow import ingest

    accepted, found = ingest.read_participants(raw, name, arms)
    write_csv(accepted, table)
    _settle(found, problems, name)
    write_balance(raw, name, len(accepted), found, balance)
    log.info("%s: %d participants accepted", name, len(accepted))


def read_concentrations(
    raw: str,
    name: str,
    participants: str,
    time_points: list[str],
    units: dict[str, str],
    table: str,
    problems: str,
    balance: str,
) -> None:
    """Validate the concentrations file against the participants; write its analysis rows."""
    from trialflow import ingest

    people = read_csv(participants)
    accepted, found = ingest.read_concentrations(raw, name, people, time_points, units)
    _settle(found, problems, name)
    write_balance(raw, name, len(accepted), found, balance)
    write_csv(ingest.build_analysis_data(people, accepted), table)


def read_functional(
    raw: str,
    name: str,
    participants: str,
    outcomes: list[dict],
    time_points: list[str],
    redcap: dict,
    missing_codes: dict,
    table: str,
    missing: str,
    problems: str,
    balance: str,
) -> None:
    """Read the REDCap export; derive and check the functional outcomes; write analysis rows and
    the participant × time × outcome values that are missing, with the reason."""
    from trialflow import functional

    definitions = [d for d in functional.outcome_definitions(outcomes) if d.source is not None]
    raw_long, found = functional.read_redcap(
        raw,
        name,
        redcap.get("events", {}),
        functional.source_fields(definitions),
        missing_codes,
        repeat_instances=redcap.get("repeat_instances"),
        record_id=redcap.get("record_id", "record_id"),
    )
    from trialflow import schemas

    schemas.FunctionalValues.validate(raw_long, lazy=True)  # the contract between reading and deriving
    data, gaps, more = functional.build_functional_outcomes(raw_long, read_csv(participants), definitions, time_points)
    _settle(found + more, problems, name)
    write_csv(data, table)
    write_csv(gaps, missing)
    write_balance(raw, name, None, found + more, balance)


def stack_analysis_parts(parts: list[str]) -> pd.DataFrame:
    """The analysis data set: every source's analysis rows, by outcome, participant and time."""
    table = pd.concat([read_csv(p) for p in parts], ignore_index=True)
    return table.sort_values(["outcome", "participant_id", "time"], kind="stable").reset_index(drop=True)


def build_analysis_data(parts: list[str], data: str) -> None:
    """Stack the analysis rows of every source into the long analysis data set."""
    from trialflow import schemas

    table = stack_analysis_parts(parts)
    write_csv(schemas.AnalysisData.validate(table), data)
    log.info("analysis data set: %d values of %d outcomes", len(table), table["outcome"].nunique())


def compare_baseline(participants: str, variables: list[str], arms: list[str], table: str, tests: str) -> None:
    """Baseline characteristics per arm and their t-tests."""
    from trialflow.analysis import describe_baseline

    baseline, t_tests = describe_baseline(read_csv(participants), variables, arms)
    write_csv(baseline, table)
    write_csv(t_tests, tests)


def analyse(
    data: str,
    missing: list[str],
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    out: dict[str, str],
    cache: str | None = None,
    code: str = "",
) -> None:
    """Descriptives, assumption checks, mixed ANOVA and simple effects of every outcome.

    The linear mixed model (sensitivity analysis) is fitted only if the rule asks for one of its
    tables (``out`` keys lmm_tests, lmm_emmeans, lmm_model). With ``cache`` (a folder), an
    outcome whose values did not change since the last run is not analysed again (see
    :func:`trialflow.analysis.analyse_outcomes`); ``code`` is the package code version.
    """
    from trialflow.analysis import analyse_outcomes

    gaps = _missing_values(missing)
    lmm = any(key.startswith("lmm_") for key in out)
    store = _result_cache(cache, code, "numpy", "scipy", "pandas")
    results = analyse_outcomes(read_csv(data), outcomes, arms, times, missing=gaps, lmm=lmm, cache=store)
    if store:
        store.prune()
    for key, path in out.items():
        write_csv(results[key], path)
    for row in results["excluded"].itertuples():
        log.warning("%s: participant %s excluded from the ANOVA (%s)", row.outcome, row.participant_id, row.reason)


def _missing_values(paths: list[str]) -> pd.DataFrame | None:
    """The tables of values recorded as missing with a reason, stacked (None without any)."""
    return pd.concat([read_csv(p) for p in paths], ignore_index=True) if paths else None


def collect_validation(problem_files: list[str], balance_files: list[str], out: str, balance: str) -> None:
    """All problem lists in one ``validation.csv``; all row balances in one ``row_balance.csv``."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in problem_files]
    write_csv(pd.concat(frames, ignore_index=True), out)
    write_csv(pd.concat([read_csv(p) for p in balance_files], ignore_index=True), balance)


def check_validation(
    validation: str, on_error: str, flag: str, shown: int = 10, blocking: list[str] | None = None
) -> None:
    """The run's policy on input errors.

    ``stop``: any error ends the run here, before any analysis, with a summary of the first
    problems; previous results and reports stay as they were. ``quarantine``: the analysis goes
    on without the rejected rows, which the report lists. Warnings never stop a run.

    ``blocking`` names problem files whose errors stop the run under either policy: the
    disposition log's, because the CONSORT flow must count every person assessed and its
    cross-checks are counts, not rows that could be left out (docs/consort.md).
    """
    table = pd.read_csv(validation, dtype=str, keep_default_na=False)
    errors = table[table["severity"] == "error"]
    if len(errors) and on_error == "stop":
        lines = [f"{len(errors)} input error(s); nothing was analysed (on_error: stop). First problems:"]
        lines += [f"  - {_describe(r)}" for r in errors.head(shown).to_dict("records")]
        lines.append(f"Every problem, with file, line, column, value and rule: {validation}")
        raise InputError([], message="\n".join(lines))
    held = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in blocking or []] + [table.iloc[:0]],
        ignore_index=True,
    )
    held = held[held["severity"] == "error"]
    if len(held):
        lines = [
            f"{len(held)} error(s) in the disposition log or its cross-checks cannot be quarantined: the CONSORT "
            "flow must account for every person assessed. Nothing was analysed. First problems:"
        ]
        lines += [f"  - {_describe(r)}" for r in held.head(shown).to_dict("records")]
        lines.append(f"Every problem, with file, line, column, value and rule: {validation}")
        raise InputError([], message="\n".join(lines))
    if len(errors):
        log.warning("%d rows rejected and quarantined (on_error: quarantine); the report lists them", len(errors))
    write_atomic(flag, f"on_error={on_error}; errors={len(errors)}; warnings={len(table) - len(errors)}\n".encode())


def _describe(row: dict) -> str:
    """A row of validation.csv in words, as every problem is put (:func:`trialflow.problems.describe`)."""
    return describe(row)


def plot_outcomes(
    descriptives: str,
    effects: str,
    outcomes: list[dict],
    arms: list[dict],
    times: list[dict],
    alpha: float,
    figures: list[str],
    cache: str | None = None,
    code: str = "",
) -> None:
    """Each outcome's Mean ± SD figure as SVG (``figures`` in the order of ``outcomes``).

    With ``cache`` (a folder, :class:`trialflow.cache.ResultCache`), a figure is drawn only if
    its descriptives and simple-effects rows, its outcome, the arms, time points or alpha, the
    package ``code`` version or matplotlib's version changed since the run that drew it; after
    a new plate of one analyte only that analyte's figure is drawn again.
    """
    desc, eff = read_csv(descriptives), read_csv(effects)
    store = _result_cache(cache, code, "matplotlib")
    for outcome, figure in zip(outcomes, figures, strict=True):
        rows = desc[desc["outcome"] == outcome["id"]], eff[eff["outcome"] == outcome["id"]]
        key = store.key(*rows, outcome, arms, times, alpha) if store else None
        svg = store.get(key) if store else None
        if svg is None:
            svg = _draw_outcome(*rows, outcome, arms, times, alpha)
            if store:
                store.put(key, svg)
        write_atomic(figure, svg)
    if store:
        store.prune()


def _result_cache(folder: str | None, code: str, *libraries: str):
    """A :class:`trialflow.cache.ResultCache` in ``folder`` (None without one) whose keys carry
    the package ``code`` version and the versions of the ``libraries`` that compute its results."""
    from trialflow.cache import ResultCache, library_versions

    return ResultCache(folder, f"{code};{library_versions(*libraries)}") if folder else None


def _draw_outcome(*args) -> bytes:
    from trialflow.figures import plot_outcome  # matplotlib: imported only when a figure is drawn

    return plot_outcome(*args)


def render_report(
    config: dict,
    results: dict[str, str],
    figures: dict[str, str],
    html: str,
    pdf: str,
    elisa: dict[str, str] | None = None,
    raw_dir: str | None = None,
    raw_files: list[str] | None = None,
    repo: str | None = None,
    consort: str | None = None,
) -> None:
    """The report as HTML and PDF from the results tables and figures (with ELISA tables, their
    plate summary; the per-plate pages are :func:`render_elisa_qc`)."""
    from trialflow.report import render_html, write_pdf
    from trialflow.report.context import build_context, svg_data_uri

    context = build_context(config, results, figures)
    context["consort_svg"] = svg_data_uri(consort) if consort else None
    context["provenance"] = report_provenance(config, raw_dir, raw_files, repo) if raw_files else None
    context["elisa"] = _elisa_context(config, elisa) if elisa else None
    # The PDF carries the analysis data set and every results table it prints (PDF/A-3b).
    attachments = {
        f"{Path(p).parent.name}/{Path(p).name}": p
        for p in [*results.values(), *(elisa or {}).values()]
        if str(p).endswith(".csv")
    }
    page = render_html(context)
    write_atomic(html, page.encode("utf-8"))
    write_pdf(page, pdf, attachments=attachments, created=config["trial"].get("data_cutoff"))
    log.info("report written: %s", pdf)


def render_elisa_qc(config: dict, elisa: dict[str, str], html: str, pdf: str) -> None:
    """The ELISA QC report: plate summary, then a page per plate (``elisa.plate_pages``) with its
    standard curve, parameters, recoveries and controls; the ELISA tables attached."""
    from trialflow.report import render_html, write_pdf

    pages = config.get("elisa", {}).get("plate_pages", "all")
    context = {"trial": config["trial"], "elisa": _elisa_context(config, elisa, plate_pages=pages, draw=True)}
    page = render_html(context, template="elisa_qc.html.j2")
    write_atomic(html, page.encode("utf-8"))
    attachments = {f"elisa/{Path(p).name}": p for p in elisa.values()}
    write_pdf(page, pdf, attachments=attachments, created=config["trial"].get("data_cutoff"))
    log.info("ELISA QC report written: %s", pdf)


def _elisa_context(config: dict, elisa: dict[str, str], **options) -> dict:
    from dataclasses import asdict

    from trialflow.elisa import AcceptanceRules
    from trialflow.report.elisa_context import build_elisa_context

    context = build_elisa_context(elisa, **options)
    context["rules"] = asdict(AcceptanceRules(**_tuples(config.get("elisa", {}).get("acceptance", {}))))
    return context


ELISA_TABLES = ["wells", "standards", "controls", "plate_qc", "curves", "concentrations"]
USABLE_ELISA_FLAGS = {"", "high_cv"}  # high-CV results are analysed and listed as flagged


def _elisa_problems(err: Exception, manifest: str, raw_dir: str) -> list[Problem]:
    """Problems of the ELISA library as validation rows, files named relative to the raw folder."""
    from trialflow import elisa

    if isinstance(err, elisa.PlateMapError):
        return [replace(p, file=_relative(p.file, raw_dir)) for p in err.problems]
    where = _relative(getattr(err, "path", manifest), raw_dir)
    return [Problem(where, "", "", "", "plate_export", "error", getattr(err, "detail", str(err)))]


def _raw_dir(manifest: str, manifest_name: str) -> str:
    """The raw folder, from the manifest's path and its path inside the raw folder."""
    return str(Path(manifest).resolve().parents[len(Path(manifest_name).parts) - 1])


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
    import pickle

    from trialflow import elisa, schemas
    from trialflow.elisa.plate_map import check_manifest_rows
    from trialflow.elisa.quantify import PLATE_TABLES

    found: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    try:
        rows = check_manifest_rows(manifest, [(int(p["line"]), dict(p["row"])) for p in plates])
        tables, _ = elisa.quantify_batch(rows, elisa.AcceptanceRules(**_tuples(rules)), model, weighting)
    except (elisa.PlateMapError, elisa.ElisaInputError) as err:
        found = _elisa_problems(err, manifest, _raw_dir(manifest, manifest_name))
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
    out: dict[str, str],
    problems: str,
    participants: str,
    elisa_dir: str,
    time_points: list[str],
    units: dict[str, str],
    rows: dict[str, str],
) -> None:
    """Put the plate batches together: the ELISA tables in manifest order, re-assays resolved;
    then the results as analysis rows (:func:`quantified_rows`; ``rows``: its ``table``,
    ``missing`` and ``problems`` files), in the same process, which has the tables in memory.

    Any problem of the manifest or of a plate stops the run here, listing all of them with the
    file named relative to the raw folder.
    """
    import pickle

    from trialflow import elisa
    from trialflow.elisa.quantify import PLATE_TABLES

    raw_dir = _raw_dir(manifest, manifest_name)
    found: list[Problem] = []
    try:
        listed = elisa.read_manifest(manifest)
    except elisa.PlateMapError as err:
        found = _elisa_problems(err, manifest, raw_dir)
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
            found = _elisa_problems(err, manifest, raw_dir)
    if found:
        write_csv(problems_frame(found), problems)
        raise InputError(found) from None
    write_csv(concentrations, out["concentrations"])
    for name in PLATE_TABLES:
        text = _joined_csv_rows(parts, name, listed)
        if text is None:  # rows that cannot be joined as text: format the whole table
            table = pd.concat([part["tables"][name] for part in parts], ignore_index=True)
            text = csv_text(elisa.in_manifest_order(table, listed))
        write_atomic(out[name], text.encode("utf-8"))
    plate_qc = pd.concat([part["tables"]["plate_qc"] for part in parts], ignore_index=True)
    plate_qc = elisa.in_manifest_order(plate_qc, listed)
    failed = plate_qc[plate_qc["verdict"] != "pass"]
    found = [
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
    write_csv(problems_frame(found), problems)
    for p in found:
        log.warning("%s", p)
    log.info("%d plates quantified, %d failed", len(plate_qc), len(failed))
    wells = pd.concat([part["tables"]["wells"][["plate_id", "well", "source"]] for part in parts], ignore_index=True)
    well_source = wells.set_index(["plate_id", "well"])["source"]
    people = read_csv(participants)
    quantified_rows(concentrations, plate_qc, well_source, people, elisa_dir, time_points, units, **rows)


def _joined_csv_rows(parts: list[dict], name: str, manifest: pd.DataFrame) -> str | None:
    """Table ``name`` of all batches as CSV text, from the batches' rows per plate in manifest
    order: the bytes :func:`write_csv` writes for the whole table, because every part has the
    same columns and dtypes (so each number is formatted alike) and rows were cut apart cleanly.
    None when that does not hold."""
    frames = [part["tables"][name] for part in parts]
    by_plate = [part["rows"][name] for part in parts]
    if not frames or any(rows is None for rows in by_plate):
        return None
    same_dtypes = all(f.dtypes.equals(frames[0].dtypes) for f in frames)
    # Text, numbers and booleans format cell by cell; dates would not (pandas drops midnight times only
    # when a whole column has them).
    cell_by_cell = all(dtype.kind in "iufbO" for dtype in frames[0].dtypes)
    rows = {plate: text for plate_rows in by_plate for plate, text in plate_rows.items()}
    order = [plate for plate in manifest["plate_id"] if plate in rows]
    # Each plate in one batch and in the manifest, as quantify_batch's manifest rows guarantee.
    one_place = len(order) == len(rows) == sum(len(plate_rows) for plate_rows in by_plate)
    if not (same_dtypes and cell_by_cell and one_place):
        return None
    return csv_text(frames[0].iloc[0:0]) + "".join(rows[plate] for plate in order)


def report_provenance(config: dict, raw_dir: str, raw_files: list[str], repo: str | None) -> dict:
    """What the report's provenance appendix prints: the inputs with SHA-256, the config hash,
    the code version and the package versions (the full manifest, outputs included, is
    results/provenance.json, written after the report). Above ``provenance.REPORT_INPUTS_MAX``
    files only the configured inputs are listed one by one and the others (plate exports and
    maps) are summarised per folder (:func:`trialflow.provenance.summarise_inputs`)."""
    from trialflow import provenance

    inputs, folders = provenance._input_records(Path(raw_dir), raw_files), []
    if len(inputs) > provenance.REPORT_INPUTS_MAX:
        named = [*config.get("inputs", {}).values(), config.get("elisa", {}).get("manifest")]
        inputs, folders = provenance.summarise_inputs(inputs, {Path(n).as_posix() for n in named if n})
    return {
        "inputs": inputs,
        "folders": folders,
        "config_sha256": provenance.config_sha256(config),
        "git": provenance.git_version(repo) if repo else {},
        "code_sha256": code_version(),
        **provenance.environment(),
    }


def _tuples(rules: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in rules.items()}


def _relative(path: str, raw_dir: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(raw_dir).resolve()).as_posix()
    except ValueError:
        return Path(path).name


def quantified_rows(
    conc: pd.DataFrame,
    plate_qc: pd.DataFrame,
    well_source: pd.Series,
    people: pd.DataFrame,
    elisa_dir: str,
    time_points: list[str],
    units: dict[str, str],
    table: str,
    missing: str,
    problems: str,
) -> None:
    """Turn quantified ELISA results (the concentrations and plate QC tables; the ``source`` of
    each well by plate_id and well) into analysis rows for the participants ``people``.

    Usable results (and high-CV ones, flagged) become analysis rows traced to the plate export
    and the first replicate well; censored (< LLOQ, > ULOQ), saturated, undetermined and
    failed-plate results are kept out with their reason, never extrapolated or averaged.
    """
    qc = plate_qc.set_index("plate_id")
    found = []
    unknown = ~conc["participant_id"].isin(people["participant_id"])
    found += [
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
    found += [
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
    _settle(found, problems, "ELISA concentrations")
    usable = conc[conc["flag"].fillna("").isin(USABLE_ELISA_FLAGS) & conc["analyte"].isin(units)].copy()
    first_well = usable["wells"].str.split(";").str[0]
    usable["source_file"] = f"{elisa_dir}/" + usable["plate_id"].map(qc["export_file"])
    where = well_source.reindex(pd.MultiIndex.from_arrays([usable["plate_id"], first_well]))
    if where.isna().any():  # both come from the same plates: a gap is a bug
        raise ValueError(f"the wells table lacks the well of {where.isna().sum()} ELISA result(s)")
    usable["source_line"] = where.str.split(":", n=1).str[-1].str.strip().to_numpy() + " (well " + first_well + ")"
    rows = usable.rename(columns={"analyte": "outcome", "concentration": "value"})
    rows["unit"] = rows["outcome"].map(units)
    rows = rows.merge(people[["participant_id", "arm"]], on="participant_id")
    from trialflow import schemas

    write_csv(schemas.AnalysisData.validate(rows[list(schemas.AnalysisData.to_schema().columns)]), table)
    gaps = conc[~conc["flag"].fillna("").isin(USABLE_ELISA_FLAGS)]
    write_csv(
        pd.DataFrame(
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
        ),
        missing,
    )


def check_published(
    published: str, descriptives: str, anova: str, baseline: str, baseline_tests: str, out: dict[str, str]
) -> None:
    """Reported vs reproduced, and the internal consistency of the reported numbers."""
    import yaml

    from trialflow.published import check_baseline_tests, check_internal_consistency, compare_reported

    reported = yaml.safe_load(Path(published).read_text(encoding="utf-8"))
    compared = compare_reported(
        reported, read_csv(descriptives), read_csv(anova), read_csv(baseline), read_csv(baseline_tests)
    )
    consistency = pd.concat([check_internal_consistency(reported), check_baseline_tests(reported)], ignore_index=True)
    write_csv(compared, out["check"])
    write_csv(consistency, out["consistency"])
    flagged = consistency[consistency["verdict"] != "consistent"]
    log.info(
        "published check: %d numbers compared, %d differ; %d internal inconsistencies",
        len(compared),
        int((compared["verdict"] == "differs").sum()),
        len(flagged),
    )


def write_provenance(
    raw_dir: str,
    inputs: list[str],
    config: dict,
    outputs: list[str],
    command: list[str],
    data_cutoff: str,
    repo: str,
    manifest: str,
) -> None:
    """The provenance manifest: every input and output with its SHA-256, config, code, versions."""
    from trialflow.provenance import build_manifest, write_manifest

    built = build_manifest(raw_dir, inputs, config, outputs, command, data_cutoff, repo)
    built["code_sha256"] = code_version()
    write_manifest(built, manifest)


def estimate(
    data: str,
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    table: str,
    cache: str | None = None,
    code: str = "",
) -> None:
    """Differences in change, Hedges' g and baseline-adjusted ANCOVA with 95 % CIs; with
    ``cache`` (a folder) only outcomes whose values changed are estimated again."""
    from trialflow.analysis import estimate_effects

    store = _result_cache(cache, code, "numpy", "scipy", "pandas")
    write_csv(estimate_effects(read_csv(data), outcomes, arms, times, cache=store), table)
    if store:
        store.prune()


def compute_sample_size(settings: dict, table: str) -> None:
    """The a-priori sample size of the within-between interaction, as G*Power computes it."""
    from trialflow.stats.power import sample_size_rm_within_between

    result = sample_size_rm_within_between(
        settings["effect_size_f"],
        settings["alpha"],
        settings["power"],
        settings["groups"],
        settings["measurements"],
        settings.get("correlation", 0.5),
        settings.get("nonsphericity", 1.0),
    )
    write_csv(pd.DataFrame([result]), table)


def read_disposition(
    raw: str,
    name: str,
    participants: str,
    analysis: list[str],
    arms: list[dict],
    time_points: list[dict],
    outcomes: list[dict],
    table: str,
    problems: str,
    balance: str,
) -> None:
    """Validate the disposition log row by row and cross-check its counts against the
    participants file and the analysis data set, at the validation gate: every problem goes to
    validation.csv before anything is analysed (docs/consort.md). The cross-checks run on a log
    whose rows all pass; the row balance counts the log's own rows.

    ``analysis`` are the per-source parts of the analysis data set, stacked here as
    :func:`build_analysis_data` stacks them, so the two jobs run side by side.
    """
    from trialflow import consort

    disposition, found = consort.read_disposition(raw, name, arms, time_points)
    checks = []
    if not errors_in(found):
        data = stack_analysis_parts(analysis)
        checks = consort.cross_check(disposition, read_csv(participants), data, arms, time_points, outcomes, name)
    write_csv(disposition, table)
    _settle(found + checks, problems, name)
    write_balance(raw, name, len(disposition), found, balance)


def consort_flow(
    disposition: str,
    name: str,
    participants: str,
    analysis: str,
    missing: list[str],
    arms: list[dict],
    time_points: list[dict],
    outcomes: list[dict],
    flow_json: str,
    flow_csv: str,
    svg: str,
) -> None:
    """The CONSORT participant flow derived from the validated disposition log and the
    analysis, as JSON, a long table and a vector diagram. Its cross-checks already passed at the
    validation gate; should one fail here all the same, the step stops.

    Who each outcome's analysis leaves out, and why, comes from the analysis data set and the
    values recorded as missing (``missing``) by the function the analysis uses for
    ``results/stats/excluded.csv``, so the flow does not wait for the statistics.
    """
    from trialflow import consort

    log_table = consort.read_disposition_table(disposition, time_points)
    data = read_csv(analysis)
    excluded = consort.analysis_exclusions(data, outcomes, time_points, _missing_values(missing))
    analysed, exclusions = consort.analysis_from_results(log_table, data, excluded, outcomes)
    flow, found = consort.derive_flow(
        log_table,
        arms,
        time_points,
        analysed,
        outcomes=outcomes,
        analysis_exclusions=exclusions,
        participants=read_csv(participants),
        name=name,
    )
    if errors_in(found):
        raise InputError(errors_in(found))
    write_atomic(flow_json, consort.flow_json(flow))
    write_csv(consort.flow_frame(flow), flow_csv)
    write_atomic(svg, consort.flow_diagram_svg(flow).encode("utf-8"))


def tables_docx(config: dict, results: dict[str, str], figures: dict[str, str], docx: str) -> None:
    """The paper's Tables 2 and 3 as a DOCX for a journal submission, with the report's strings."""
    from trialflow.docx_tables import write_tables_docx
    from trialflow.report.context import build_context
    from trialflow.report.formatting import fixed, mean_sd, p_value

    ctx = build_context(config, results, figures)
    style, arms = ctx["style"], [a["label"] for a in config["arms"]]
    table2 = [
        {
            "group": row["label"],
            "n": str(row["n"]),
            **{
                v["id"]: mean_sd(c["mean"], c["sd"], c["decimals"])
                for v, c in zip(config["baseline"], row["cells"], strict=True)
            },
        }
        for row in ctx["baseline_rows"]
    ]
    headers = {"group": "Group", "n": "N", **{v["id"]: v["label"] for v in config["baseline"]}}
    table3 = []
    for o in ctx["outcomes"]:
        for i, t in enumerate(config["time_points"]):
            row = {"variable": o["label"] if i == 0 else "", "time": t["label"]}
            row |= {
                a["label"]: mean_sd(
                    o["cells"][(a["id"], t["id"])]["mean"], o["cells"][(a["id"], t["id"])]["sd"], o["decimals"]
                )
                for a in config["arms"]
            }
            row |= {
                f"p_{k}": (p_value(o["effects"][e]["p"], style) if i == 0 else "")
                for k, e in [("time", "time"), ("groups", "group"), ("interaction", "interaction")]
            }
            table3.append(row)
        table3.append(
            {
                f"p_{k}": f"(η²={fixed(o['effects'][e]['pes'], 2)})"
                for k, e in [("time", "time"), ("groups", "group"), ("interaction", "interaction")]
            }
        )
    write_tables_docx(table2, table3, docx, date=config["trial"]["data_cutoff"], table2_headers=headers, arms=arms)


def read_adverse_events(
    raw: str,
    name: str,
    participants: str,
    start_date: str | None,
    data_cutoff: str | None,
    table: str,
    problems: str,
    balance: str,
) -> None:
    """Validate the adverse-events file against the participants and the trial period; write the
    accepted events, the problems and the row balance."""
    from trialflow.harms import read_adverse_events as read_events

    accepted, found = read_events(raw, name, read_csv(participants), start_date or None, data_cutoff or None)
    write_csv(accepted, table)
    _settle(found, problems, name)
    write_balance(raw, name, len(accepted), found, balance)
    log.info("%s: %d adverse events accepted", name, len(accepted))


def summarise_harms(events: str, participants: str, arms: list[str], table: str, by_term: str) -> None:
    """Participants with events and numbers of events per arm: by kind of harm and by event term."""
    from trialflow import schemas
    from trialflow.stats.harms import harms_by_term
    from trialflow.stats.harms import summarise_harms as summarise

    ev, people = read_csv(events), read_csv(participants)
    write_csv(schemas.Harms.validate(summarise(ev, people, arms)), table)
    write_csv(schemas.HarmsByTerm.validate(harms_by_term(ev, people, arms)), by_term)
