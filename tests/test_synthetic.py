"""The seeded synthetic large trial (trialflow.demo.synthetic): deterministic, consistent, and the whole
pipeline runs on a reduced size of it without a validation error."""

import csv
import hashlib
import shutil
import subprocess

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT
from trialflow.cli import main as cli_main
from trialflow.demo import synthetic

SMALL = {"participants": 90, "arms": 3, "time_points": 4, "analytes": 2, "functional_outcomes": 3, "seed": 2026}
RAW = "raw/synthetic"


def _hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("synthetic")
    written = synthetic.write_synthetic_trial(workdir / RAW, raw_dir=RAW, **SMALL)
    # Small batches, so that a new plate has other batches of its analyte to leave alone.
    config = yaml.safe_load(written.read_text())
    config["elisa"]["plates_per_job"] = 4
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return {"dir": workdir, "raw": workdir / RAW, "config": workdir / "config.yaml"}


def test_same_seed_gives_the_same_bytes(trial, tmp_path):
    again = tmp_path / "again"
    cli_main(["make-synthetic", str(again), "--raw-dir", RAW, *_cli_options(SMALL)])
    assert _hashes(again) == _hashes(trial["raw"])
    other = tmp_path / "other"
    synthetic.write_synthetic_trial(other, raw_dir=RAW, **(SMALL | {"seed": 7}))
    assert (other / "participants.csv").read_bytes() != (trial["raw"] / "participants.csv").read_bytes()


def _cli_options(size):
    return [
        "--participants", str(size["participants"]), "--arms", str(size["arms"]),
        "--time-points", str(size["time_points"]), "--analytes", str(size["analytes"]),
        "--functional-outcomes", str(size["functional_outcomes"]), "--seed", str(size["seed"]),
    ]  # fmt: skip


def test_config_is_valid_and_describes_the_trial(trial):
    from snakemake.utils import validate

    config = yaml.safe_load(trial["config"].read_text())
    validate(config, str(ROOT / "schemas/config.schema.yaml"))
    assert config["trial"]["id"] == "synthetic-large"
    assert config["raw_dir"] == RAW
    assert "published" not in config["inputs"]
    assert [a["id"] for a in config["arms"]] == ["control", "moderate", "vigorous"]
    assert [t["id"] for t in config["time_points"]] == ["baseline", "week8", "week16", "week24"]
    assert [o["id"] for o in config["outcomes"]] == ["BDNF", "GDNF", "six_mwt", "gait_speed", "edss"]


def test_default_raw_dir_is_the_absolute_folder(tmp_path):
    config = synthetic.write_synthetic_trial(tmp_path / "t", **(SMALL | {"analytes": 1, "functional_outcomes": 1}))
    assert yaml.safe_load(config.read_text())["raw_dir"] == str((tmp_path / "t").resolve())


def test_arms_are_unequal_and_dropouts_are_consistent(trial):
    raw = trial["raw"]
    people = pd.read_csv(raw / "participants.csv", dtype=str)
    sizes = people["arm"].value_counts()
    assert sizes.sum() == 90 and sizes.nunique() == 3  # 32 / 30 / 28
    log = pd.read_csv(raw / "disposition.csv", dtype=str, keep_default_na=False)
    randomised = log[log["participant_id"] != ""].set_index("participant_id")
    assert set(randomised.index) == set(people["participant_id"])
    assert (randomised.loc[people["participant_id"], "arm"].to_numpy() == people["arm"].to_numpy()).all()
    times = ["baseline", "week8", "week16", "week24"]
    attended = {(p, t) for p, r in randomised.iterrows() for t in times if r[f"attended_{t}"] == "yes"}
    assert len(attended) < 90 * 4  # some visits missed
    lost = randomised[randomised["lost_to_follow_up"] == "yes"]
    assert len(lost) and (lost["attended_week24"] == "no").all()
    # REDCap rows exist exactly for attended visits
    events = {
        "baseline_arm_1": "baseline",
        "week_8_arm_1": "week8",
        "week_16_arm_1": "week16",
        "week_24_arm_1": "week24",
    }
    redcap = {(r["record_id"], events[r["redcap_event_name"]]) for r in _rows(raw / "functional_redcap.csv")}
    assert redcap == attended
    # every attended visit x analyte is on a plate, except the samples awaiting assay; nothing else is
    on_plates = {}
    for plate in _rows(raw / "elisa/plates.csv"):
        for w in _rows(raw / "elisa" / plate["map_file"]):
            if w["role"] == "sample":
                on_plates.setdefault(plate["analyte"], set()).add((w["participant_id"], w["time"]))
    pending = yaml.safe_load((raw / "synthetic.json").read_text())["pending"]
    assert 1 <= len(pending) <= synthetic.SAMPLES_PER_PLATE
    assert {p["analyte"] for p in pending} == {"BDNF"}
    assert on_plates["GDNF"] == attended
    assert on_plates["BDNF"] == attended - {(p["participant_id"], p["time"]) for p in pending}


def test_add_plate_assays_the_waiting_samples(trial, tmp_path):
    from trialflow.elisa import AcceptanceRules, quantify_plates

    raw = tmp_path / "raw"
    shutil.copytree(trial["raw"], raw)
    pending = yaml.safe_load((raw / "synthetic.json").read_text())["pending"]
    n_plates = len(_rows(raw / "elisa/plates.csv"))
    assert synthetic.add_plate(raw, seed=3) == "BDNF_L01"
    manifest = _rows(raw / "elisa/plates.csv")
    assert len(manifest) == n_plates + 1 and manifest[-1]["plate_id"] == "BDNF_L01"
    res = quantify_plates(raw / "elisa/plates.csv", AcceptanceRules())
    assert (res.plate_qc["verdict"] == "pass").all(), res.plate_qc[["plate_id", "reasons"]]
    assert (res.concentrations["flag"] == "").all()
    new = res.concentrations[res.concentrations["plate_id"] == "BDNF_L01"]
    assert set(zip(new["participant_id"], new["time"], strict=True)) == {
        (p["participant_id"], p["time"]) for p in pending
    }
    truth = {p["participant_id"]: p["concentration"] for p in pending}
    assert ((new["concentration"] / new["participant_id"].map(truth) - 1).abs() < 0.1).all()
    with pytest.raises(ValueError, match="no samples await assay"):
        synthetic.add_plate(raw, seed=4)


def test_correct_redcap_value_changes_one_cell_to_a_value_seen_at_its_event(trial, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(trial["raw"], raw)
    before = _rows(raw / synthetic.REDCAP_FILE)
    changed = synthetic.correct_redcap_value(raw, seed=5)
    after = _rows(raw / synthetic.REDCAP_FILE)
    assert len(after) == len(before)
    cells = [(i, k) for i, (a, b) in enumerate(zip(before, after, strict=True)) for k in a if a[k] != b[k]]
    assert len(cells) == 1, cells
    ((i, field),) = cells
    row = after[i]
    assert changed == f"{row['record_id']} {row['redcap_event_name']} {field}: {before[i][field]} -> {row[field]}"
    assert not row["redcap_repeat_instrument"] and not field.endswith("_complete")
    same_event = [
        r[field] for j, r in enumerate(before) if j != i and r["redcap_event_name"] == row["redcap_event_name"]
    ]
    assert row[field] in same_event  # a value the generator wrote, so one the pipeline accepts
    again = tmp_path / "again"
    shutil.copytree(trial["raw"], again)
    synthetic.correct_redcap_value(again, seed=5)
    assert (again / synthetic.REDCAP_FILE).read_bytes() == (raw / synthetic.REDCAP_FILE).read_bytes()


@pytest.mark.pipeline
def test_pipeline_runs_clean_on_the_synthetic_trial(trial):
    workdir = trial["dir"]
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(trial["config"]), "--cores", "2"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    validation = pd.read_csv(workdir / "results/qc/validation.csv", dtype=str, keep_default_na=False)
    assert not (validation["severity"] == "error").any(), validation.head(10).to_string()
    anova = pd.read_csv(workdir / "results/stats/anova.csv")
    assert set(anova["outcome"]) == {"BDNF", "GDNF", "six_mwt", "gait_speed", "edss"}
    for _, rows in anova.groupby("outcome"):
        df1 = dict(zip(rows["effect"], rows["df1"], strict=True))
        assert df1 == {"group": 2, "time": 3, "interaction": 6}
        within = rows[rows["effect"] != "group"]
        assert within[["eps_gg", "eps_hf", "p_gg", "p_hf"]].notna().all().all()
    assert (workdir / "reports/synthetic-large/report.pdf").stat().st_size > 10_000
    # The CONSORT flow names the exclusions itself (beside the analysis, not after it): per arm,
    # outcome and reason they are the ANOVA's exclusions of participants not lost to follow-up.
    excluded = pd.read_csv(workdir / "results/stats/excluded.csv", dtype=str)
    assert (excluded["reason"].str.contains(": ")).any()  # recorded reasons reach both
    log = pd.read_csv(workdir / "results/data/disposition.csv", dtype=str)
    lost = set(log.loc[log["lost_to_follow_up"] == "True", "participant_id"])
    expected = excluded[~excluded["participant_id"].isin(lost)].groupby(["arm", "outcome", "reason"]).size()
    flow = pd.read_csv(workdir / "results/consort/flow.csv", dtype=str, keep_default_na=False)
    named = flow[(flow["stage"] == "analysis") & (flow["item"] == "excluded") & (flow["reason"] != "")]
    assert named.set_index(["arm", "outcome", "reason"])["n"].astype(int).sort_index().to_dict() == expected.to_dict()


@pytest.mark.pipeline
def test_a_new_plate_reruns_only_its_batch_and_matches_quantifying_everything(trial):
    """Batching is an implementation detail: after one plate arrives, the incremental run's
    ELISA tables equal quantifying the whole manifest in one go (the library, in memory)."""
    from trialflow.elisa import AcceptanceRules, quantify_plates
    from trialflow.outputs import write_csv

    workdir = trial["dir"]
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(trial["config"]), "--cores", "2"]  # fmt: skip
    if not (workdir / "results/elisa/concentrations.csv").exists():  # run alone: the cold run first
        assert subprocess.run(cmd, capture_output=True, timeout=600).returncode == 0
    plate = synthetic.add_plate(trial["raw"], seed=3)
    dry = subprocess.run([*cmd, "-n"], capture_output=True, text=True, timeout=300)
    batches = [line for line in dry.stdout.splitlines() if "quantify_batch_" in line and "log:" in line]
    bdnf = sorted(
        log.stem.removeprefix("quantify_batch_") for log in (workdir / "results/logs").glob("quantify_batch_BDNF-*.log")
    )
    assert len(bdnf) >= 2, bdnf
    assert len(batches) == 1 and f"quantify_batch_{bdnf[-1]}.log" in batches[0], batches  # the last BDNF batch only
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rules = yaml.safe_load(trial["config"].read_text())["elisa"]["acceptance"]
    whole = quantify_plates(
        trial["raw"] / "elisa/plates.csv",
        AcceptanceRules(**{k: tuple(v) if isinstance(v, list) else v for k, v in rules.items()}),
    )
    assert plate in set(whole.plate_qc["plate_id"])
    for name in ["wells", "standards", "controls", "plate_qc", "curves", "concentrations"]:
        write_csv(getattr(whole, name), workdir / f"whole_{name}.csv")
        assert (workdir / f"whole_{name}.csv").read_bytes() == (workdir / f"results/elisa/{name}.csv").read_bytes(), (
            name
        )
