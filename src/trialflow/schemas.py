"""Data contracts: one pandera model per table the pipeline reads or writes.

Input models check the typed tables built from raw files (their ``source_file`` and
``source_line`` say where each row came from); output models pin the columns of the
results CSVs an auditor's scripts read. Rules that depend on the configuration (which arms
and time points exist) are checked in :mod:`trialflow.ingest`, where the config is known.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from trialflow.problems import Problem

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _source_fields():
    return (
        pa.Field(title="Source file", description="Input file the row was read from, relative to the raw folder."),
        pa.Field(ge=1, title="Source line", description="Line number of the row in that file, header = 1."),
    )


class Participants(pa.DataFrameModel):
    """One row per randomised participant: the id, the arm, where the row is, and the baseline
    characteristics the config names (:func:`participants_schema` adds one column for each)."""

    participant_id: Series[str] = pa.Field(
        str_matches=ID_PATTERN,
        title="Participant ID",
        description="Pseudonymous ID used in every file; letters, digits, '_', '.', '-'; leading zeros kept.",
    )
    arm: Series[str] = pa.Field(title="Arm", description="Randomised arm; one of the arm ids in config.")
    source_file: Series[str] = _source_fields()[0]
    source_line: Series[int] = _source_fields()[1]

    class Config:
        strict = True
        coerce = True
        unique = ["participant_id"]


def participants_schema(characteristics: list[dict]) -> pa.DataFrameSchema:
    """:class:`Participants` with a column per configured baseline characteristic (config
    ``baseline``), after the arm: numeric ones as floats within their ``limits``, categorical ones
    as text among their ``levels``; both may be missing (NaN)."""
    columns = dict(Participants.to_schema().columns)
    added = {}
    for c in characteristics:
        if c["type"] == "categorical":
            checks = [pa.Check.isin([str(level) for level in c["levels"]])] if c.get("levels") else []
            added[c["id"]] = pa.Column(str, checks=checks, nullable=True, title=c["label"], description="Categorical.")
        else:
            checks = [pa.Check.in_range(*c["limits"])] if c.get("limits") else []
            derived = (
                f"Derived ({c['derive']} of {', '.join(c['from'])}); never typed." if "derive" in c else "Numeric."
            )
            added[c["id"]] = pa.Column(float, checks=checks, nullable=True, title=c["label"], description=derived)
    order = ["participant_id", "arm", *added, "source_file", "source_line"]
    return pa.DataFrameSchema(
        {name: (columns | added)[name] for name in order},
        strict=True,
        coerce=True,
        unique=["participant_id"],
        name="Participants",
    )


class Concentrations(pa.DataFrameModel):
    """One row per participant × time point × analyte: a quantified concentration."""

    participant_id: Series[str] = pa.Field(
        str_matches=ID_PATTERN, title="Participant ID", description="As in the participants file."
    )
    time: Series[str] = pa.Field(title="Time point", description="One of the time point ids in config.")
    analyte: Series[str] = pa.Field(title="Analyte", description="Outcome id in config, e.g. BDNF.")
    concentration: Series[float] = pa.Field(
        gt=0, title="Concentration", description="Concentration in the outcome's configured unit."
    )
    unit: Series[str] = pa.Field(
        title="Unit", description="Unit as written, must equal the outcome's configured unit (e.g. pg/mL)."
    )
    source_file: Series[str] = _source_fields()[0]
    source_line: Series[int] = _source_fields()[1]

    class Config:
        strict = True
        coerce = True
        unique = ["participant_id", "time", "analyte"]


class AnalysisData(pa.DataFrameModel):
    """The analysis data set: one value per participant × time × outcome, traced to its source."""

    participant_id: Series[str] = pa.Field(
        str_matches=ID_PATTERN, title="Participant ID", description="As in the participants file."
    )
    arm: Series[str] = pa.Field(title="Arm", description="Randomised arm, from the participants file.")
    time: Series[str] = pa.Field(title="Time point", description="Configured time point id.")
    outcome: Series[str] = pa.Field(title="Outcome", description="Configured outcome id.")
    value: Series[float] = pa.Field(title="Value", description="Analysed value in `unit`, unrounded.")
    unit: Series[str] = pa.Field(title="Unit", description="Unit of `value`.")
    source_file: Series[str] = _source_fields()[0]
    source_line: Series[str] = pa.Field(
        title="Source place",
        description="Line of the row in the source file, or the cell/well of a plate export (e.g. 'line 5, col 3 (well C3)').",
    )

    class Config:
        strict = True
        coerce = True
        unique = ["participant_id", "time", "outcome"]


class PlateMap(pa.DataFrameModel):
    """One plate map after reading: which well holds what (docs/elisa.md section 2)."""

    well: Series[str] = pa.Field(
        str_matches=r"^[A-P](?:[1-9]|1[0-9]|2[0-4])$",
        title="Well",
        description="A1 to H12 (96 wells) or A1 to P24 (384 wells).",
    )
    role: Series[str] = pa.Field(
        isin=["blank", "standard", "control", "sample"], title="Role", description="blank, standard, control or sample."
    )
    participant_id: Series[str] = pa.Field(title="Participant ID", description="Samples only; empty otherwise.")
    time: Series[str] = pa.Field(title="Time point", description="Samples only; empty otherwise.")
    nominal_conc: Series[float] = pa.Field(
        nullable=True,
        gt=0,
        title="Nominal concentration (pg/mL)",
        description="Standards and controls; empty for blanks and samples.",
    )
    dilution: Series[float] = pa.Field(
        ge=1, title="Dilution", description="Dilution factor in the well; 1 for standards and blanks."
    )
    replicate_group: Series[str] = pa.Field(title="Replicate group", description="Wells averaged together.")
    map_line: Series[int] = pa.Field(ge=2, title="Map line", description="Line of the well in the plate-map file.")

    class Config:
        strict = True
        unique = ["well"]

    @pa.dataframe_check
    def samples_identified(cls, df: pd.DataFrame) -> Series[bool]:
        """Every sample well names a participant and a time point; no other well does."""
        is_sample = df["role"] == "sample"
        named = (df["participant_id"] != "") & (df["time"] != "")
        return is_sample == named

    @pa.dataframe_check
    def standards_have_nominal(cls, df: pd.DataFrame) -> Series[bool]:
        """Standards and controls carry a nominal concentration."""
        return ~df["role"].isin(["standard", "control"]) | df["nominal_conc"].notna()


class PlateWells(pa.DataFrameModel):
    """``results/elisa/wells.csv``: every well of every plate, its plate-map entry, its reading and its back-calculation."""

    plate_id: Series[str] = pa.Field(str_matches=ID_PATTERN, title="Plate", description="Plate id from the manifest.")
    analyte: Series[str] = pa.Field(title="Analyte", description="Analyte of the plate.")
    well: Series[str] = pa.Field(
        str_matches=r"^[A-P](?:[1-9]|1[0-9]|2[0-4])$",
        title="Well",
        description="A1 to H12 (96 wells) or A1 to P24 (384 wells).",
    )
    role: Series[str] = pa.Field(
        isin=["blank", "standard", "control", "sample", "unused"],
        title="Role",
        description="From the plate map; wells the map does not name are unused.",
    )
    participant_id: Series[str] = pa.Field(nullable=True, title="Participant ID", description="Samples only.")
    time: Series[str] = pa.Field(nullable=True, title="Time point", description="Samples only.")
    nominal_conc: Series[float] = pa.Field(
        nullable=True, ge=0, title="Nominal concentration (pg/mL)", description="Standards and controls only."
    )
    dilution: Series[float] = pa.Field(
        nullable=True, ge=1, title="Dilution", description="Dilution factor in the well."
    )
    od: Series[float] = pa.Field(
        nullable=True, title="OD", description="450 nm minus the reference wavelength when read; NaN with a flag."
    )
    flag: Series[str] = pa.Field(
        nullable=True,
        title="Well flag",
        description="Reader sentinel (saturated, not_determined, ...), curve flag or excluded; empty when usable.",
    )
    source: Series[str] = pa.Field(
        title="Source", description="Export file and line/column or Sheet!cell of the reading."
    )

    class Config:
        strict = "filter"  # the reading and fit columns beyond these are documented in docs/elisa.md
        coerce = True
        unique = ["plate_id", "well"]


class FunctionalValues(pa.DataFrameModel):
    """Functional-test values as read from a REDCap export or long CSV, before outcome definitions apply."""

    participant_id: Series[str] = pa.Field(
        str_matches=ID_PATTERN, title="Participant ID", description="REDCap record id."
    )
    time: Series[str] = pa.Field(title="Time point", description="Mapped from the REDCap event.")
    field: Series[str] = pa.Field(title="Field", description="REDCap field or test name.")
    value: Series[float] = pa.Field(
        nullable=True, title="Value", description="NaN exactly when missing_reason says why."
    )
    missing_reason: Series[str] = pa.Field(
        nullable=True, title="Missing reason", description="REDCap missing-data code in words, or empty."
    )
    source_file: Series[str] = pa.Field(title="Source file", description="Export file.")
    source_line: Series[str] = pa.Field(title="Source line", description="Line of the record in the export.")
    source_column: Series[str] = pa.Field(title="Source column", description="Column of the field in the export.")

    class Config:
        strict = True
        coerce = True
        unique = ["participant_id", "time", "field"]

    @pa.dataframe_check
    def value_or_reason(cls, df: pd.DataFrame) -> Series[bool]:
        """A value is missing if and only if a reason says why: nothing becomes NaN silently."""
        return df["value"].isna() == (df["missing_reason"].fillna("") != "")


SEVERITIES = ["mild", "moderate", "severe"]
RELATEDNESS = ["unrelated", "unlikely", "possible", "probable", "definite"]
RELATED = ["possible", "probable", "definite"]  # "related to the intervention" in the harms table
AE_OUTCOMES = ["recovered", "recovering", "not recovered", "recovered with sequelae", "fatal", "unknown"]


class AdverseEvents(pa.DataFrameModel):
    """One row per adverse event (harms, CONSORT 2025 item 28), as read from the adverse-events file."""

    participant_id: Series[str] = pa.Field(
        str_matches=ID_PATTERN, title="Participant ID", description="As in the participants file (randomised)."
    )
    event_term: Series[str] = pa.Field(
        str_length={"min_value": 1},
        title="Event term",
        description="What happened, e.g. a MedDRA preferred term; events are grouped by this text exactly as written.",
    )
    start_date: Series[str] = pa.Field(
        str_matches=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        title="Start date",
        description="Onset, ISO 8601 (YYYY-MM-DD); within the trial period (trial.start_date to trial.data_cutoff) when configured.",
    )
    severity: Series[str] = pa.Field(
        isin=SEVERITIES,
        title="Severity",
        description="mild (no interference with daily activity), moderate (some interference), severe (prevents daily activity).",
    )
    serious: Series[str] = pa.Field(
        isin=["yes", "no"],
        title="Serious",
        description="yes: death, life-threatening, hospitalisation, disability or other important medical event (ICH E2A).",
    )
    relatedness: Series[str] = pa.Field(
        isin=RELATEDNESS,
        title="Related to the intervention",
        description="unrelated, unlikely, possible, probable or definite; possible, probable and definite count as related.",
    )
    outcome: Series[str] = pa.Field(
        isin=AE_OUTCOMES,
        title="Outcome",
        description="recovered, recovering, not recovered, recovered with sequelae, fatal or unknown.",
    )
    led_to_discontinuation: Series[str] = pa.Field(
        isin=["yes", "no"],
        title="Led to discontinuation",
        description="yes if the event made the participant stop the allocated intervention.",
    )
    source_file: Series[str] = _source_fields()[0]
    source_line: Series[int] = _source_fields()[1]

    class Config:
        strict = True
        coerce = True
        unique = ["participant_id", "event_term", "start_date"]

    @pa.dataframe_check
    def fatal_is_serious(cls, df: pd.DataFrame) -> Series[bool]:
        """An event with a fatal outcome is serious (ICH E2A)."""
        return (df["outcome"] != "fatal") | (df["serious"] == "yes")


class Harms(pa.DataFrameModel):
    """``results/stats/harms.csv``: participants and events per arm and harms measure."""

    arm: Series[str] = pa.Field(title="Arm", description="Arm id.")
    measure: Series[str] = pa.Field(
        isin=["any", "serious", "severe", "related", "led_to_discontinuation", "fatal"],
        title="Measure",
        description="any event; serious; severe; related (possible, probable, definite); led to discontinuation; fatal.",
    )
    participants: Series[int] = pa.Field(
        ge=0, title="Participants", description="Participants with at least one such event."
    )
    events: Series[int] = pa.Field(ge=0, title="Events", description="Number of such events.")
    denominator: Series[int] = pa.Field(ge=0, title="Randomised", description="Participants randomised to the arm.")
    percent: Series[float] = pa.Field(
        nullable=True,
        ge=0,
        le=100,
        title="Percent",
        description="100 × participants / denominator, unrounded; empty if none randomised.",
    )

    class Config:
        strict = True
        unique = ["arm", "measure"]


class HarmsByTerm(pa.DataFrameModel):
    """``results/stats/harms_by_term.csv``: participants and events per event term and arm."""

    event_term: Series[str] = pa.Field(title="Event term", description="As written in the adverse-events file.")
    arm: Series[str] = pa.Field(title="Arm", description="Arm id.")
    participants: Series[int] = pa.Field(
        ge=0, title="Participants", description="Participants with at least one event of the term."
    )
    events: Series[int] = pa.Field(ge=0, title="Events", description="Number of events of the term.")
    denominator: Series[int] = pa.Field(ge=0, title="Randomised", description="Participants randomised to the arm.")
    percent: Series[float] = pa.Field(
        nullable=True,
        ge=0,
        le=100,
        title="Percent",
        description="100 × participants / denominator, unrounded; empty if none randomised.",
    )

    class Config:
        strict = True
        unique = ["event_term", "arm"]


class Descriptives(pa.DataFrameModel):
    """``results/stats/descriptives.csv``: n, mean and SD per outcome × arm × time."""

    outcome: Series[str] = pa.Field(title="Outcome", description="Outcome id.")
    arm: Series[str] = pa.Field(title="Arm", description="Arm id.")
    time: Series[str] = pa.Field(title="Time point", description="Time point id.")
    n: Series[int] = pa.Field(ge=0, title="N", description="Participants with a value.")
    mean: Series[float] = pa.Field(nullable=True, title="Mean", description="Arithmetic mean, unrounded.")
    sd: Series[float] = pa.Field(nullable=True, title="SD", description="Sample standard deviation (n − 1), unrounded.")

    class Config:
        strict = True
        unique = ["outcome", "arm", "time"]


class Anova(pa.DataFrameModel):
    """``results/stats/anova.csv``: mixed ANOVA (time within, arm between), Type III SS."""

    outcome: Series[str] = pa.Field(title="Outcome", description="Outcome id.")
    effect: Series[str] = pa.Field(
        isin=["time", "group", "interaction"],
        title="Effect",
        description="time, group (arm) or interaction (group × time).",
    )
    df1: Series[float] = pa.Field(gt=0, title="df1", description="Numerator degrees of freedom (sphericity assumed).")
    df2: Series[float] = pa.Field(gt=0, title="df2", description="Denominator (error) degrees of freedom.")
    F: Series[float] = pa.Field(ge=0, title="F", description="F statistic.")
    p: Series[float] = pa.Field(ge=0, le=1, title="p", description="p value, sphericity assumed.")
    pes: Series[float] = pa.Field(
        ge=0, le=1, title="Partial η²", description="SS_effect / (SS_effect + SS_error); partial, not classical, η²."
    )

    class Config:
        strict = "filter"  # extra columns (SS, ε, corrected p) are allowed beyond the contract
        unique = ["outcome", "effect"]


_CHECK_WORDS = [
    (r"greater_than_or_equal_to\((.*)\)", "must be at least {0}"),
    (r"greater_than\((.*)\)", "must be greater than {0}"),
    (r"less_than_or_equal_to\((.*)\)", "must be at most {0}"),
    (r"less_than\((.*)\)", "must be less than {0}"),
    (r"in_range\((.*), (.*)\)", "must be between {0} and {1}"),
    (r"isin\((.*)\)", "must be one of {0}"),
    (r"str_matches\((.*)\)", "must start with a letter or digit and contain only letters, digits, '_', '.', '-'"),
    (r"not_nullable", "is missing"),
    (r"(field_uniqueness|multiple_fields_uniqueness)", "appears more than once for the same key"),
]


def _plain(check: str) -> str:
    for pattern, words in _CHECK_WORDS:
        m = re.fullmatch(pattern, check)
        if m:
            return words.format(*m.groups())
    return f"breaks the rule {check}"


def validate_model(
    model: type[pa.DataFrameModel] | pa.DataFrameSchema, frame: pd.DataFrame
) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate ``frame`` lazily against ``model`` (a model or a schema built at run time, as
    :func:`participants_schema`); return the rows that passed and the problems.

    ``frame`` must carry ``source_file`` and ``source_line`` so each failure names its place.
    """
    schema = model if isinstance(model, pa.DataFrameSchema) else model.to_schema()
    try:
        return schema.validate(frame, lazy=True), []
    except pa.errors.SchemaErrors as err:
        problems, bad_rows = [], set()
        titles = {name: (field.title or name) for name, field in schema.columns.items()}
        cases = err.failure_cases
        # A composite key fails once per key column; report each duplicated row once.
        unique_key = schema.unique or []
        is_unique_check = cases["check"].astype(str).str.contains("uniqueness")
        cases = pd.concat(
            [
                cases[~is_unique_check],
                cases[is_unique_check].drop_duplicates("index").assign(column=", ".join(unique_key)),
            ]
        )
        for case in cases.itertuples(index=False):
            idx = case.index
            if idx is None or pd.isna(idx) or idx not in frame.index:
                problems.append(
                    Problem(
                        "",
                        "",
                        str(case.column),
                        str(case.failure_case),
                        str(case.check),
                        "error",
                        f"table does not satisfy {case.check}",
                    )
                )
                continue
            row = frame.loc[idx]
            bad_rows.add(idx)
            column = str(case.column)
            value = (
                " / ".join(str(row[c]) for c in unique_key)
                if "uniqueness" in str(case.check)
                else str(case.failure_case)
            )
            problems.append(
                Problem(
                    str(row["source_file"]),
                    str(row["source_line"]),
                    column,
                    value,
                    str(case.check),
                    "error",
                    f"{titles.get(column, column)} {_plain(str(case.check))}",
                )
            )
        kept = frame.drop(index=sorted(bad_rows))
        return schema.validate(kept, lazy=True) if len(kept) else kept, problems
