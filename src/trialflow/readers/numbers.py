"""Numbers as written, and the marks plate readers and spreadsheets print instead of a number.

:func:`parse_number` reads a plain number (a decimal comma only where the file allows it);
:func:`check_number` says why a cell is not one: empty, an instrument mark (``OVER``, ``****``,
``Range?``, ``<LLOQ``, ``n.d.``, ``N/A`` ...: :func:`classify_sentinel` names the flag), a
spreadsheet error, a thousands separator, or a decimal comma where none is read.
"""

from __future__ import annotations

import math
import re

EXCEL_ERRORS = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#UNKNOWN!",
)
SENTINELS: dict[str, str] = {
    # saturated: the signal overflowed the reader
    "over": "saturated",
    "overflow": "saturated",
    "ovrflw": "saturated",
    "ovfl": "saturated",
    "sat": "saturated",
    "saturated": "saturated",
    # out_of_range: outside the standard curve (or above it)
    "range?": "out_of_range",
    "range": "out_of_range",
    "out of range": "out_of_range",
    "oor": "out_of_range",
    "oor >": "out_of_range",
    ">uloq": "out_of_range",
    "above uloq": "out_of_range",
    "above range": "out_of_range",
    "high": "out_of_range",
    # below_lloq: under the lower limit of quantification (or detection)
    "<lloq": "below_lloq",
    "<loq": "below_lloq",
    "<lod": "below_lloq",
    "<llod": "below_lloq",
    "blq": "below_lloq",
    "bql": "below_lloq",
    "bloq": "below_lloq",
    "oor <": "below_lloq",
    "below lloq": "below_lloq",
    "below range": "below_lloq",
    "low": "below_lloq",
    # not_determined
    "n.d.": "not_determined",
    "n.d": "not_determined",
    "nd": "not_determined",
    "n/d": "not_determined",
    "not determined": "not_determined",
    "not done": "not_determined",
    "n/a": "not_determined",
    "na": "not_determined",
    "n.a.": "not_determined",
    "#n/a": "not_determined",
    "nan": "not_determined",
    "null": "not_determined",
    "no result": "not_determined",
}
FLAG_WORDS = {
    "saturated": "the signal saturated the reader",
    "out_of_range": "the reading is outside the range of the standard curve",
    "below_lloq": "the value is below the lower limit of quantification",
    "not_determined": "no value was determined",
}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_COMMA_NUMBER = re.compile(r"[+-]?[0-9]*,[0-9]+(?:[eE][+-]?[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9][0-9.,]*[0-9]")


def classify_sentinel(text: str) -> str | None:
    """The flag an instrument mark stands for, else None (numbers and empty cells are not marks).

    Flags: ``saturated`` (``OVER``, ``OVRFLW``, ``****``), ``out_of_range`` (``Range?``,
    ``OOR >``, ``>ULOQ``, ``????``, ``>2000``), ``below_lloq`` (``<LLOQ``, ``<LOD``, ``BLQ``,
    ``OOR <``, ``<15.6``), ``not_determined`` (``n.d.``, ``N/A``, ``#N/A``, ``NaN``).
    Case and spacing do not matter.
    """
    t = " ".join(str(text).strip().casefold().split())
    if not t:
        return None
    t = re.sub(r"^([<>])\s+", r"\1", t)
    if t in SENTINELS:
        return SENTINELS[t]
    if re.fullmatch(r"\*{2,}", t):
        return "saturated"
    if re.fullmatch(r"\?{2,}", t):
        return "out_of_range"
    if t[0] in "<>" and (_NUMBER.fullmatch(t[1:]) or _COMMA_NUMBER.fullmatch(t[1:])):
        return "below_lloq" if t[0] == "<" else "out_of_range"
    return None


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """A number as written (``'12.5'``; ``'12,5'`` when decimal commas are allowed), else None.

    Only ASCII digits, an optional sign, one decimal mark and an exponent are read: no
    thousands separators, no ``nan``/``inf``, no ``1_000`` or non-ASCII digits.
    """
    s = str(text).strip()
    if _NUMBER.fullmatch(s):
        value = float(s)
    elif decimal_comma and _COMMA_NUMBER.fullmatch(s):
        value = float(s.replace(",", "."))
    else:
        return None
    return value if math.isfinite(value) else None


def check_number(
    text: str, column: str, decimal_comma: bool = False, workbook: bool = False
) -> tuple[float | None, str, str]:
    """Read a number for ``column``: ``(value, '', '')``, or ``(None, rule, message)`` saying why not.

    Rules: ``number`` (empty, not a number, a spreadsheet error), ``sentinel`` (an instrument
    mark, named with its flag), ``number_format`` (a thousands separator, or a decimal comma
    where decimal commas are not read).
    """
    s = str(text).strip()
    value = parse_number(s, decimal_comma)
    if value is not None:
        return value, "", ""
    hint = "write a plain number such as 57.3"
    if s == "":
        return None, "number", f"{column} is empty; {hint}"
    flag = classify_sentinel(s)
    if flag:
        why = f"{FLAG_WORDS[flag]} ({flag}); a mark is never turned into a number, so enter the value or remove the row"
        return None, "sentinel", f"{column} is an instrument mark, not a number: {why}"
    if s.upper() in EXCEL_ERRORS:
        return None, "number", f"{column} is the spreadsheet error {s.upper()}: the formula that made it failed; {hint}"
    if _GROUPED.fullmatch(s) and (("." in s and "," in s) or s.count(",") > 1 or s.count(".") > 1):
        why = "which mark is the decimal one is never guessed, so write the number without separators, such as 1234.5"
        return None, "number_format", f"{column} has a thousands separator or more than one decimal mark; {why}"
    if _COMMA_NUMBER.fullmatch(s):
        where = "a workbook" if workbook else "a comma-separated file"
        why = f"which is read only in text files separated by ';' or tab, not in {where}; write {s.replace(',', '.')}"
        return None, "number_format", f"{column} has a decimal comma, {why}"
    return None, "number", f"{column} is not a number; {hint}"
