"""The long functional CSV route at library level: every outcome kind of the REDCap route (read,
derived from tests, a test per time point), with the same problems and row balance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trialflow import functional as F
from trialflow import schemas
from trialflow.readers import read, row_balance

DATA = Path(__file__).parent / "data" / "functional"
CODES = {"UNK": "unknown", "NASK": "not asked", "-999": "not done"}
TIMES = ["pre", "post"]


def outcome(oid, unit, source, *, hard=(0, 1000), domain="mobility"):
    return {
        "id": oid,
        "label": oid,
        "unit": unit,
        "domain": domain,
        "higher_is_better": True,
        "decimals": 2,
        "hard_limits": list(hard),
        "source": source,
    }


OUTCOMES = [
    outcome("tug", "s", {"test": "tug_s"}, hard=(1, 300)),
    outcome("knee_mvic", "Nm", {"test": "knee_mvic_nm"}, domain="strength"),
    outcome("knee_mvic_rel", "Nm/kg", {"derive": "per_body_mass", "from": ["knee_mvic_nm"]}, hard=(0, 8)),
    outcome("gait_speed", "m/s", {"derive": "speed_from_time", "from": ["t25fw_s"], "distance_m": 7.62}, hard=(0, 8)),
    outcome("chol", "mmol/L", {"test": {"pre": "chol_b", "post": "chol_4"}}, hard=(0, 20), domain="lipids"),
]


def participants() -> pd.DataFrame:
    """The fixture's participants as the participants step writes them (arm, body mass, line)."""
    people = pd.read_csv(DATA / "participants.csv", dtype={"participant_id": str, "arm": str})
    people["source_file"] = "participants.csv"
    people["source_line"] = people.index + 2
    return people


def read_long():
    """The calls the ingest step makes for ``inputs.functional_long``."""
    definitions = [d for d in F.outcome_definitions(OUTCOMES, TIMES) if d.source is not None]
    raw, found = F.read_functional_long(
        DATA / "functional_long.csv",
        "functional_long.csv",
        F.source_units(definitions),
        CODES,
        times=F.source_times(definitions),
    )
    schemas.FunctionalValues.validate(raw, lazy=True)
    data, missing, more = F.build_functional_outcomes(raw, participants(), definitions, TIMES)
    return raw, data, missing, found, more


def test_long_csv_reads_every_kind_of_outcome_with_problems_naming_line_and_column():
    raw, data, missing, found, more = read_long()
    assert [str(p) for p in found] == [
        "functional_long.csv, line 15, column 'test': test 'chol_b' is read only at pre (as configured), "
        "not at post; the outcome names another test for post (value 'chol_b') [test_time]",
        "functional_long.csv, line 20, column 'test': test 'grip_kg' is not one of tug_s, knee_mvic_nm, "
        "t25fw_s, chol_b, chol_4 (as configured) (value 'grip_kg') [test_known]",
    ]
    assert [str(p) for p in more] == [
        "functional_long.csv, line 21, column 'participant_id': participant 'P09' is not in the "
        "participants file (value 'P09') [participant_known]",
        "functional_long.csv, line 17, column 'value': tug 0.4 s is outside the possible range 1 to 300 s; "
        "value rejected (value '0.4') [hard_limits]",
    ]
    assert list(raw.columns) == F.RAW_COLUMNS and set(raw["source_column"]) == {"value"}
    assert 15 not in set(raw["source_line"]) and 20 not in set(raw["source_line"])
    values = data.set_index(["participant_id", "time", "outcome"])
    assert values.loc[("P01", "post", "chol"), "value"] == 4.8  # chol_4 at post
    assert values.loc[("P01", "post", "chol"), "source_line"] == "9"
    assert values.loc[("P02", "post", "chol"), "value"] == 5.7  # not chol_b's 5.9 of line 15
    assert values.loc[("P01", "pre", "knee_mvic_rel"), "value"] == pytest.approx(150.0 / 60.0)
    assert values.loc[("P01", "pre", "knee_mvic_rel"), "source_file"] == ("functional_long.csv:4 + participants.csv:2")
    assert values.loc[("P01", "post", "gait_speed"), "value"] == pytest.approx(1.2)  # 7.62 m / 6.35 s
    assert values.loc[("P01", "pre", "tug"), "value"] == 7.5
    assert set(data["arm"]) == {"control", "training"}


def test_long_csv_accounts_for_every_participant_time_and_outcome_once():
    _, data, missing, _, _ = read_long()
    keys = ["participant_id", "time", "outcome"]
    both = pd.concat([data[keys], missing[keys]])
    assert len(both) == 3 * 2 * len(OUTCOMES) and not both.duplicated().any()
    reasons = missing.set_index(keys)["reason"]
    assert reasons[("P02", "post", "tug")] == "not asked (missing-data code NASK)"
    assert reasons[("P03", "pre", "tug")] == "rejected by validation (hard_limits): 0.4 s"
    assert reasons[("P02", "pre", "gait_speed")] == "t25fw_s: no t25fw_s value in the input"
    assert reasons[("P03", "post", "chol")] == (
        "no data for this participant at post (assessment missed or not entered)"
    )  # its one post row (grip_kg, line 20) was rejected


def test_long_csv_row_balance_every_line_accepted_or_rejected():
    _, _, _, found, more = read_long()
    table = read(DATA / "functional_long.csv", "functional_long.csv")
    problems = found + more
    accepted = table.rows_read - row_balance(table, 0, problems).rejected  # as the ingest step counts
    counted = row_balance(table, accepted, problems)
    assert (counted.read, counted.accepted, counted.rejected, counted.ok) == (20, 16, 4, True)


def test_long_csv_and_redcap_give_the_same_outcomes_for_the_same_values(tmp_path):
    (tmp_path / "long.csv").write_text(
        "participant_id,time,test,value,unit\nP01,pre,chol_b,5.2,mmol/L\nP01,post,chol_4,4.8,mmol/L\n",
        encoding="utf-8",
    )
    (tmp_path / "redcap.csv").write_text(
        "record_id,redcap_event_name,chol_b,chol_4\nP01,baseline_arm_1,5.2,\nP01,week_4_arm_1,,4.8\n",
        encoding="utf-8",
    )
    redcap_source = outcome("chol", "mmol/L", {"redcap_field": {"pre": "chol_b", "post": "chol_4"}}, hard=(0, 20))
    (long_def,) = F.outcome_definitions([OUTCOMES[-1]], TIMES)
    (redcap_def,) = F.outcome_definitions([redcap_source], TIMES)
    raw_long, _ = F.read_functional_long(
        tmp_path / "long.csv", "x", F.source_units([long_def]), times=F.source_times([long_def])
    )
    raw_redcap, _ = F.read_redcap(
        tmp_path / "redcap.csv",
        "x",
        {"baseline_arm_1": "pre", "week_4_arm_1": "post"},
        F.source_fields([redcap_def]),
        {},
        times=F.source_times([redcap_def]),
    )
    columns = ["participant_id", "time", "outcome", "value"]
    from_long, _, _ = F.build_functional_outcomes(raw_long, participants(), [long_def], TIMES)
    from_redcap, _, _ = F.build_functional_outcomes(raw_redcap, participants(), [redcap_def], TIMES)
    pd.testing.assert_frame_equal(from_long[columns], from_redcap[columns])
