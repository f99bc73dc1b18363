"""Simulated ELISA kits: the standard series and the true 4PL response the demo and synthetic
plates are drawn from (:mod:`trialflow.demo.plates`, :mod:`trialflow.demo.synthetic`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KitSpec:
    """Simulated kit: standard series and the true (blank-corrected) 4PL response.

    Attributes
    ----------
    analyte
        Analyte name.
    top_standard
        Highest standard, pg/mL; the series is ``top / fold**i`` for ``i < n_levels``.
    a, b, c, d
        True 4PL of the blank-corrected OD at 450 nm.
    controls
        Nominal concentrations (pg/mL) of the low and high kit controls.
    lot
        Kit lot number written to the manifest.
    """

    analyte: str
    top_standard: float
    a: float
    b: float
    c: float
    d: float
    controls: tuple[float, float]
    lot: str
    n_levels: int = 7
    fold: float = 2.0

    @property
    def levels(self) -> list[float]:
        return [self.top_standard / self.fold**i for i in range(self.n_levels)]


# Ranges as in common sandwich-ELISA kits: BDNF 31.25-2000 pg/mL, GDNF 15.6-1000 pg/mL.
KITS = {
    "BDNF": KitSpec("BDNF", 2000.0, a=0.004, b=1.02, c=1250.0, d=3.35, controls=(150.0, 750.0), lot="BDNF-2411A"),
    "GDNF": KitSpec("GDNF", 1000.0, a=0.003, b=1.08, c=700.0, d=3.10, controls=(75.0, 375.0), lot="GDNF-2410C"),
}
