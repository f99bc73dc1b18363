"""``trialflow init NAME``: the skeleton of a new trial, to be filled in by its statistician.

Writes ``NAME.yaml``, a commented config that validates and states nothing about any trial but
what the command was told, and ``raw/NAME/`` with a header-only template of each input chosen
(the columns the readers require, nothing else). Existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from trialflow.consort.read import disposition_columns
from trialflow.elisa.plate_map import MANIFEST_COLUMNS, READ_COLUMNS
from trialflow.functional.long import LONG_COLUMNS
from trialflow.harms import AE_COLUMNS
from trialflow.ingest import CONCENTRATION_COLUMNS, PARTICIPANT_COLUMNS

INPUTS = ("concentrations", "plates", "redcap", "long", "disposition", "adverse_events")
ID = re.compile(r"^[A-Za-z0-9_-]+$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the trial's id: names NAME.yaml, raw/NAME/ and reports/NAME/")
    parser.add_argument("--arms", default="control,intervention", help="arm ids, comma-separated (one or more)")
    parser.add_argument("--time-points", default="baseline,follow_up", help="time point ids, first = baseline")
    parser.add_argument(
        "--inputs",
        default="concentrations",
        help=f"inputs besides the participants file, comma-separated: any of {', '.join(INPUTS)} "
        "(plates: ELISA plate-reader exports; redcap: a REDCap export; long: a long functional-test CSV)",
    )
    parser.add_argument("--directory", default=".", help="where to write (default: the current folder)")


def run_from_args(args: argparse.Namespace) -> int:
    try:
        written = write_skeleton(
            args.name, _ids(args.arms, "--arms"), _ids(args.time_points, "--time-points"),
            _ids(args.inputs, "--inputs") if args.inputs else [], Path(args.directory),
        )  # fmt: skip
    except (ValueError, FileExistsError) as err:
        print(f"trialflow init: {err}")
        return 2
    config = written[0]
    print(f"trialflow init: wrote {', '.join(str(p) for p in written)}")
    print(f"Fill in the files under raw/{args.name}/ and the marked lines of {config.name}, then run")
    print(f"  snakemake --cores 2 --configfile {config.name}")
    return 0


def _ids(text: str, option: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not ID.match(i)]
    if bad or not ids:
        raise ValueError(f"{option}: ids are letters, digits, '-' and '_', comma-separated; not {text!r}")
    return ids


def write_skeleton(name: str, arms: list[str], time_points: list[str], inputs: list[str], root: Path) -> list[Path]:
    """Write the config and the input templates of trial ``name`` under ``root``; the paths written."""
    if not ID.match(name):
        raise ValueError(f"the trial's name is its id: letters, digits, '-' and '_'; not {name!r}")
    unknown = sorted(set(inputs) - set(INPUTS))
    if unknown:
        raise ValueError(f"--inputs: {', '.join(unknown)} is not one of {', '.join(INPUTS)}")
    if len(time_points) < 2:
        raise ValueError("--time-points: a repeated-measures trial has at least two time points")
    raw = Path("raw") / name
    templates = {raw / "participants.csv": PARTICIPANT_COLUMNS}
    typed = "concentrations" in inputs and "plates" not in inputs  # with plates, biomarkers come from them
    templates |= {raw / "concentrations.csv": CONCENTRATION_COLUMNS} if typed else {}
    templates |= {raw / "elisa" / "plates.csv": [*MANIFEST_COLUMNS, *READ_COLUMNS]} if "plates" in inputs else {}
    templates |= {raw / "functional_long.csv": LONG_COLUMNS} if "long" in inputs else {}
    templates |= {raw / "disposition.csv": disposition_columns(time_points)} if "disposition" in inputs else {}
    templates |= {raw / "adverse_events.csv": AE_COLUMNS} if "adverse_events" in inputs else {}
    files = {Path(f"{name}.yaml"): config_text(name, arms, time_points, inputs)}
    files |= {path: ",".join(columns) + "\n" for path, columns in templates.items()}
    existing = [str(root / path) for path in files if (root / path).exists()]
    if existing:
        raise FileExistsError(f"{', '.join(existing)} exists already; nothing was written")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return [root / path for path in files]


def config_text(name: str, arms: list[str], time_points: list[str], inputs: list[str]) -> str:
    """The commented config of a new trial: valid as it is, every line to check marked ``# TODO``."""
    lines = [
        f"# trialflow configuration of trial {name}, written by `trialflow init`.",
        "# Every key is described, with its default, in schemas/config.schema.yaml; the input",
        "# formats in docs/input-formats.md. Lines marked TODO are placeholders to replace.",
        "",
        "trial:",
        f"  id: {name}",
        f"  title: {name}                     # TODO the trial's full title, printed on the report",
        "  data_cutoff: '2000-01-01'          # TODO the data cut-off (ISO date), printed and dating the PDF",
        "",
        f"raw_dir: raw/{name}                  # the raw exports (never written to)",
        "inputs:",
        "  participants: participants.csv     # one row per randomised participant: participant_id, arm, and",
        "                                     # the baseline characteristics listed under `baseline`",
    ]
    lines += ["  concentrations: concentrations.csv  # typed values of the biomarker outcomes"] * (
        "concentrations" in inputs and "plates" not in inputs
    )
    lines += ["  functional_redcap: redcap_export.csv  # TODO the REDCap raw-data export's file name"] * (
        "redcap" in inputs
    )
    lines += ["  functional_long: functional_long.csv  # one row per participant x time x test"] * ("long" in inputs)
    lines += ["  disposition: disposition.csv      # the screening and disposition log -> CONSORT flow"] * (
        "disposition" in inputs
    )
    lines += ["  adverse_events: adverse_events.csv  # one row per adverse event -> harms table"] * (
        "adverse_events" in inputs
    )
    if "plates" in inputs:
        lines += [
            "",
            "elisa:                               # plate-reader exports quantified into the biomarker outcomes",
            "  manifest: elisa/plates.csv         # one row per plate: its export and plate map (docs/elisa.md)",
            "  reads:                             # which read of each export is the OD, per analyte",
            "    analyte_1: {wavelength_nm: 450, reference_nm: 570}  # TODO the assay's wavelengths; no reference:"
            " leave it out",
        ]
    if "redcap" in inputs:
        events = "".join(f"\n    {t}_arm_1: {t}                # TODO the REDCap event of {t}" for t in time_points)
        lines += ["", "redcap:", "  record_id: record_id", f"  events:{events}"]
    lines += ["", "arms:                                # order = column order in tables and figures"]
    lines += [f"  - {{id: {a}, label: {a}}}" for a in arms]
    lines += ["", "time_points:                         # in time order; the first is baseline"]
    lines += [f"  - {{id: {t}, label: {t}}}" for t in time_points]
    lines += ["", "outcomes:                            # TODO one entry per outcome, analysed with the same plan"]
    if "concentrations" in inputs or "plates" in inputs:
        lines += [
            "  # A biomarker: no `source`; its id is the analyte's name in the concentrations file or plates.",
            "  - {id: analyte_1, label: Analyte 1, unit: pg/mL, domain: biomarker, higher_is_better: true,"
            " decimals: 2}",
        ]
    if "redcap" in inputs:
        lines += [
            "  # From the REDCap export: the field holding the value (docs/functional-outcomes.md).",
            "  - {id: test_1, label: Test 1, unit: s, domain: mobility, higher_is_better: false, decimals: 1,",
            "     hard_limits: [0, 600],          # TODO the possible range: values outside are rejected",
            "     source: {redcap_field: test_1_field}}",
        ]
    if "long" in inputs:
        lines += [
            "  # From the long CSV: the name in its `test` column.",
            "  - {id: test_2, label: Test 2, unit: m, domain: mobility, higher_is_better: true, decimals: 0,",
            "     hard_limits: [0, 2000],         # TODO the possible range: values outside are rejected",
            "     source: {test: test_2}}",
        ]
    if not ({"concentrations", "plates", "redcap", "long"} & set(inputs)):
        raise ValueError("--inputs: name where the outcomes come from (concentrations, plates, redcap or long)")
    lines += [
        "",
        "baseline: []                         # TODO baseline characteristics: columns of the participants file,",
        "                                     # e.g. {id: age, label: age (years), decimals: 1, limits: [18, 100]}",
        "                                     # or {id: sex, label: sex, type: categorical, levels: [female, male]}",
        "",
        "analysis:",
        "  primary: rm_anova                  # the primary analysis: rm_anova (as SPSS) | mmrm (docs/statistics.md)",
        "  alpha: 0.05",
        "  baseline_tests: false              # CONSORT advises against testing baseline differences",
        "  sphericity: auto                   # p values with 3+ time points: none | gg | hf | auto",
        "",
    ]
    return "\n".join(lines)
