"""Step of the figures: each outcome's Mean ± SD figure (matplotlib, imported by this stage only)."""

from __future__ import annotations

from trialflow.cache import result_cache
from trialflow.figures import plot_outcome
from trialflow.outputs import read_csv, write_atomic


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
    step's ``code`` version or matplotlib's version changed since the run that drew it; after
    a new plate of one analyte only that analyte's figure is drawn again.
    """
    desc, eff = read_csv(descriptives), read_csv(effects)
    store = result_cache(cache, code, "matplotlib")
    for outcome, figure in zip(outcomes, figures, strict=True):
        rows = desc[desc["outcome"] == outcome["id"]], eff[eff["outcome"] == outcome["id"]]
        key = store.key(*rows, outcome, arms, times, alpha) if store else None
        svg = store.get(key) if store else None
        if svg is None:
            svg = plot_outcome(*rows, outcome, arms, times, alpha)
            if store:
                store.put(key, svg)
        write_atomic(figure, svg)
    if store:
        store.prune()
