"""Statistics: flat functions that take a tidy frame and return a tidy, unrounded frame."""

# A sum of squares below this fraction of the sum of the squared values it comes from is rounding,
# not variation: every value 0.1, or every change +5 from values such as 1.1 and 6.1, leaves
# squares of ~1e-32 of the values' own. Real data vary far more (1e-3 on 1e3 is 1e-12).
ZERO_SS = 1e-24
