"""Results kept between runs under a key of everything they are computed from.

A new plate of one analyte changes one outcome; its figure and its per-outcome statistics are
computed again and the others are read back. The key is a SHA-256 of the inputs (data frames by
their values, column names and types), of the package code version and of the versions of the
libraries that compute them, so a cached result is the bytes a fresh computation gives
(tests/test_result_cache.py, tests/test_figure_cache.py). A folder keeps only the entries its
last run used; deleting it costs one slower run, nothing else.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from trialflow.outputs import write_atomic


def library_versions(*names: str) -> str:
    return ";".join(f"{name} {version(name)}" for name in names)


class ResultCache:
    """Bytes stored in ``folder`` under :meth:`key`; ``salt`` (code and library versions) is
    part of every key."""

    def __init__(self, folder: str | Path, salt: str):
        self.folder, self.salt, self.used = Path(folder), salt, set()

    def key(self, *parts) -> str:
        digest = hashlib.sha256(self.salt.encode() + b"\0")
        for part in parts:
            if isinstance(part, pd.DataFrame):  # every value, bit for bit, in row order
                digest.update(repr([(str(c), str(t)) for c, t in part.dtypes.items()]).encode())
                digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
            else:
                digest.update(repr(part).encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def get(self, key: str) -> bytes | None:
        self.used.add(key)
        path = self.folder / key
        return path.read_bytes() if path.is_file() else None

    def put(self, key: str, data: bytes) -> None:
        self.used.add(key)
        write_atomic(self.folder / key, data)

    def prune(self) -> None:
        """Delete the entries this run did not use (results of data that has since changed)."""
        for path in self.folder.glob("*") if self.folder.is_dir() else []:
            if path.name not in self.used and not path.name.startswith("."):
                path.unlink()


def result_cache(folder: str | Path | None, code: str, *libraries: str) -> ResultCache | None:
    """A :class:`ResultCache` in ``folder`` (None without one) whose keys carry the step's
    ``code`` version and the versions of the ``libraries`` that compute its results."""
    return ResultCache(folder, f"{code};{library_versions(*libraries)}") if folder else None
