"""The report's PDF: WeasyPrint, allowed to load only this package's templates, styles and fonts
and the figures passed in; anything else (other files, http, data from elsewhere) fails the render.
"""

from __future__ import annotations

import contextlib
import datetime
import types
import zlib
from pathlib import Path
from urllib.parse import unquote, urlparse

import pydyf
import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from trialflow.outputs import write_atomic
from trialflow.report import PACKAGE_DIR

# pydyf deflates every PDF stream at zlib level 9 and has no option for it. The attached CSVs are
# most of a large trial's report (41 MB of CSV in benchmarks/): writing its PDF took 13.7 s at
# level 9, 9.9 s at 6 and 7.8 s at 1, for 8.3, 8.6 and 10.2 MB. A report redone after every new
# plate favours speed, so write_pdf swaps pydyf's module-level zlib while it writes: written for
# pydyf 0.13 (pinned in pyproject.toml; tests/test_report.py fails when pydyf changes).
ZLIB_LEVEL = 1


class FetchRefused(FatalURLFetchingError):
    """A resource outside the package and the figures was requested; the render stops."""


class RestrictedFetcher(URLFetcher):
    """Serve only files inside ``allowed_dirs``; anything else stops the render.

    WeasyPrint's default fetcher reads any file and any URL; a report built from data must
    not embed ``file:///etc/passwd`` or call out to the network because a cell said so.
    """

    def __init__(self, allowed_dirs: list[Path]):
        super().__init__(allowed_protocols=["file", "data"], fail_on_errors=True)
        self.roots = [Path(d).resolve() for d in allowed_dirs]
        self.refused: list[str] = []  # WeasyPrint swallows errors inside SVG images; write_pdf checks this

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme == "data":  # embedded figures carry their bytes; nothing is loaded
            return super().fetch(url, headers)
        path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
        if path is None or not any(path.is_relative_to(r) for r in self.roots) or not path.is_file():
            self.refused.append(url)
            raise FetchRefused(
                f"refused to load {url!r}: the report may only use the package's own "
                "templates, styles and fonts and the pipeline's figures"
            )
        mime = {".svg": "image/svg+xml", ".ttf": "font/ttf", ".css": "text/css", ".png": "image/png"}
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), {"Content-Type": mime.get(path.suffix, "application/octet-stream")}
        )


def write_pdf(
    html: str,
    out_pdf: str | Path,
    allowed_dirs: list[Path] = (),
    attachments: dict[str, str] | None = None,
    created: str | None = None,
) -> bytes:
    """Render ``html`` to PDF bytes (and write them atomically to ``out_pdf``).

    With ``attachments`` (name -> file) the PDF is PDF/A-3b with those files embedded
    byte for byte, dated ``created`` (the data cut-off, ISO date) so the bytes do not depend on
    the day of the run. Only :class:`RestrictedFetcher` loads resources; a refused fetch — also
    one inside an SVG, which WeasyPrint would otherwise swallow — fails the render.
    """
    fetcher = RestrictedFetcher([PACKAGE_DIR, *allowed_dirs])
    doc = weasyprint.HTML(string=html, base_url=PACKAGE_DIR.as_uri() + "/", url_fetcher=fetcher)
    options = {}
    if attachments is not None:
        when = datetime.datetime.fromisoformat(created or "2000-01-01").replace(tzinfo=datetime.UTC)
        options = {
            "pdf_variant": "pdf/a-3b",
            "attachments": [
                weasyprint.Attachment(
                    string=Path(path).read_bytes(),
                    name=name,
                    description=name,
                    relationship="Data",
                    created=when,
                    modified=when,
                )
                for name, path in sorted(attachments.items())
            ],
        }
    with _deflate_level(ZLIB_LEVEL):
        pdf = doc.write_pdf(**options)
    if fetcher.refused:  # refused inside an SVG image: WeasyPrint logged it and drew on; the render still fails
        raise FetchRefused(
            f"refused to load {fetcher.refused[0]!r} (linked from an image): the report may only use the "
            "package's own templates, styles and fonts and the pipeline's figures"
        )
    write_atomic(out_pdf, pdf)
    return pdf


@contextlib.contextmanager
def _deflate_level(level: int):
    """Let pydyf deflate at ``level`` while the PDF is written (it has no option for it)."""
    shim = types.SimpleNamespace(
        compress=lambda data, *args, **kwargs: zlib.compress(data, level),
        compressobj=lambda *args, **kwargs: zlib.compressobj(level=level),
    )
    saved, pydyf.zlib = pydyf.zlib, shim
    try:
        yield
    finally:
        pydyf.zlib = saved
