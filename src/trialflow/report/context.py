"""Assemble what the report prints from the unrounded results tables and the config.

Nothing here rounds: cells carry the numbers and the template formats them with the
registered filters, so every printed value traces to a row of a results CSV.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialflow.analysis_plan import DEFAULT_PRIMARY, MMRM_TESTS
from trialflow.estimands import EVENT_WORDS as EVENT_WORDS_ESTIMAND
from trialflow.estimands import STRATEGY_WORDS
from trialflow.outputs import read_csv, read_text_csv
from trialflow.report.elisa_context import build_elisa_context
from trialflow.report.formatting import and_join, df_value, fixed, p_value
from trialflow.stats.multiplicity import METHOD_NAMES

# Layout for larger trials (docs/report.md). Below every threshold the report is laid out as the
# demo's, whose Tables 2-3 follow the published paper.
WIDE_ARMS = 3  # from this many arms Tables 3 and 6 are set compact (smaller type, tighter cells)
LANDSCAPE_ARMS = 4  # from this many arms Table 3 gets a landscape page
WIDE_TABLE4_COLUMNS = 7  # from this many arm x time columns Table 4 is set compact
EXCLUSION_LIST_MAX = 30  # above this many excluded participants: counts per outcome and group, not a list
ASSUMPTION_ROWS_MAX = 200  # above this many assumption checks, their table has a row per outcome and time point

# CONSORT 2025 items (abridged topics) and the section of this report that answers each.
CHECKLIST = [
    ("1a", "Identification as a randomised trial; title", "design"),
    ("2", "Structured summary / design", "design"),
    ("3", "Trial registration", "design"),
    ("4", "Protocol and statistical analysis plan", "design"),
    ("9", "Trial design", "design"),
    ("11", "Settings and locations", "design"),
    ("12a", "Eligibility criteria", "eligibility"),
    ("13", "Interventions, in detail (with CERT items)", "interventions"),
    ("14", "Outcomes", "outcomes"),
    ("16a", "Sample size", "sample-size"),
    ("17-19", "Randomisation: sequence, concealment, implementation", "randomisation"),
    ("20", "Blinding", "blinding"),
    ("21", "Statistical methods", "methods"),
    ("22", "Participant flow (diagram)", "flow"),
    ("23", "Recruitment dates", "recruitment"),
    ("24", "Baseline data", "participants"),
    ("25", "Numbers analysed", "outcomes"),
    ("26", "Outcomes and estimation", "estimation"),
    ("27", "Ancillary analyses (sensitivity: ANCOVA, mixed model)", "appendix"),
    ("28", "Harms", "harms"),
    ("–", "Reported vs reproduced (audit)", "published"),
]
# The report's tables in the order it prints them; each is numbered by its place among those present.
TABLES = [
    "intervention", "estimands", "baseline", "anova", "numbers", "estimation", "elisa_plates", "harms", "exclusions",
    "reasons",
]  # fmt: skip
# Numbered A1, A2, ...: with analysis.primary: mmrm the complete-case estimates are a sensitivity
# analysis here (estimation_sensitivity) and the MMRM's contrasts are the estimation table, so
# "mmrm" (its contrasts as a sensitivity table) is printed only when the ANOVA is primary.
APPENDIX_TABLES = ["anova_full", "estimation_sensitivity", "lmm", "assumptions", "mmrm"]


MMRM_STRUCTURES = {
    "unstructured": "unstructured",
    "toeplitz_heterogeneous": "heterogeneous Toeplitz",
    "toeplitz": "Toeplitz",
    "ar1_heterogeneous": "heterogeneous AR(1)",
    "ar1": "AR(1)",
    "cs_heterogeneous": "heterogeneous compound symmetry",
    "cs": "compound symmetry",
}
MMRM_DF = {
    "satterthwaite": "Satterthwaite",
    "kenward_roger": "Kenward–Roger",
    "residual": "residual",
    "between_within": "between-within",
}


def mmrm_rows(results: dict[str, str], outcomes: list[dict], arms: list[dict], times: list[dict]) -> dict:
    """The MMRM's treatment contrasts per outcome and visit (mmrm_contrasts.csv), with each
    outcome's fit (structure used, df method, covariates, note) from mmrm_fit.csv."""
    contrasts = read_csv(results["mmrm_contrasts"])
    fits = read_csv(results["mmrm_fit"])
    for column in ("note", "covariates", "structure"):  # an all-empty text column reads as float NaN
        fits[column] = fits[column].astype(object).where(fits[column].notna(), "")
    label = {o["id"]: o["label"] for o in outcomes}
    decimals = {o["id"]: o.get("decimals", 2) for o in outcomes}
    units = {o["id"]: o.get("unit", "") for o in outcomes}
    arm_label = {a["id"]: a["label"] for a in arms}
    time_label = {t["id"]: t["label"] for t in times}
    rows = []
    for r in contrasts.to_dict("records"):
        treated, reference = r["contrast"].split(" - ")
        rows.append(
            r
            | {
                "outcome_label": label.get(r["outcome"], r["outcome"]),
                "decimals": decimals.get(r["outcome"], 2),
                "unit": units.get(r["outcome"], ""),
                "visit_label": time_label.get(r["visit"], r["visit"]),
                "contrast_label": f"{arm_label.get(treated, treated)} − {arm_label.get(reference, reference)}",
            }
        )
    fit_rows = [
        f
        | {
            "outcome_label": label.get(f["outcome"], f["outcome"]),
            "structure_words": MMRM_STRUCTURES.get(f["structure"], ""),
            "requested_words": MMRM_STRUCTURES.get(f["requested_structure"], f["requested_structure"]),
            "df_words": MMRM_DF.get(f["df_method"], f["df_method"]),
        }
        for f in fits.to_dict("records")
    ]
    return {
        "rows": rows,
        "fits": fit_rows,
        "unfitted": [f for f in fit_rows if not f["converged"]],
        "fell_back": [f for f in fit_rows if f["converged"] and f["structure"] != f["requested_structure"]],
        "structures": sorted({f["requested_words"] for f in fit_rows}),
        "df_methods": sorted({f["df_words"] for f in fit_rows}),
        "methods": sorted({f["method"].upper() for f in fit_rows}),
        "covariates": sorted({f["covariates"] for f in fit_rows if f["covariates"]}),
    }


def table_numbers(present: set[str]) -> dict[str, str]:
    """The number of each table in ``present`` by its place in :data:`TABLES` (1, 2, ...) or
    :data:`APPENDIX_TABLES` (A1, A2, ...), so a report without some table has no gap."""
    numbers = {}
    for prefix, names in (("", TABLES), ("A", APPENDIX_TABLES)):
        numbers |= {name: f"{prefix}{i}" for i, name in enumerate([n for n in names if n in present], start=1)}
    return numbers


def checklist_names(table: dict[str, str]) -> dict[str, str]:
    """Where each CONSORT checklist anchor points, in words, with the report's table numbers."""

    def tables(*names: str) -> str:
        return " and ".join(f"Table {table[n]}" for n in names if n in table)

    return {
        "design": "Trial design and interventions",
        "eligibility": "Eligibility",
        "interventions": " and ".join(filter(None, ["Intervention", tables("intervention")])),
        "outcomes": tables("anova", "numbers"),
        "sample-size": "Sample size",
        "randomisation": "Randomisation",
        "blinding": "Blinding",
        "methods": "Statistical methods",
        "recruitment": "Recruitment",
        "participants": tables("baseline") or "Participants",
        "estimation": tables("estimation") or "Estimation",
        "appendix": "Appendix",
        "harms": ", ".join(filter(None, ["Harms", tables("harms")])),
        "published": "Reported vs reproduced",
        "flow": "Figure: participant flow",
    }


DOMAIN_TITLES = {
    "biomarker": "Serum biomarkers",
    "strength": "Strength",
    "mobility": "Mobility",
    "fatigue": "Fatigue",
    "disability": "Disability",
}
EFFECTS = ["time", "group", "interaction"]
EFFECT_WORDS = {
    "time": "the main effect of time",
    "group": "the main effect of group",
    "interaction": "the group × time interaction effect",
}


def _by(frame: pd.DataFrame, *keys):
    return {
        tuple(k) if len(keys) > 1 else k[0]: row
        for k, row in zip(frame[list(keys)].itertuples(index=False), frame.to_dict("records"), strict=True)
    }


@dataclass(frozen=True)
class ReportSettings:
    """The configuration the report is written from: the config keys
    :data:`trialflow.dag.REPORT_KEYS` (the report's rules get these, and no other)."""

    trial: dict
    arms: list[dict]
    time_points: list[dict]
    outcomes: list[dict]
    baseline: list[dict]
    p_value_style: str
    alpha: float
    baseline_tests: bool
    sphericity: str = "auto"
    protocol: dict | None = None
    acceptance: dict | None = None  # the ELISA acceptance rules, with the ELISA route
    estimands: list[dict] = ()  # the estimands (ICH E9(R1)), printed as the estimand table
    primary: str = DEFAULT_PRIMARY  # analysis.primary: rm_anova | mmrm (trialflow.analysis_plan)

    @classmethod
    def from_config(cls, config: dict) -> ReportSettings:
        """From a validated config (schema defaults filled), or the part of it that
        :data:`trialflow.dag.REPORT_KEYS` names."""
        return cls(
            trial=config["trial"],
            arms=config["arms"],
            time_points=config["time_points"],
            outcomes=config["outcomes"],
            baseline=config["baseline"],
            p_value_style=config["report"]["p_value_style"],
            alpha=config["analysis"]["alpha"],
            baseline_tests=config["analysis"]["baseline_tests"],
            sphericity=config["analysis"]["sphericity"],
            protocol=config.get("protocol"),
            acceptance=config["elisa"]["acceptance"] if "elisa" in config else None,
            estimands=config.get("estimands", []),
            primary=config["analysis"].get("primary", DEFAULT_PRIMARY),
        )


def build_context(
    settings: ReportSettings,
    results: dict[str, str],
    figures: dict[str, str],
    *,
    elisa: dict[str, str] | None = None,
    consort_svg: str | None = None,
    provenance: dict | None = None,
    multiplicity_graphs: list[str] = (),
) -> dict:
    """Everything the report's template needs.

    Parameters
    ----------
    settings : what the configuration says about the trial and the report.
    results : results table name -> CSV path (descriptives, anova, ... as the report rule names them).
    figures : outcome id -> SVG path.
    elisa : ELISA table name -> CSV path, with the ELISA route (its plate summary is printed).
    consort_svg : the CONSORT flow diagram, with a disposition log.
    multiplicity_graphs : the graphs of the graphical multiplicity families, each
        ``multiplicity_<family>.svg`` (with ``results["multiplicity"]``).
    provenance : the inputs, config and code the report follows from
        (:func:`trialflow.provenance.report_record`), for its appendix.
    """
    arms, times, outcomes = settings.arms, settings.time_points, settings.outcomes
    style, alpha = settings.p_value_style, settings.alpha
    desc = read_csv(results["descriptives"])
    anova = read_csv(results["anova"])
    assumptions = read_csv(results["assumptions"])
    excluded = read_csv(results["excluded"])
    baseline = read_csv(results["baseline"])
    baseline_tests = read_csv(results["baseline_tests"])
    per_arm = read_csv(results["participants_per_arm"]).fillna({"arm": ""})
    randomised = dict(zip(per_arm["arm"], per_arm["n"].astype(int).tolist(), strict=True))
    arm_label = {a["id"]: a["label"] for a in arms}
    time_label = {t["id"]: t["label"] for t in times}

    d = _by(desc, "outcome", "arm", "time")
    families = multiplicity_families(results, outcomes, multiplicity_graphs)
    estimand_rows = estimand_table(settings.estimands, results, outcomes)
    adjusted = {(r["outcome"], r["effect"]): r for f in families for r in f["rows"]}
    primary = settings.primary
    mmrm = mmrm_rows(results, outcomes, arms, times) if "mmrm_contrasts" in results else None
    main = primary_effects(primary, anova, read_csv(results["outcome_status"]), results, mmrm, arms, outcomes)
    effects = main["effects"]
    outcome_rows = []
    for i, o in enumerate(outcomes, start=1):
        oid = o["id"]
        ex = excluded[excluded["outcome"] == oid]
        analysable = main["analysable"][oid]
        outcome_rows.append(
            {
                **o,
                "number": i,
                "figure": svg_data_uri(figures[oid]),
                "cells": {(arm["id"], t["id"]): d[(oid, arm["id"], t["id"])] for arm in arms for t in times},
                "analysable": analysable,
                "not_analysable": main["reasons"][oid],
                "effects": main["rows"][oid],
                "p": {e: row[main["p_column"]] for e, row in main["rows"][oid].items()},
                "contrasts": [r for r in (mmrm or {}).get("rows", []) if r["outcome"] == oid and primary == "mmrm"],
                "adjusted": {e: adjusted[(oid, e)] for e in effects if (oid, e) in adjusted},
                "excluded": [
                    {"id": r.participant_id, "arm": arm_label.get(r.arm, r.arm), "reason": r.reason}
                    for r in ex.itertuples()
                ],
                "assumption_text": (
                    assumption_sentence(o, assumptions, times, style, alpha)
                    if primary == "rm_anova" and analysable
                    else ""  # the MMRM's are not these: the ANOVA's checks are in the appendix then
                ),
            }
        )

    domains: dict[str, list] = {}
    for row in outcome_rows:
        domains.setdefault(row.get("domain", "outcome"), []).append(row)
    analysed_n = anova.drop_duplicates("outcome").set_index("outcome")["n"].to_dict()
    n_anova = {o["id"]: analysed_n.get(o["id"]) for o in outcomes}  # None: not analysable
    exclusions = []
    n_excluded = excluded["participant_id"].nunique()
    listed = excluded if n_excluded <= EXCLUSION_LIST_MAX else excluded.iloc[:0]  # else counts, see below
    for pid, rows in listed.groupby("participant_id", sort=True):
        labels = {o["id"]: o["label"] for o in outcomes}
        exclusions.append(
            {
                "id": pid,
                "arm": arm_label.get(rows["arm"].iloc[0], rows["arm"].iloc[0]),
                "outcomes": [labels.get(o, o) for o in rows["outcome"]],
                "reasons": sorted(set(rows["reason"])),
            }
        )
    validation = read_text_csv(results["validation"]) if "validation" in results else pd.DataFrame(columns=["severity"])
    warnings = validation[validation["severity"] == "warning"].fillna("").to_dict("records")
    rejected = validation[validation["severity"] == "error"].fillna("").to_dict("records")

    estimation = read_csv(results["estimation"]) if "estimation" in results else None
    est_rows, change_rows = [], []
    if estimation is not None:
        e = _by(estimation, "outcome", "arm", "estimand")
        for o in outcomes:
            for arm in arms[1:]:
                key = (o["id"], arm["id"])
                if (*key, "difference_in_change") in e:
                    est_rows.append(
                        {
                            "outcome": o,
                            "arm": arm["label"],
                            "dic": e[(*key, "difference_in_change")],
                            "g": e[(*key, "hedges_g")],
                            "ancova": e[(*key, "ancova_difference")],
                        }
                    )
        if len(arms) == 1:  # one arm: the change within it
            key = arms[0]["id"]
            change_rows = [
                {
                    "outcome": o,
                    "change": e[(o["id"], key, "mean_change")],
                    "g": e[(o["id"], key, "standardised_mean_change")],
                }
                for o in outcomes
                if (o["id"], key, "mean_change") in e
            ]
    lmm = read_csv(results["lmm_tests"]).to_dict("records") if "lmm_tests" in results else []
    sample_size = read_csv(results["sample_size"]).iloc[0].to_dict() if "sample_size" in results else None
    harms = harms_rows(results, arms) if "harms" in results else None

    published = None
    if "published_check" in results:
        check = read_csv(results["published_check"])
        consistency = read_csv(results["published_consistency"])
        published = {
            "n": len(check),
            "n_match": int((check["verdict"] == "match").sum()),
            "differs": check[check["verdict"] != "match"].fillna("").to_dict("records"),
            "flags": consistency[consistency["verdict"] != "consistent"].fillna("").to_dict("records"),
            "n_checks": len(consistency),
        }

    b = _by(baseline, "variable", "arm")
    categorical = [v for v in settings.baseline if v["type"] == "categorical"]
    # The paper's layout (a row per arm, a column per characteristic) when every characteristic is
    # numeric; otherwise the usual baseline table (a row per characteristic or level, a column per arm).
    baseline_rows = (
        [
            {
                "label": arm["label"],
                "n": randomised[arm["id"]],
                "cells": [b[(v["id"], arm["id"])] | {"decimals": v["decimals"]} for v in settings.baseline],
            }
            for arm in arms
        ]
        if settings.baseline and not categorical
        else []
    )
    baseline_table = (
        characteristic_rows(settings.baseline, arms, b, read_csv(results["baseline_categories"]), baseline_tests)
        if categorical
        else []
    )
    student = baseline_tests[baseline_tests["test"] == "student"].set_index("variable")["p"].to_dict()

    protocol = protocol_texts(settings.protocol)
    exclusion_table = (
        exclusion_summary(*(read_csv(results[k]) for k in ("exclusion_counts", "exclusion_reasons")), outcomes, arms)
        if n_excluded > EXCLUSION_LIST_MAX
        else None
    )
    mmrm_primary = primary == "mmrm"
    shown = {
        "intervention": bool(protocol and (protocol["intervention"] or {}).get("table")),
        "estimands": bool(estimand_rows),
        "baseline": bool(baseline_rows or baseline_table),
        "anova": True,  # the outcome table (Table 3), of the primary analysis
        "numbers": True,
        "estimation": bool(mmrm and mmrm["rows"]) if mmrm_primary else bool(est_rows or change_rows),
        "elisa_plates": bool(elisa),
        "harms": bool(harms),
        "exclusions": bool(exclusion_table),
        "reasons": bool(exclusion_table),
        "anova_full": True,
        "estimation_sensitivity": mmrm_primary and bool(est_rows or change_rows),
        "lmm": bool(lmm),
        "mmrm": not mmrm_primary and bool(mmrm and mmrm["rows"]),
        "assumptions": True,
    }
    table = table_numbers({name for name, printed in shown.items() if printed})
    for row in outcome_rows:
        row["sentence"] = results_sentence(row, style, alpha, table["anova"], primary, table.get("estimation"))
    return {
        "trial": settings.trial,
        "arms": arms,
        "times": times,
        "outcomes": outcome_rows,
        "baseline_variables": settings.baseline,
        "baseline_rows": baseline_rows,
        "baseline_table": baseline_table,
        "derived_notes": derived_notes(settings.baseline),
        "baseline_p": student,
        "show_baseline_tests": settings.baseline_tests,
        "style": style,
        "alpha": alpha,
        "n_randomised": randomised[""],
        "n_per_arm": randomised,
        "arm_label": arm_label,
        "time_label": time_label,
        "anova_table": anova.to_dict("records"),
        "effects": effects,
        "sphericity": settings.sphericity,
        "sphericity_words": sphericity_words(settings.sphericity, len(times)),
        "corrections": sorted(set(anova.loc[anova["correction"] != "none", "correction"])),
        "not_analysable": [o for o in outcome_rows if not o["analysable"]],
        "assumption_table": assumptions.to_dict("records"),
        "assumption_grid": (
            assumption_grid(assumptions, outcomes, arms, times) if len(assumptions) > ASSUMPTION_ROWS_MAX else None
        ),
        "any_excluded": len(excluded) > 0,
        "several_times": len(times) > 2,
        "domains": [{"name": DOMAIN_TITLES.get(k, k.title()), "outcomes": v} for k, v in domains.items()],
        "n_anova": n_anova,
        "n_mmrm": main.get("n", {}),  # participants in the MMRM, when it is primary
        "primary": primary,
        "ci_words": f"{100 * (1 - alpha):g} %",
        "published": published,
        "estimation": est_rows,
        "changes": change_rows,
        "sample_size": sample_size,
        "multiplicity": families,
        "estimands": estimand_rows,
        "lmm": lmm,
        "mmrm": mmrm,
        "harms": harms,
        "elisa": elisa_context(elisa, settings.acceptance) if elisa else None,
        "provenance": provenance,
        "consort_svg": svg_data_uri(consort_svg) if consort_svg else None,
        "protocol": protocol,
        "checklist": checklist_rows(
            settings.protocol,
            sample_size,
            (mmrm or {}).get("rows") if mmrm_primary else est_rows or change_rows,
            published,
        ),
        "checklist_names": checklist_names(table),
        "table": table,
        "exclusions": exclusions,
        "exclusion_summary": exclusion_table,
        "layout": {
            "wide": len(arms) >= WIDE_ARMS,
            "landscape": len(arms) >= LANDSCAPE_ARMS,
            "wide_table4": len(arms) * len(times) >= WIDE_TABLE4_COLUMNS,
        },
        "pre_post": [t["label"].lower() for t in times] == ["pre", "post"],
        "warnings": warnings,
        "rejected": rejected,
        "row_balance": read_csv(results["row_balance"]).to_dict("records") if "row_balance" in results else [],
        "sources": {k: f"results/{Path(v).parent.name}/{Path(v).name}" for k, v in results.items()},
    }


def estimand_table(estimands: list[dict], results: dict[str, str], outcomes: list[dict]) -> list[dict]:
    """A row per estimand: outcome label, population, variable, summary and each intercurrent
    event with its strategy and the values it removed (``results["estimand_counts"]``)."""
    if not estimands:
        return []
    counts = _by(read_csv(results["estimand_counts"]), "outcome", "event") if "estimand_counts" in results else {}
    labels = {o["id"]: o["label"] for o in outcomes}
    rows = []
    for e in estimands:
        events = []
        for i in e.get("intercurrent_events", []):
            n = counts.get((e["outcome"], i["event"]), {"n_values_removed": 0, "n_participants": 0})
            events.append(
                {
                    "event": EVENT_WORDS_ESTIMAND[i["event"]],
                    "strategy": STRATEGY_WORDS[i["strategy"]],
                    "removed": int(n["n_values_removed"]),
                    "participants": int(n["n_participants"]),
                }
            )
        rows.append({**e, "label": labels.get(e["outcome"], e["outcome"]), "events": events})
    return rows


def multiplicity_families(results: dict[str, str], outcomes: list[dict], graphs: list[str]) -> list[dict]:
    """The multiplicity families of ``results["multiplicity"]`` in its order, each with its
    footnote mark (a, b, ...), method in words, level, effect, outcome labels, rows (keyed by
    outcome and effect in the caller) and the drawing of a graphical family; [] without the table."""
    if "multiplicity" not in results:
        return []
    table = read_csv(results["multiplicity"])
    table["note"] = table["note"].astype(object).where(table["note"].notna(), "")
    labels = {o["id"]: o["label"] for o in outcomes}
    drawn = {Path(g).stem.removeprefix("multiplicity_"): g for g in graphs}
    found = []
    for i, (family, rows) in enumerate(table.groupby("family", sort=False)):
        mark = chr(ord("a") + i) if i < 26 else f"f{i + 1}"
        method = rows["method"].iloc[0]
        found.append(
            {
                "id": family,
                "mark": mark,
                "method": method,
                "method_words": METHOD_NAMES[method],
                "alpha": float(rows["alpha"].iloc[0]),
                "effect": rows["effect"].iloc[0],
                "effect_words": EFFECT_WORDS[rows["effect"].iloc[0]],
                "labels": [labels.get(o, o) for o in rows["outcome"]],
                "rows": [r | {"mark": mark, "method_words": METHOD_NAMES[method]} for r in rows.to_dict("records")],
                "graph": svg_data_uri(drawn[family]) if family in drawn else None,
            }
        )
    return found


def derived_notes(characteristics: list[dict]) -> list[str]:
    """'BMI (kg/m²) is derived from weight (kg) and height (cm).' for each derived characteristic."""
    labels = {v["id"]: v["label"] for v in characteristics}
    return [
        f"{v['label']} is derived from {and_join(labels[i] for i in v['from'])}."
        for v in characteristics
        if "derive" in v
    ]


BASELINE_TESTS = {  # the test whose p the baseline table prints, by kind and number of arms
    ("numeric", 2): "student",
    ("numeric", 3): "anova",
    ("categorical", 2): "fisher",
    ("categorical", 3): "fisher",
}
TEST_NAMES = {
    "student": "Student's t-test",
    "anova": "one-way ANOVA",
    "fisher": "Fisher's exact test",
}


def characteristic_rows(
    characteristics: list[dict],
    arms: list[dict],
    numeric: dict,
    categories: pd.DataFrame,
    tests: pd.DataFrame,
) -> list[dict]:
    """The baseline table with categorical characteristics: a row per numeric characteristic
    (its baseline.csv row per arm), a heading row and a row per level for a categorical one (its
    baseline_categories.csv row per arm: n and percent of the arm's participants with a value),
    each characteristic with the p of :data:`BASELINE_TESTS` and that test's name, when tested.
    """
    levels = _by(categories.fillna({"level": ""}), "variable", "level", "arm")
    tested = _by(tests, "variable", "test")
    rows = []
    for v in characteristics:
        test = BASELINE_TESTS.get((v["type"], min(len(arms), 3)))  # one arm: nothing to compare
        found = tested.get((v["id"], test))
        p = {"p": found["p"], "test": TEST_NAMES[test]} if found else {"p": None, "test": ""}
        if v["type"] == "numeric":
            cells = [numeric[(v["id"], a["id"])] | {"decimals": v["decimals"]} for a in arms]
            rows.append({"kind": "numeric", "label": v["label"], "cells": cells, **p})
            continue
        rows.append({"kind": "heading", "label": v["label"], "cells": [], **p})
        present = categories.loc[categories["variable"] == v["id"], "level"].astype(str)
        for level in [str(level) for level in v.get("levels") or []] or list(dict.fromkeys(present)):
            cells = [levels[(v["id"], level, a["id"])] for a in arms]
            rows.append({"kind": "level", "label": level, "cells": cells, "p": None, "test": ""})
    return rows


def elisa_context(tables: dict[str, str], acceptance: dict, **options) -> dict:
    """The ELISA part of a report (:func:`trialflow.report.elisa_context.build_elisa_context`)
    with the acceptance rules it was quantified under: the config's ``elisa.acceptance``, every
    rule present (the schema fills the defaults; :class:`trialflow.elisa.AcceptanceRules` reads
    the same block)."""
    return build_elisa_context(tables, **options) | {"rules": acceptance}


def exclusion_summary(counts: pd.DataFrame, reasons: pd.DataFrame, outcomes: list[dict], arms: list[dict]) -> dict:
    """The exclusions from the ANOVAs as counts (Tables 8 and 9 of a large trial), from
    results/stats/exclusion_counts.csv and exclusion_reasons.csv
    (:func:`trialflow.stats.complete.exclusion_counts`, :func:`~trialflow.stats.complete.exclusion_reasons`).

    Returns
    -------
    dict with ``n`` and ``n_per_arm`` (participants excluded from at least one outcome), ``rows``
    (per outcome: ``label`` and per arm ``{"arm", "n", "missing": {time id: n}}``) and
    ``reasons`` (per reason: ``reason``, ``cells`` (per arm) and ``total``), most frequent first.
    """
    arm_ids = [a["id"] for a in arms]
    n = _by(counts.fillna({"outcome": "", "arm": "", "time": ""}), "outcome", "arm", "time")
    times = [t for t in dict.fromkeys(counts["time"].dropna())]
    by_reason = _by(reasons.fillna({"arm": ""}), "reason", "arm")
    return {
        "n": int(n[("", "", "")]["n"]),
        "n_per_arm": {arm: int(n[("", arm, "")]["n"]) for arm in arm_ids},
        "rows": [
            {
                "label": o["label"],
                "cells": [
                    {
                        "arm": arm,
                        "n": int(n[(o["id"], arm, "")]["n"]),
                        "missing": {t: int(n[(o["id"], arm, t)]["n"]) for t in times},
                    }
                    for arm in arm_ids
                ],
            }
            for o in outcomes
        ],
        "reasons": [
            {
                "reason": reason,
                "cells": [int(by_reason[(reason, arm)]["n"]) for arm in arm_ids],
                "total": int(by_reason[(reason, "")]["n"]),
            }
            for reason in dict.fromkeys(reasons["reason"])
        ],
    }


def assumption_grid(assumptions: pd.DataFrame, outcomes: list[dict], arms: list[dict], times: list[dict]) -> dict:
    """The assumption checks' table for large trials: one row per outcome and time point, one column per check
    (Shapiro–Wilk of the residuals, of all values, of each arm's values; Levene), each cell the
    row of results/stats/assumptions.csv (statistic and p; None where there is none)."""
    columns = [("shapiro", "residuals", ""), ("shapiro", "values", "")]
    columns += [("shapiro", "values", a["id"]) for a in arms] + [("levene", "values", "")]
    checks = assumptions.assign(arm=assumptions["arm"].fillna(""))
    cell = _by(checks, "outcome", "time", "test", "data", "arm")
    return {
        "shapiro_columns": ["Residuals", "All values", *[a["label"] for a in arms]],
        "rows": [
            {"outcome": o["label"], "time": t["label"], "cells": [cell.get((o["id"], t["id"], *c)) for c in columns]}
            for o in outcomes
            for t in times
        ],
    }


HARMS_LABELS = {
    "any": "Participants with ≥ 1 adverse event",
    "serious": "Serious adverse event",
    "severe": "Severe adverse event",
    "related": "Related to the intervention (possible, probable, definite)",
    "led_to_discontinuation": "Adverse event leading to discontinuation",
    "fatal": "Death (fatal adverse event)",
}


def harms_rows(results: dict[str, str], arms: list[dict]) -> dict:
    """The harms table: per measure and per event term, one cell per arm (participants, percent,
    events), with the denominators; unrounded, as in results/stats/harms*.csv."""
    summary = _by(read_csv(results["harms"]), "measure", "arm")
    by_term = read_csv(results["harms_by_term"])
    terms = _by(by_term, "event_term", "arm") if len(by_term) else {}
    return {
        "none_recorded": all(int(summary[("any", a["id"])]["events"]) == 0 for a in arms),
        "denominators": {a["id"]: int(summary[("any", a["id"])]["denominator"]) for a in arms},
        "measures": [
            {"label": label, "cells": [summary[(measure, a["id"])] for a in arms]}
            for measure, label in HARMS_LABELS.items()
        ],
        "terms": [
            {"label": term, "cells": [terms[(term, a["id"])] for a in arms]}
            for term in dict.fromkeys(by_term["event_term"])
        ],
    }


PROTOCOL_KEYS = [
    "registration", "protocol_access", "setting", "eligibility", "recruitment",
    "randomisation", "blinding", "control", "harms",
]  # fmt: skip
INTERVENTION_KEYS = ["summary", "intensity", "supervision", "adherence", "table"]


def checklist_rows(protocol: dict | None, sample_size, estimation, published) -> list[tuple]:
    """CONSORT checklist rows (item, topic, anchor); the anchor is None ("not available") for a
    section this report does not have, so that no row links to nowhere. The audit row only
    appears when there was a publication to check."""
    protocol = protocol or {}
    present = {
        "design": bool(protocol),
        "eligibility": bool(protocol.get("eligibility")),
        "recruitment": bool(protocol.get("recruitment")),
        "randomisation": bool(protocol.get("randomisation")),
        "blinding": bool(protocol.get("blinding")),
        "interventions": bool(protocol.get("intervention")),
        "sample-size": bool(sample_size),
        "estimation": bool(estimation),
    }
    return [
        (item, topic, anchor if present.get(anchor, True) else None)
        for item, topic, anchor in CHECKLIST
        if anchor != "published" or published is not None
    ]


def protocol_texts(protocol: dict | None) -> dict | None:
    """The config's protocol block with every optional text present (None when not given), so
    the template can ask for any of them; None when there is no block at all."""
    if not protocol:  # no block, or an empty one (the schema's default): the report has no such section
        return None
    intervention = protocol.get("intervention")
    filled = {key: None for key in PROTOCOL_KEYS} | protocol
    if intervention is not None:
        filled["intervention"] = {key: None for key in INTERVENTION_KEYS} | intervention
    else:
        filled["intervention"] = None
    return filled


def svg_data_uri(path: str) -> str:
    """The figure embedded in the page, so HTML and PDF are self-contained and path-independent."""
    return "data:image/svg+xml;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


PRIMARY_WORDS = {  # the primary analysis (analysis.primary), as the results sentences name it
    "rm_anova": ("a repeated-measures ANOVA", "the repeated-measures ANOVA"),
    "mmrm": ("the mixed model for repeated measures (MMRM)", "the mixed model for repeated measures (MMRM)"),
}


def primary_effects(
    primary: str,
    anova: pd.DataFrame,
    status: pd.DataFrame,
    results: dict[str, str],
    mmrm: dict | None,
    arms: list[dict],
    outcomes: list[dict],
) -> dict:
    """What the outcome table (Table 3) prints for each outcome, from the primary analysis.

    ``rm_anova``: the rows of anova.csv per effect (``p_corrected``: the sphericity rule's p), an
    outcome analysable as outcome_status.csv says. ``mmrm``: the rows of mmrm_tests.csv per effect
    (:data:`trialflow.analysis_plan.MMRM_TESTS`: time = visit, group = arm, interaction =
    arm:visit; ``p``), an outcome analysable when its fit converged (mmrm_fit.csv, its note why
    not). Returns effects (the table's columns), rows (outcome -> effect -> row), p_column,
    analysable, reasons ('' when analysable) and, for the MMRM, n (participants analysed).
    """
    ids = [o["id"] for o in outcomes]
    if primary == "rm_anova":
        a = _by(anova, "outcome", "effect")
        status = status.set_index("outcome")
        effects = EFFECTS if len(arms) > 1 else ["time"]  # one arm: the one-way repeated-measures ANOVA
        ok = {i: bool(status.loc[i, "analysable"]) for i in ids}
        return {
            "effects": effects,
            "rows": {i: {e: a[(i, e)] for e in effects} if ok[i] else {} for i in ids},
            "p_column": "p_corrected",
            "analysable": ok,
            "reasons": {i: "" if ok[i] else status.loc[i, "reason"] for i in ids},
        }
    tests = read_csv(results["mmrm_tests"])
    fits = {f["outcome"]: f for f in (mmrm or {}).get("fits", [])}
    tested = set(tests["effect"])
    effects = [e for e in EFFECTS if MMRM_TESTS[e] in tested] or [e for e in EFFECTS if len(arms) > 1 or e == "time"]
    t = _by(tests, "outcome", "effect")
    ok = {i: bool(i in fits and fits[i]["converged"]) for i in ids}
    return {
        "effects": effects,
        "rows": {i: {e: t[(i, MMRM_TESTS[e])] for e in effects if (i, MMRM_TESTS[e]) in t} for i in ids},
        "p_column": "p",
        "analysable": ok,
        "reasons": {i: "" if ok[i] else (fits[i]["note"] if i in fits else "no MMRM fit") for i in ids},
        "n": {i: int(fits[i]["n_participants"]) if ok[i] else None for i in ids},
    }


def results_sentence(
    outcome: dict, style: str, alpha: float, table: str, primary: str = DEFAULT_PRIMARY, estimation: str | None = None
) -> str:
    """The paper's results sentence, written from the numbers (``outcome``: a row of the
    context's outcomes, its ``effects`` the rows of the primary analysis: anova.csv, or
    mmrm_tests.csv with ``primary`` mmrm, whose difference in least-squares means at the last visit
    (``contrasts``: mmrm_contrasts.csv, in Table ``estimation``) follows); for an outcome the data
    cannot support, why not. P values are those of the analysis plan's sphericity rule (ANOVA)."""
    some, the = PRIMARY_WORDS[primary]
    if not outcome["analysable"]:
        reason = outcome["not_analysable"]
        return f"{outcome['label']} could not be analysed with {some}: {reason} (Figure {outcome['number']})."
    parts, significant = [], []
    for effect, row in outcome["effects"].items():
        if primary == "mmrm":
            df1, df2, p, size = row["num_df"], row["den_df"], row["p"], ""
        else:
            df1, df2 = (row["df1"], row["df2"]) if row["correction"] == "none" else _corrected_df(row)
            p, size = row["p_corrected"], f", partial η²={fixed(row['pes'], 2)}"
        parts.append(
            f"{EFFECT_WORDS[effect]} (F({df_value(df1)},{df_value(df2)})={fixed(row['F'], 2)}, "
            f"{p_value(p, style, capital=False)}{size})"
        )
        significant.append(p < alpha)
    names = list(outcome["effects"])
    listing = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    one = len(parts) == 1
    if all(significant):
        verdict = f"{'was' if one else 'were all'} statistically significant at the {alpha:g} level"
    elif not any(significant):
        verdict = f"{'was not' if one else 'were none'} statistically significant at the {alpha:g} level"
    else:
        found = [w for w, sig in zip(names, significant, strict=True) if sig]
        verdict = f"were significant at the {alpha:g} level for {' and '.join(found)} only"
    sentence = (
        f"Regarding {outcome['label']}, {the} presented in Table {table} indicated that "
        f"{listing} {verdict} (Figure {outcome['number']})."
    )
    last = [r for r in outcome.get("contrasts", []) if r["visit"] == outcome["contrasts"][-1]["visit"]]
    for r in last:
        dec, ci = r["decimals"], f"{100 * (1 - alpha):g} %"
        sentence += (
            f" At {r['visit_label']}, the difference in least-squares means ({r['contrast_label']}) was "
            f"{fixed(r['estimate'], dec)} {outcome['unit']} ({ci} CI {fixed(r['ci_low'], dec)} to "
            f"{fixed(r['ci_high'], dec)}, {p_value(r['p'], style, capital=False)}"
            + (f"; Table {estimation})." if estimation else ").")
        )
    for effect, row in outcome.get("adjusted", {}).items():
        decision = "rejected" if row["rejected"] else "not rejected"
        shown = (
            p_value(row["p_adjusted"], style, capital=False).replace("p", "adjusted p", 1)
            if row["note"] == ""
            else "no adjusted p (the test is not defined on the data)"
        )
        sentence += (
            f" Adjusted for multiplicity ({row['method_words']}, family {row['family']}), "
            f"{EFFECT_WORDS[effect]} has {shown}: its null hypothesis is {decision} at the {row['alpha']:g} level."
        )
    return sentence


def sphericity_words(rule: str, n_times: int) -> str:
    """What the printed p values of effects within participants assume, in words."""
    if n_times < 3 or rule == "none":
        return "uncorrected (sphericity assumed)" if n_times >= 3 else "with two time points sphericity holds"
    return {
        "gg": "Greenhouse–Geisser corrected for effects within participants",
        "hf": "Huynh–Feldt corrected for effects within participants",
        "auto": "corrected for non-sphericity for effects within participants: Greenhouse–Geisser where "
        "its ε < 0.75, Huynh–Feldt otherwise",
    }[rule]


def _corrected_df(row: dict) -> tuple[float, float]:
    """The degrees of freedom of a sphericity-corrected F (ε × df; Huynh–Feldt's ε capped at 1)."""
    epsilon = row["eps_gg"] if row["correction"] == "gg" else min(row["eps_hf"], 1.0)
    return row["df1"] * epsilon, row["df2"] * epsilon


def assumption_sentence(outcome: dict, assumptions: pd.DataFrame, times: list[dict], style: str, alpha: float) -> str:
    """Shapiro–Wilk (residuals) and Levene (mean-centred) per time point, stated as the paper
    does, naming exactly the time points whose test is significant (and those where it is not
    defined on the data)."""
    rows = assumptions[assumptions["outcome"] == outcome["id"]]

    def clause(test: str, data: str, finding: str) -> str:
        picked = rows[(rows["test"] == test) & (rows["data"] == data) & (rows["arm"].fillna("") == "")]
        ps = {r.time: r.p for r in picked.itertuples()}

        def listed(kept: list[dict]) -> str:
            return and_join(f"{t['label']} ({p_value(ps[t['id']], style, capital=False)})" for t in kept)

        defined = [t for t in times if t["id"] in ps and ps[t["id"]] == ps[t["id"]]]  # NaN: not defined
        found = [t for t in defined if ps[t["id"]] < alpha]
        fine = [t for t in defined if ps[t["id"]] >= alpha]
        if found:
            text = f"indicated {finding} at {listed(found)}" + (f" but not at {listed(fine)}" if fine else "")
        elif fine:
            text = f"did not indicate {finding} at {listed(fine)}"
        else:
            text = "could not be computed"
        undefined = [t["label"] for t in times if t not in defined]
        return text + (f" (not defined on the data at {and_join(undefined)})" if undefined and defined else "")

    normal = clause("shapiro", "residuals", "a departure from normality")
    sentence = f"For {outcome['label']}, the Shapiro–Wilk test of the residuals {normal}"
    if (rows["test"] == "levene").any():  # none with one arm: there are no arms to compare
        sentence += f"; Levene's test (mean-centred) {clause('levene', 'values', 'unequal variances between the arms')}"
    return sentence + "."
