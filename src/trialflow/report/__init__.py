"""Render the report: results CSVs → Jinja HTML (here) → WeasyPrint PDF (:mod:`trialflow.report.pdf`).

One Jinja environment with autoescape on for every template (whatever its name) and
``StrictUndefined``, so text from data is always escaped and a missing value is an error,
not a blank cell. The PDF writer is a module of its own so that the jobs that only render HTML
or tables do not import WeasyPrint (~0.6 s of each job's start).
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from trialflow.report import formatting

PACKAGE_DIR = Path(__file__).parent
TEMPLATES = PACKAGE_DIR / "templates"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fixed=formatting.fixed,
        mean_sd=formatting.mean_sd,
        pvalue=_p_value,
        stat=formatting.statistic,
        dfv=formatting.df_value,
        count_word=formatting.count_word,
        and_join=formatting.and_join,
    )
    return env


@jinja2.pass_context
def _p_value(context, p: float, capital: bool = True) -> str:
    """``{{ p | pvalue }}``: a p value in the report's one style, the context's ``style``."""
    return formatting.p_value(p, context["style"], capital)


def render_html(context: dict, template: str = "report.html.j2") -> str:
    return environment().get_template(template).render(**context)
