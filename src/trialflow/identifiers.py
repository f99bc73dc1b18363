"""Direct identifiers: columns that name a person and must never reach results or reports.

Trial exports sometimes carry a name, an e-mail address or a date of birth next to the
pseudonymous ``participant_id`` (a REDCap export with identifier fields, a lab sheet that
was never cleaned). Such a column is dropped as soon as the file is read, with a warning
that names the column but never its values. Matching is on the column name only, ignoring
case, spaces and punctuation (``E-mail``, ``First Name`` and ``date_of_birth`` all match);
a column whose name merely contains a word (``analyte_name``, ``sample_date``) does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from trialflow.problems import Problem

# Column names (lower case, letters and digits only) that identify a person directly.
DIRECT_IDENTIFIERS = frozenset(
    {
        # names
        "name",
        "fullname",
        "firstname",
        "givenname",
        "forename",
        "forenames",
        "middlename",
        "lastname",
        "surname",
        "familyname",
        "maidenname",
        "patientname",
        "participantname",
        "subjectname",
        "initials",
        # contact
        "email",
        "emailaddress",
        "mail",
        "phone",
        "phonenumber",
        "phoneno",
        "telephone",
        "telephonenumber",
        "tel",
        "telno",
        "mobile",
        "mobilenumber",
        "mobilephone",
        "cellphone",
        "fax",
        "address",
        "homeaddress",
        "streetaddress",
        "postaladdress",
        "street",
        "postcode",
        "postalcode",
        "zip",
        "zipcode",
        "ipaddress",
        # birth
        "dateofbirth",
        "dob",
        "birthdate",
        "birthday",
        # national and hospital numbers
        "nhsnumber",
        "nhsno",
        "ssn",
        "socialsecuritynumber",
        "nationalid",
        "nationalidnumber",
        "passport",
        "passportnumber",
        "mrn",
        "medicalrecordnumber",
        "hospitalnumber",
    }
)

RULE = "direct_identifier"


def normalise(column: str) -> str:
    """``'E-mail '`` → ``'email'``: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(column).casefold())


def find_direct_identifiers(columns: Iterable[str]) -> list[str]:
    """The columns (as written, in order) whose name is a direct identifier."""
    return [c for c in columns if normalise(c) in DIRECT_IDENTIFIERS]


def identifier_warning(name: str, line: str, column: str) -> Problem:
    """The warning for a dropped identifier column; it never carries a value."""
    return Problem(
        name,
        line,
        column,
        "",
        RULE,
        "warning",
        f"column {column!r} looks like a direct identifier; it was dropped and never reaches results or reports",
    )


def drop_identifiers(frame: pd.DataFrame, name: str, line: str = "1") -> tuple[pd.DataFrame, list[Problem]]:
    """Drop direct-identifier columns from ``frame``; one warning per column dropped.

    :func:`trialflow.readers.read_table` already does this for every file it reads; call this
    for tables that come from elsewhere. ``line`` is where the header is (``'1'``, or a cell
    such as ``'Sheet1!1'``).
    """
    found = find_direct_identifiers(frame.columns)
    return frame.drop(columns=found), [identifier_warning(name, line, c) for c in found]
