"""Steps of the analysis stage: baseline table, each outcome's analysis plan, estimation, sample
size and harms, from the validated data (each waits for the validation gate in its rule).

The steps that test or fit (scipy.stats, statsmodels: ~0.8 s of a job's start) import those
modules inside the step, so that multiplicity, estimands and harms, which need only pandas, start
without them."""

from __future__ import annotations

import logging

import pandas as pd

from trialflow import estimands as estimands_lib
from trialflow import schemas
from trialflow.analysis_plan import graph_svg
from trialflow.cache import result_cache
from trialflow.outputs import read_csv, write_atomic, write_csv
from trialflow.problems import InputError
from trialflow.stats import harms
from trialflow.stats.complete import exclusion_counts, exclusion_reasons
from trialflow.stats.descriptives import count_per_arm
from trialflow.stats.multiplicity import adjust_families, primary_p
from trialflow.steps import read_missing_values

log = logging.getLogger(__name__)

STATS_LIBRARIES = ("numpy", "scipy", "pandas")  # their versions are part of every cached result's key


def compare_baseline(
    participants: str,
    characteristics: list[dict],
    arms: list[str],
    tests: bool,
    table: str,
    categories: str,
    tests_table: str,
    per_arm: str,
) -> None:
    """The baseline characteristics per arm (numeric: mean and SD; categorical: n and % per
    level), their tests between the arms when the analysis plan asks (``tests``), and the
    participants per arm."""
    from trialflow import analysis

    people = read_csv(participants)
    baseline, by_level, compared = analysis.describe_baseline(people, characteristics, arms, tests=tests)
    write_csv(baseline, table)
    write_csv(by_level, categories)
    write_csv(compared, tests_table)
    write_csv(count_per_arm(people, arms), per_arm)


def apply_estimands(
    data: str, disposition: list[str], estimands: list[dict], times: list[str], out: dict[str, str]
) -> None:
    """The analysis data set with each estimand's intercurrent-event strategies applied
    (:func:`trialflow.estimands.apply_strategies`; ``disposition``: the accepted disposition log,
    none when no strategy needs the events' dates). ``out`` keys: data (the rows kept), missing
    (the removed values as recorded reasons), changes (every removed value) and counts (per
    outcome, event and strategy)."""
    columns = ["participant_id", "discontinued_from", "rescue_from", "source_file", "source_line"]
    log_table = (
        pd.read_csv(disposition[0], dtype=str, keep_default_na=False).reindex(columns=columns, fill_value="")
        if disposition
        else pd.DataFrame(columns=columns)
    )
    rows = read_csv(data)
    kept, changes, missing = estimands_lib.apply_strategies(rows, log_table, estimands, times)
    counts = estimands_lib.count_changes(changes, estimands)
    write_csv(kept, out["data"])
    write_csv(missing, out["missing"])
    write_csv(changes, out["changes"])
    write_csv(counts, out["counts"])
    for row in counts.itertuples():
        log.info("%s, %s (%s): %d values of %d participants removed", row.outcome, row.event, row.strategy,
                 row.n_values_removed, row.n_participants)  # fmt: skip


def analyse_outcomes(
    data: str,
    missing: list[str],
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    sphericity: str,
    assumption_data: str,
    out: dict[str, str],
    cache: str | None = None,
    code: str = "",
) -> None:
    """Descriptives, assumption checks, mixed ANOVA and simple effects of every outcome, whether
    each outcome could be analysed and why not (``status``), and who each analysis leaves out
    (``out`` keys excluded, exclusion_counts, exclusion_reasons). ``sphericity`` and
    ``assumption_data``: the analysis plan's rules (:func:`trialflow.analysis.analyse_outcomes`).

    The linear mixed model (sensitivity analysis) is fitted only if the rule asks for one of its
    tables (``out`` keys lmm_tests, lmm_emmeans, lmm_model). With ``cache`` (a folder), an
    outcome whose values did not change since the last run is not analysed again (see
    :func:`trialflow.analysis.analyse_outcomes`); ``code`` is the step's code version.
    """
    from trialflow import analysis

    lmm = any(key.startswith("lmm_") for key in out)
    store = result_cache(cache, code, *STATS_LIBRARIES)
    results = analysis.analyse_outcomes(
        read_csv(data),
        outcomes,
        arms,
        times,
        missing=read_missing_values(missing),
        lmm=lmm,
        cache=store,
        sphericity=sphericity,
        assumption_data=assumption_data,
    )
    if store:
        store.prune()
    results["exclusion_counts"] = exclusion_counts(results["excluded"], outcomes, arms, times)
    results["exclusion_reasons"] = exclusion_reasons(results["excluded"], arms)
    for key, path in out.items():
        write_csv(results[key], path)
    for row in results["excluded"].itertuples():
        log.warning("%s: participant %s excluded from the ANOVA (%s)", row.outcome, row.participant_id, row.reason)


def estimate_effects(
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
    from trialflow import analysis

    store = result_cache(cache, code, *STATS_LIBRARIES)
    write_csv(analysis.estimate_effects(read_csv(data), outcomes, arms, times, cache=store), table)
    if store:
        store.prune()


def adjust_multiplicity(
    tests: str,
    families: list[dict],
    outcomes: list[dict],
    table: str,
    graphs: list[str] = (),
    primary: str = "rm_anova",
) -> None:
    """Each family's p values adjusted for multiplicity (``families``: as
    :func:`trialflow.analysis_plan.families` resolves them), and the graph of each graphical
    family drawn, in the order of the graphical families, to ``graphs``.

    The p adjusted is the one the outcome table prints, of the ``primary`` analysis
    (:func:`trialflow.stats.multiplicity.primary_p`): ``tests`` is anova.csv for the
    repeated-measures ANOVA (its ``p_corrected``, the sphericity rule's), mmrm_tests.csv for the
    MMRM. An outcome the analysis is not defined for has none, and stays in its family as not rejected.
    """
    p = primary_p(read_csv(tests), primary)
    adjusted = adjust_families(p, families)
    write_csv(adjusted, table)
    for row in adjusted[adjusted["note"] != ""].itertuples():
        log.warning("%s: %s (%s) %s", row.family, row.outcome, row.effect, row.note)
    labels = {o["id"]: o["label"] for o in outcomes}
    drawn = [f for f in families if f["method"] == "graphical"]
    for family, path in zip(drawn, graphs, strict=True):
        names = [labels.get(o, o) for o in family["outcomes"]]
        svg = graph_svg(names, family["weights"], family["transitions"], f"Multiplicity graph of family {family['id']}")
        write_atomic(path, svg.encode("utf-8"))


def fit_mmrm(
    data: str,
    participants: str,
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    characteristics: list[dict],
    settings: dict,
    alpha: float,
    out: dict[str, str],
) -> None:
    """The MMRM of every outcome (:func:`trialflow.stats.mmrm.fit_mmrm_outcomes`): ``out`` keys
    lsmeans, contrasts, tests, covariance, fit. ``characteristics``: the config's baseline
    characteristics (their types say which covariates are factors); ``settings``: analysis.mmrm."""
    types = {c["id"]: c.get("type", "numeric") for c in characteristics}
    named = [settings.get("covariates", {})] + [o.get("covariates", {}) for o in settings.get("outcomes", {}).values()]
    unknown = sorted({c for block in named for c in block.get("characteristics", []) if c not in types})
    if unknown:
        raise InputError(
            [],
            message=f"analysis.mmrm covariates name {', '.join(unknown)}, which are not baseline characteristics "
            f"(config `baseline`: {', '.join(types) or 'none'})",
        )
    strangers = sorted(set(settings.get("outcomes", {})) - set(outcomes))
    if strangers:
        raise InputError(
            [], message=f"analysis.mmrm.outcomes names {', '.join(strangers)}, which are not outcomes of the config"
        )
    from trialflow.stats import mmrm

    tables = mmrm.fit_mmrm_outcomes(
        read_csv(data), read_csv(participants), outcomes, arms, times, settings, types, alpha=alpha
    )
    for key, path in out.items():
        write_csv(tables[key], path)
    for row in tables["fit"].itertuples():
        if not row.converged:
            log.warning("%s: MMRM not fitted (%s)", row.outcome, row.note)
        elif row.structure != row.requested_structure:
            log.warning("%s: MMRM fell back to %s (%s)", row.outcome, row.structure, row.note)


def compute_sample_size(settings: dict, table: str) -> None:
    """The a-priori sample size of the within-between interaction, as G*Power computes it."""
    from trialflow.stats.power import sample_size_rm_within_between

    result = sample_size_rm_within_between(
        settings["effect_size_f"],
        settings["alpha"],
        settings["power"],
        settings["groups"],
        settings["measurements"],
        settings["correlation"],
        settings["nonsphericity"],
    )
    write_csv(pd.DataFrame([result]), table)


def summarise_harms(events: str, participants: str, arms: list[str], table: str, by_term: str) -> None:
    """Participants with events and numbers of events per arm: by kind of harm and by event term."""
    ev, people = read_csv(events), read_csv(participants)
    write_csv(schemas.Harms.validate(harms.summarise_harms(ev, people, arms)), table)
    write_csv(schemas.HarmsByTerm.validate(harms.harms_by_term(ev, people, arms)), by_term)
