"""Write the Allotrope Simple Model (ASM) plate-reader fixtures of tests/test_readers_asm.py
(seeded: rerun to get the same files), shaped as allotropy writes them: the REC/2025/03 manifest
with one plate reader document per well holding a measurement document per wavelength, and the
BENCHLING/2023/09 manifest with one measurement document per plate reader document. The numbers
are our own.

Run: ``python tests/data/plates/asm/make_fixtures.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = "http://purl.allotrope.org/manifests/plate-reader/{}/plate-reader.manifest"


def wells(n: int) -> list[str]:
    rows, cols = ("ABCDEFGH", 12) if n == 96 else ("ABCDEFGHIJKLMNOP", 24)
    return [f"{r}{c}" for r in rows for c in range(1, cols + 1)]


def values(seed: int, n: int = 96) -> dict[str, float]:
    """Absorbance to 4 decimals; the 620 nm reference (seed ``ABS[620]``) reads low."""
    rng = random.Random(seed)
    low, high = (0.03, 0.09) if seed == ABS[620] else (0.04, 3.2)
    return {w: round(rng.uniform(low, high), 4) for w in wells(n)}


ABS = {450: 9450, 620: 9620}
OVERFLOW = "C5"  # the 450 nm read of this well carries an error document 'OVRFLW'
LUM = 9900


def _systems(name: str) -> dict:
    return {
        "data system document": {
            "ASM file identifier": name.replace(".json", ".json"),
            "data system instance identifier": "N/A",
            "file name": name.replace(".json", ".txt"),
            "software name": "Gen5",
            "software version": "3.12.08",
            "ASM converter name": "allotropy_agilent_gen5",
            "ASM converter version": "0.1.105",
        },
        "device system document": {"device identifier": "N/A", "model number": "Synergy H1"},
    }


def write_absorbance(path: Path) -> dict:
    """One 96-well plate read at 450 and 620 nm; well C5 overflowed at 450 nm; per-well
    calculated data 'Blank 450' (one source each) and a group mean (three sources)."""
    docs = []
    ids: dict[tuple[str, int], str] = {}
    n = 0
    for well in wells(96):
        measurements = []
        for nm in (450, 620):
            n += 1
            ids[(well, nm)] = f"TRIALFLOW_TEST_ID_{n}"
            md = {
                "device control aggregate document": {
                    "device control document": [
                        {
                            "device type": "plate reader",
                            "detection type": "Absorbance",
                            "detector wavelength setting": {"value": float(nm), "unit": "nm"},
                        }
                    ]
                },
                "measurement identifier": ids[(well, nm)],
                "sample document": {
                    "location identifier": well,
                    "sample identifier": f"IL6-P1 {well}",
                    "well plate identifier": "IL6-P1",
                },
                "absorbance": {"value": values(ABS[nm])[well], "unit": "mAU"},
            }
            if well == OVERFLOW and nm == 450:
                md["absorbance"]["value"] = -0.0
                md["error aggregate document"] = {
                    "error document": [{"error": "OVRFLW", "error feature": "absorbance"}]
                }
            measurements.append(md)
        docs.append(
            {
                "measurement aggregate document": {
                    "measurement time": "2025-03-14T09:41:07+00:00",
                    "plate well count": {"value": 96, "unit": "#"},
                    "container type": "well plate",
                    "measurement document": measurements,
                }
            }
        )
    calculated = [
        {
            "calculated data name": "Blank 450",
            "calculated result": {"value": round(values(ABS[450])[w] - 0.05, 4), "unit": "mAU"},
            "calculated data identifier": f"TRIALFLOW_CALC_{k}",
            "data source aggregate document": {
                "data source document": [{"data source identifier": ids[(w, 450)], "data source feature": "absorbance"}]
            },
        }
        for k, w in enumerate(wells(96))
    ]
    calculated.append(
        {
            "calculated data name": "Mean",
            "calculated result": {"value": 1.0, "unit": "mAU"},
            "calculated data identifier": "TRIALFLOW_CALC_MEAN",
            "data source aggregate document": {
                "data source document": [
                    {"data source identifier": ids[(w, 450)], "data source feature": "absorbance"}
                    for w in ("A1", "A2", "A3")
                ]
            },
        }
    )
    doc = {
        "$asm.manifest": MANIFEST.format("REC/2025/03"),
        "plate reader aggregate document": {
            "plate reader document": docs,
            **_systems(path.name),
            "calculated data aggregate document": {"calculated data document": calculated},
        },
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return doc


def write_luminescence(path: Path) -> None:
    """A 384-well luminescence plate, BENCHLING/2023/09 manifest, no wavelength setting."""
    rng = random.Random(LUM)
    docs = [
        {
            "measurement aggregate document": {
                "plate well count": {"value": 384, "unit": "#"},
                "container type": "well plate",
                "measurement time": "2025-03-14T10:00:00+00:00",
                "measurement document": [
                    {
                        "device control aggregate document": {
                            "device control document": [{"device type": "luminescence detector"}]
                        },
                        "measurement identifier": f"LUM_{k}",
                        "sample document": {"location identifier": well, "well plate identifier": "LUM-7"},
                        "luminescence": {"value": float(rng.randrange(100, 900000)), "unit": "RLU"},
                    }
                ],
            }
        }
        for k, well in enumerate(wells(384))
    ]
    doc = {
        "$asm.manifest": MANIFEST.format("BENCHLING/2023/09"),
        "plate reader aggregate document": {"plate reader document": docs, **_systems(path.name)},
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def luminescence_values() -> dict[str, float]:
    rng = random.Random(LUM)
    return {well: float(rng.randrange(100, 900000)) for well in wells(384)}


def main() -> None:
    write_absorbance(HERE / "asm_absorbance_450_620.json")
    write_luminescence(HERE / "asm_luminescence_384.json")
    text = (HERE / "asm_absorbance_450_620.json").read_text(encoding="utf-8")
    (HERE / "asm_truncated.json").write_text(text[: len(text) // 3], encoding="utf-8")


if __name__ == "__main__":
    main()
