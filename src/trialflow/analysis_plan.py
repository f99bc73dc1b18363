"""The analysis plan's checks across config keys: the primary analysis, outcome roles and
multiplicity families (with their graphs drawn), and the estimands.

Standard library only: Snakemake reads it on every start (``common.smk``), to refuse a config
whose families or estimands cannot be applied before any job runs, and to give the rules their
settings with every default filled in (``adjust_multiplicity``: :func:`families`;
``apply_estimands``: :func:`estimands`). The statistics are in
:mod:`trialflow.stats.multiplicity`, the strategies applied to the data in
:mod:`trialflow.estimands`; the config keys in ``schemas/config.schema.yaml``
(``analysis.primary``, ``analysis.mmrm``, ``outcomes[].role``, ``analysis.multiplicity``,
``estimands``) and ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from xml.sax.saxutils import escape

ROLES = ("primary", "key_secondary", "secondary", "exploratory")
DEFAULT_ROLE = "secondary"
EFFECTS = ("interaction", "group", "time")
TOLERANCE = 1e-12  # weights and transition rows may exceed 1 by the rounding of typed decimals


def outcome_role(outcome: dict) -> str:
    """An outcome's role in the analysis plan (``role``, default :data:`DEFAULT_ROLE`)."""
    return outcome.get("role", DEFAULT_ROLE)


def default_effect(config: dict) -> str:
    """The effect whose p a family adjusts when it names none: the group × time interaction
    (the treatment effect of a trial with a control arm), or time with one arm."""
    return "interaction" if len(config.get("arms", [])) > 1 else "time"


def families(config: dict) -> list[dict]:
    """The configured families with every default filled in, in config order: id, outcomes
    (ids, in the family's order: as listed, or with ``role`` the outcomes of that role in config
    order), role ('' when listed), effect, method, alpha, and for ``graphical`` weights and
    transitions. Assumes :func:`config_problems` found nothing."""
    plan = config.get("analysis", {}).get("multiplicity", {})
    resolved = []
    for f in plan.get("families", []):
        outcomes = (
            list(f["outcomes"])
            if "outcomes" in f
            else [o["id"] for o in config.get("outcomes", []) if outcome_role(o) == f.get("role")]
        )
        family = {
            "id": f["id"],
            "outcomes": outcomes,
            "role": f.get("role", ""),
            "effect": f.get("effect", default_effect(config)),
            "method": f["method"],
            "alpha": f.get("alpha", config.get("analysis", {}).get("alpha", 0.05)),
        }
        if f["method"] == "graphical":
            family |= {
                "weights": list(f.get("weights", [])),
                "transitions": [list(r) for r in f.get("transitions", [])],
            }
        resolved.append(family)
    return resolved


def graph_problems(weights: list[float], transitions: list[list[float]]) -> list[str]:
    """What makes (weights, transitions) not a graph of Bretz et al. (2009), one sentence each."""
    m = len(weights)
    problems = []
    if any(not 0 <= w <= 1 for w in weights):
        problems.append("every weight is between 0 and 1")
    if sum(weights) > 1 + TOLERANCE:
        problems.append(f"the weights sum to at most 1 (they sum to {sum(weights):g})")
    if len(transitions) != m or any(len(row) != m for row in transitions):
        problems.append(f"the transition matrix is {m} × {m}, a row and a column per hypothesis")
        return problems
    for i, row in enumerate(transitions):
        if any(not 0 <= g <= 1 for g in row):
            problems.append(f"transition row {i + 1}: every entry is between 0 and 1")
        if row[i] != 0:
            problems.append(f"transition row {i + 1}: the diagonal entry is 0 (no transition to itself)")
        if sum(row) > 1 + TOLERANCE:
            problems.append(f"transition row {i + 1} sums to at most 1 (it sums to {sum(row):g})")
    return problems


def config_problems(config: dict) -> list[str]:
    """What makes the schema-valid multiplicity keys unable to describe the tests, one sentence
    each naming the key (empty when there is nothing)."""
    plan = config.get("analysis", {}).get("multiplicity", {})
    ids = [o["id"] for o in config.get("outcomes", [])]
    n_arms = len(config.get("arms", []))
    problems = []
    specs = plan.get("families", [])
    twice = sorted(i for i, n in Counter(f["id"] for f in specs).items() if n > 1)
    problems += [f"analysis.multiplicity.families: the id {i!r} is used more than once" for i in twice]
    tested: dict[tuple[str, str], str] = {}
    for i, (spec, family) in enumerate(zip(specs, families(config), strict=True)):
        where = f"analysis.multiplicity.families[{i}] ({spec['id']})"
        if ("outcomes" in spec) == ("role" in spec):
            problems.append(
                f"{where}: name its hypotheses by `outcomes` (a list of outcome ids) or by `role`, not both"
            )
            continue
        unknown = [o for o in spec.get("outcomes", []) if o not in ids]
        if unknown:
            problems.append(f"{where}: {', '.join(map(repr, unknown))} is not an outcome id ({', '.join(ids)})")
        repeated = sorted(o for o, n in Counter(spec.get("outcomes", [])).items() if n > 1)
        if repeated:
            problems.append(f"{where}: {', '.join(map(repr, repeated))} is listed more than once")
        if not family["outcomes"]:
            problems.append(
                f"{where}: no outcome has the role {spec['role']!r} (outcomes[].role, default {DEFAULT_ROLE})"
            )
        if family["effect"] != "time" and n_arms < 2:
            problems.append(f"{where}: the effect {family['effect']!r} needs two or more arms; with one arm use time")
        for o in family["outcomes"]:
            key = (o, family["effect"])
            if key in tested and o in ids:
                problems.append(
                    f"{where}: {o} ({family['effect']}) is already in family {tested[key]!r}; "
                    "a hypothesis belongs to one family"
                )
            tested.setdefault(key, spec["id"])
        graph = "weights" in spec or "transitions" in spec
        if spec["method"] == "graphical":
            if not ("weights" in spec and "transitions" in spec):
                problems.append(f"{where}: the graphical method needs `weights` and `transitions`")
                continue
            m = len(family["outcomes"])
            if len(spec["weights"]) != m:
                problems.append(
                    f"{where}: {len(spec['weights'])} weights for {m} hypotheses (one per outcome, in order)"
                )
                continue
            problems += [f"{where}: {p}" for p in graph_problems(spec["weights"], spec["transitions"])]
        elif graph:
            problems.append(f"{where}: `weights` and `transitions` are for the graphical method, not {spec['method']}")
    return problems


# --- the primary analysis ----------------------------------------------------------------------

PRIMARY_ANALYSES = ("rm_anova", "mmrm")
DEFAULT_PRIMARY = "rm_anova"  # the demo's paper used it
# The MMRM's Type III test (mmrm_tests.csv, effect) of each effect the report's Table 3 and the
# multiplicity families name: the same hypotheses as the repeated-measures ANOVA's when every time
# point is a visit; with analysis.mmrm.covariates.baseline_value the first time point is a
# covariate, the arm effect is the baseline-adjusted treatment effect over the later visits and
# arm:visit asks whether it differs between them (docs/statistics.md, "The primary analysis").
MMRM_TESTS = {"time": "visit", "group": "arm", "interaction": "arm:visit"}


def primary_analysis(config: dict) -> str:
    """``analysis.primary``: the analysis behind the report's Table 3, its results sentences, the
    estimation table and the p values the multiplicity families adjust."""
    return config.get("analysis", {}).get("primary", DEFAULT_PRIMARY)


def mmrm_settings(config: dict, outcome: str) -> dict:
    """An outcome's MMRM settings: ``analysis.mmrm`` with the outcome's overrides, as
    :func:`trialflow.stats.mmrm.fit_mmrm_outcomes` resolves them (its defaults where neither sets one)."""
    block = config.get("analysis", {}).get("mmrm", {})
    own = (block.get("outcomes") or {}).get(outcome, {})
    settings = {"covariance": "unstructured", "df": "satterthwaite", "method": "reml"}
    settings |= {k: v for k, v in block.items() if k not in ("outcomes", "covariates")}
    settings |= {k: v for k, v in own.items() if k != "covariates"}
    return settings | {"covariates": {**block.get("covariates", {}), **own.get("covariates", {})}}


def mmrm_effects(config: dict, outcome: str) -> list[str]:
    """The effects (keys of :data:`MMRM_TESTS`) the outcome's MMRM tests: time and the interaction
    need two visits, and the first time point is no visit when it is the baseline covariate."""
    baseline = bool(mmrm_settings(config, outcome)["covariates"].get("baseline_value"))
    visits, arms = len(config.get("time_points", [])) - baseline, len(config.get("arms", []))
    tested = {"time": visits > 1, "group": arms > 1, "interaction": arms > 1 and visits > 1}
    return [e for e in MMRM_TESTS if tested[e]]


def primary_problems(config: dict) -> list[str]:
    """What makes ``analysis.primary: mmrm`` impossible with this config, one sentence each naming
    the key (nothing for the repeated-measures ANOVA, whose settings the schema checks)."""
    if primary_analysis(config) != "mmrm":
        return []
    where = "analysis.primary: mmrm"
    block = config.get("analysis", {}).get("mmrm", {})
    overrides = block.get("outcomes") or {}
    ids = [o["id"] for o in config.get("outcomes", [])]
    characteristics = [c["id"] for c in config.get("baseline", [])]
    problems = []
    if len(config.get("arms", [])) < 2:
        problems.append(
            f"{where} compares the arms (each arm minus the first at each visit) and `arms` has one; "
            "use rm_anova (the one-way repeated-measures ANOVA)"
        )
    problems += [
        f"{where}: analysis.mmrm.outcomes.{o} is not an outcome id ({', '.join(ids)})"
        for o in overrides
        if o not in ids
    ]
    for key, part in [("analysis.mmrm", block), *((f"analysis.mmrm.outcomes.{o}", s) for o, s in overrides.items())]:
        unknown = [c for c in part.get("covariates", {}).get("characteristics", []) if c not in characteristics]
        if unknown:
            problems.append(
                f"{where}: {key}.covariates.characteristics names {', '.join(map(repr, unknown))}, not a "
                f"baseline characteristic (`baseline`: {', '.join(characteristics) or 'none'})"
            )
    for o in ids:
        s = mmrm_settings(config, o)
        if s["df"] == "kenward_roger" and s["method"] != "reml":
            key = f"analysis.mmrm.outcomes.{o}" if o in overrides else "analysis.mmrm"
            problems.append(
                f"{where}: Kenward–Roger degrees of freedom need REML, and {key} gives {o} "
                f"df: kenward_roger with method: {s['method']}"
            )
    if len(config.get("arms", [])) > 1:
        for i, family in enumerate(families(config)):
            untested = [o for o in family["outcomes"] if o in ids and family["effect"] not in mmrm_effects(config, o)]
            if untested:
                problems.append(
                    f"{where}: analysis.multiplicity.families[{i}] ({family['id']}) adjusts the p of "
                    f"{family['effect']}, which the MMRM of {', '.join(untested)} does not test: with "
                    "analysis.mmrm.covariates.baseline_value the first time point is a covariate and one visit "
                    "is left, whose treatment effect is `effect: group` (the arm effect, adjusted for baseline)"
                )
    return problems


# --- estimands (ICH E9(R1)) ---------------------------------------------------------------------

# Intercurrent events the disposition log records, and its column giving the first time point
# measured after the event (docs/consort.md).
EVENT_COLUMNS = {"discontinuation": "discontinued_from", "rescue": "rescue_from"}
STRATEGIES = ("treatment_policy", "hypothetical", "while_on_treatment")
REMOVING = ("hypothetical", "while_on_treatment")  # strategies that remove the values after the event


def estimands(config: dict) -> list[dict]:
    """The configured estimands in config order, each with its intercurrent events (event,
    strategy, and the disposition column that dates the event)."""
    return [
        {
            **e,
            "intercurrent_events": [
                {**i, "column": EVENT_COLUMNS[i["event"]]} for i in e.get("intercurrent_events", [])
            ],
        }
        for e in config.get("estimands", [])
    ]


def estimand_problems(config: dict) -> list[str]:
    """What makes the schema-valid estimands unable to be applied, one sentence each naming the key."""
    ids = [o["id"] for o in config.get("outcomes", [])]
    problems = []
    seen: set[str] = set()
    for i, e in enumerate(config.get("estimands", [])):
        where = f"estimands[{i}] ({e['outcome']})"
        if e["outcome"] not in ids:
            problems.append(f"{where}: {e['outcome']!r} is not an outcome id ({', '.join(ids)})")
        if e["outcome"] in seen:
            problems.append(f"{where}: the outcome has an estimand already; one estimand per outcome")
        seen.add(e["outcome"])
        events = [x["event"] for x in e.get("intercurrent_events", [])]
        twice = sorted(x for x, n in Counter(events).items() if n > 1)
        problems += [f"{where}: the intercurrent event {x!r} is given more than once" for x in twice]
        removing = [x["event"] for x in e.get("intercurrent_events", []) if x["strategy"] in REMOVING]
        if removing and "disposition" not in config.get("inputs", {}):
            problems.append(
                f"{where}: the strategies for {', '.join(removing)} need the dates of the events, from the "
                "disposition log (inputs.disposition), which the config does not name"
            )
    return problems


# --- the graph, drawn ---------------------------------------------------------------------------

NODE_R = 7.0  # mm
WIDTH = 150.0  # mm


def _num(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in {"-0", ""} else s


def _fraction(v: float) -> str:
    """A weight as typed: up to four decimals, no trailing zeros."""
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return s if s else "0"


def graph_svg(labels: list[str], weights: list[float], transitions: list[list[float]], title: str) -> str:
    """The graph of a graphical family as a deterministic SVG document (Bretz et al. 2009's
    drawing): a circle per hypothesis with its name (H1, H2, ... in order) and initial weight,
    the outcome ``labels`` in the document's title and under the drawing, an arrow per non-zero
    transition with its weight (a pair of opposite arrows bends apart). Hypotheses sit on an
    ellipse in their order, the first at the top left, clockwise; sizes in mm, font STIXGeneral."""
    m = len(labels)
    height = 60.0 if m <= 2 else 95.0
    cx, cy = WIDTH / 2, height / 2
    rx, ry = (WIDTH / 2 - NODE_R - 18, height / 2 - NODE_R - 6) if m > 2 else (WIDTH / 4, 0.0)
    centres = []
    for i in range(m):
        angle = math.pi - math.pi / m - 2 * math.pi * i / m if m > 2 else math.pi * (1 - i)
        centres.append((cx + rx * math.cos(angle), cy - ry * math.sin(angle) if m > 2 else cy))
    body = []
    for i in range(m):
        for j in range(m):
            g = transitions[i][j]
            if i == j or g == 0:
                continue
            body += _edge(centres[i], centres[j], g, bend=0.18 if transitions[j][i] else 0.0)
    for i, ((x, y), w) in enumerate(zip(centres, weights, strict=True), start=1):
        body.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(NODE_R)}" fill="#fff" stroke="#000" stroke-width="0.3"/>'
        )
        body.append(f'<text x="{_num(x)}" y="{_num(y - 0.6)}" text-anchor="middle">H{i}</text>')
        body.append(f'<text x="{_num(x)}" y="{_num(y + 3.2)}" text-anchor="middle">{_fraction(w)}</text>')
    for i, label in enumerate(labels, start=1):  # the legend, one line per hypothesis
        body.append(f'<text x="2" y="{_num(height + 4.0 * i)}">H{i}: {escape(label)}</text>')
    height += 4.0 * len(labels) + 2.0
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_num(WIDTH)}mm" height="{_num(height)}mm" '
        f'viewBox="0 0 {_num(WIDTH)} {_num(height)}" role="img" font-family="STIXGeneral, serif" font-size="2.8">'
    )
    return "\n".join(
        ['<?xml version="1.0" encoding="UTF-8"?>', head, f"<title>{escape(title)}</title>", *body, "</svg>", ""]
    )


def _edge(a: tuple[float, float], b: tuple[float, float], g: float, bend: float) -> list[str]:
    """A quadratic curve from circle a to circle b, bent to its right by ``bend`` of its length,
    with a filled head at b's rim and the weight g on it, a third of the way from a."""
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    nx, ny = dy / length, -dx / length  # the right-hand normal in SVG's y-down frame
    qx, qy = (x1 + x2) / 2 + bend * length * nx, (y1 + y2) / 2 + bend * length * ny
    sx, sy = _towards((x1, y1), (qx, qy), NODE_R)
    ex, ey = _towards((x2, y2), (qx, qy), NODE_R)
    ux, uy = ex - qx, ey - qy
    n = math.hypot(ux, uy)
    ux, uy = ux / n, uy / n
    size = 1.6
    base = (ex - size * ux, ey - size * uy)
    head = [
        (ex, ey),
        (base[0] + 0.5 * size * uy, base[1] - 0.5 * size * ux),
        (base[0] - 0.5 * size * uy, base[1] + 0.5 * size * ux),
    ]
    t = 0.35  # the label nearer the start, so the labels of crossing arrows do not meet at the crossing
    mx = (1 - t) ** 2 * sx + 2 * t * (1 - t) * qx + t**2 * base[0]
    my = (1 - t) ** 2 * sy + 2 * t * (1 - t) * qy + t**2 * base[1]
    points = " ".join(f"{_num(px)},{_num(py)}" for px, py in head)
    return [
        f'<path d="M {_num(sx)} {_num(sy)} Q {_num(qx)} {_num(qy)} {_num(base[0])} {_num(base[1])}" '
        f'fill="none" stroke="#000" stroke-width="0.25"/>',
        f'<polygon points="{points}" fill="#000"/>',
        f'<rect x="{_num(mx - 4)}" y="{_num(my - 2)}" width="8" height="3.6" fill="#fff"/>',
        f'<text x="{_num(mx)}" y="{_num(my + 0.9)}" text-anchor="middle">{_fraction(g)}</text>',
    ]


def _towards(centre: tuple[float, float], point: tuple[float, float], r: float) -> tuple[float, float]:
    """The point at distance r from ``centre`` towards ``point`` (where a curve meets the circle)."""
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    n = math.hypot(dx, dy)
    return centre[0] + r * dx / n, centre[1] + r * dy / n
