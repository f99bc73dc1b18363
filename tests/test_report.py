"""What the report prints: number formats, p-value styles, and escaping of text from data."""

import pytest

from trialflow.report import environment
from trialflow.report.formatting import df_value, fixed, mean_sd, p_value


@pytest.mark.parametrize(
    "value,decimals,expected",
    [
        (0.125, 2, "0.13"),
        (0.135, 2, "0.14"),
        (-1.005, 2, "-1.01"),
        (160.0, 1, "160.0"),
        (-0.0001, 2, "0.00"),
        (227.765, 2, "227.77"),
    ],
)
def test_fixed_rounds_half_away_from_zero(value, decimals, expected):
    assert fixed(value, decimals) == expected


@pytest.mark.parametrize(
    "p,style,expected",
    [
        (0.04123, "published", "P=0.041"),
        (0.00041, "published", "P=0.0004"),
        (0.00004, "published", "P<0.0001"),
        (0.81, "published", "P=0.810"),
        (0.04123, "apa", "p = .041"),
        (0.0004, "apa", "p < .001"),
        (0.5, "apa", "p = .500"),
    ],
)
def test_p_value_styles(p, style, expected):
    assert p_value(p, style) == expected


def test_mean_sd_and_df():
    assert mean_sd(227.7712, 26.2999, 2) == "227.77 ± 26.30"
    assert df_value(28.0) == "28" and df_value(27.3456) == "27.35"


def test_autoescape_is_on_for_any_template_name_and_undefined_is_an_error():
    env = environment()
    assert env.from_string("{{ x }}").render(x="<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing }}").render()


def test_the_pdf_streams_are_deflated_at_the_reports_level_by_the_pydyf_it_was_written_for(tmp_path):
    """write_pdf swaps pydyf's module-level ``zlib`` for one that deflates at ZLIB_LEVEL (pydyf has
    no option; level 1 wrote a large trial's PDF in 7.8 s instead of 13.7 s at pydyf's level 9).
    The swap depends on pydyf's internals, so this fails when pydyf changes: check the swap still
    works, then move the pin in pyproject.toml."""
    import zlib
    from importlib.metadata import version

    import pydyf
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    from trialflow.report.pdf import ZLIB_LEVEL, write_pdf

    assert version("pydyf").startswith("0.13."), "the deflate-level swap was written for pydyf 0.13"
    assert pydyf.zlib is zlib  # the name write_pdf swaps, restored afterwards
    write_pdf("<p>" + "a table row, " * 2000 + "</p>", tmp_path / "x.pdf", attachments={"t.csv": _csv(tmp_path)})
    assert pydyf.zlib is zlib
    reader = PdfReader(tmp_path / "x.pdf")
    objects = [reader.get_object(IndirectObject(i, gen, reader)) for gen, ids in reader.xref.items() for i in ids]
    deflated = [s for s in objects if hasattr(s, "_data") and s.get("/Filter") == "/FlateDecode"]
    assert len(deflated) > 10  # page contents, fonts, the attachment
    for stream in deflated:
        assert zlib.compress(zlib.decompress(stream._data), ZLIB_LEVEL) == stream._data


def _csv(folder):
    path = folder / "t.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i * i}\n" for i in range(5000)))
    return str(path)


@pytest.mark.parametrize(
    "shapiro,expected",
    [
        ((0.978, 0.004), "indicated a departure from normality at post (p=0.004) but not at pre (p=0.978);"),
        ((0.978, 0.300), "did not indicate a departure from normality at pre (p=0.978) and post (p=0.300);"),
        ((0.001, 0.004), "indicated a departure from normality at pre (p=0.001) and post (p=0.004);"),
        (
            (0.978, float("nan")),
            "did not indicate a departure from normality at pre (p=0.978) (not defined on the data at post);",
        ),
    ],
)
def test_the_assumption_sentence_names_exactly_the_time_points_whose_test_is_significant(shapiro, expected):
    import pandas as pd

    from trialflow.report.context import assumption_sentence

    times = [{"id": "pre", "label": "pre"}, {"id": "post", "label": "post"}]
    checks = pd.DataFrame(
        {
            "outcome": "x",
            "test": ["shapiro", "shapiro", "levene", "levene"],
            "data": ["residuals", "residuals", "values", "values"],
            "arm": None,
            "time": ["pre", "post", "pre", "post"],
            "p": [*shapiro, 0.5, 0.6],
        }
    )
    sentence = assumption_sentence({"id": "x", "label": "X"}, checks, times, "published", 0.05)
    assert f"For X, the Shapiro–Wilk test of the residuals {expected} Levene's test" in sentence


@pytest.mark.parametrize(
    ("pages", "sentence"),
    [
        (0, "No plate failed or carries flagged or superseded results, so none has a page of its own;"),
        (1, "The one plate that failed or carries flagged or superseded results follows on a page of its own;"),
        (3, "The 3 plates that failed or carry flagged or superseded results follow, one per page;"),
    ],
)
def test_the_elisa_summary_counts_the_plates_with_a_page_in_words(pages, sentence):
    # With elisa.plate_pages: attention, a trial whose plates all pass read "The 0 plates ... follow".
    rules = {
        "standard_recovery": [80, 120], "lowest_standard_recovery": [75, 125], "min_standards_pass_fraction": 0.75,
        "control_tolerance_pct": 20, "max_cv_pct": 15, "max_cv_pct_near_lloq": 20,
    }  # fmt: skip
    elisa = {
        "by_analyte": [], "failed_plates": [], "flagged": [], "list_plates": False, "n_plates": 5,
        "pages": [{}] * pages, "plate_pages": "attention", "plates": [], "reassay": [], "rules": rules,
        "superseded": [],
    }  # fmt: skip
    html = environment().get_template("elisa_summary.html.j2").render(elisa=elisa, standalone=True)
    assert sentence in " ".join(html.split())
