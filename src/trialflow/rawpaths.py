"""Where a raw input may live: inside the raw folder, after every symlink is resolved.

Standard library only: ``workflow/rules/common.smk`` checks the configured inputs with it on
every Snakemake start, before any job reads a byte of them. :func:`trialflow.readers.inside_raw`
is the same function, for readers of files that other files name (plate exports, plate maps).
"""

from __future__ import annotations

import os
from pathlib import Path


def inside_raw(path: str | os.PathLike, raw_dir: str | os.PathLike, base: str | os.PathLike = ".") -> str | None:
    """Why ``path`` may not be read as a raw input, or None when it may.

    ``path`` and ``raw_dir`` (relative ones: to ``base``) are resolved first (every symlink
    followed, ``..`` removed), so a link inside the raw folder that points outside it is refused
    like a path that starts outside. A path that does not exist is not refused here (the reader
    names a missing file). The message names the path and the raw folder as given, and where
    the path leads.
    """
    given = Path(path)
    root = (Path(base) / raw_dir).resolve()
    target = (Path(base) / given).resolve()
    if target == root or not target.is_relative_to(root):
        where = "" if target == (Path(base) / given).absolute() else f" (it leads to {target.as_posix()})"
        return (
            f"{given.as_posix()}{where} is not inside the raw folder {Path(raw_dir).as_posix()}; "
            "raw inputs are read only from there"
        )
    return None
