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
