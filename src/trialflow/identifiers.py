"""Direct identifiers: columns that name a person and must never reach results or reports.

Trial exports sometimes carry a name, an e-mail address or a date of birth next to the
pseudonymous ``participant_id`` (a REDCap export with identifier fields, a lab sheet that
was never cleaned). Such a column is dropped as soon as the file is read, with a warning
that names the column but never its values.

Matching is on the column name only, ignoring case, accents, spaces and punctuation. A name
is cut into words (``next_of_kin_phone``, ``NOKPhone`` and ``Telephone 1`` all give their
words), and it is a direct identifier when

* the whole name is one of :data:`DIRECT_IDENTIFIERS` (``E-mail``, ``First Name``,
  ``date_of_birth``, ``dob``), or
* what is left after taking off words that only say *whose* or *which* one is such a name:
  leading :data:`OWNER_WORDS` (``home_phone``, ``nok_phone``, ``next_of_kin_name``,
  ``guardian_email``, ``patient_initials``) and trailing counters and
  :data:`QUALIFIER_WORDS` (``telephone_1``, ``phone2``, ``email_2``, ``name_first``,
  ``address_line_1``), or
* it names another person to contact and nothing else (:data:`OTHER_PERSONS`:
  ``next_of_kin``, ``nok``, ``emergency_contact_2``).

A column whose name merely *contains* such a word does not match (``analyte_name``,
``test_name``, ``sample_date``, ``phase``, ``contact_date``, ``subject_id``): the identifying
word must be the whole of what is left. REDCap flags identifier fields in its data dictionary
("Identifier?" = ``y``), but a raw-data export does not carry the flag, so the names REDCap
projects give such fields (``telephone_1``, ``email``, ``dob``, ``next_of_kin_name`` ...) are
what is recognised here.

A column the configuration names (an outcome's REDCap field, the record ID) is never dropped:
the configuration wins, and a warning names the column, so the choice is on record
(:func:`screen_header`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

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
        "nickname",
        "preferredname",
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
        "pager",
        "fax",
        "faxnumber",
        "address",
        "addr",
        "addressline",
        "homeaddress",
        "streetaddress",
        "postaladdress",
        "mailingaddress",
        "street",
        "city",
        "town",
        "county",
        "postcode",
        "postalcode",
        "zip",
        "zipcode",
        "ipaddress",
        "macaddress",
        "url",
        "website",
        # birth
        "dateofbirth",
        "dob",
        "birthdate",
        "birthday",
        # national, hospital, insurance and other personal numbers
        "nhsnumber",
        "nhsno",
        "chinumber",
        "ssn",
        "socialsecuritynumber",
        "nationalid",
        "nationalidnumber",
        "nationalinsurancenumber",
        "passport",
        "passportnumber",
        "driverslicense",
        "driverslicence",
        "driverlicense",
        "licensenumber",
        "licencenumber",
        "mrn",
        "medicalrecordnumber",
        "hospitalnumber",
        "medicarenumber",
        "medicaidnumber",
        "insurancenumber",
        "healthplannumber",
        "accountnumber",
        "bankaccount",
        "iban",
        # pictures and signatures
        "photo",
        "photograph",
        "mugshot",
        "signature",
    }
)

# Leading words that say whose, or which, contact detail a column holds: ``home_phone``,
# ``nok_phone``, ``next_of_kin_name``, ``guardian_email``, ``patient_initials``.
OWNER_WORDS = frozenset(
    {
        "home",
        "work",
        "mobile",
        "daytime",
        "evening",
        "primary",
        "secondary",
        "alt",
        "alternate",
        "alternative",
        "other",
        "contact",
        "emergency",
        "emergencycontact",
        "contactperson",
        "nok",
        "nextofkin",
        "kin",
        "guardian",
        "parent",
        "mother",
        "father",
        "mom",
        "mum",
        "dad",
        "caregiver",
        "carer",
        "spouse",
        "partner",
        "relative",
        "patient",
        "participant",
        "subject",
        "pt",
        "person",
        "personal",
        "gp",
        "doctor",
        "physician",
        "legal",
        "consent",
        "witness",
    }
)
# Trailing words that say which one of several: ``phone_no``, ``name_first``, ``address_line``.
QUALIFIER_WORDS = frozenset(
    {
        "no",
        "nr",
        "num",
        "number",
        "home",
        "work",
        "mobile",
        "cell",
        "primary",
        "secondary",
        "alt",
        "other",
        "first",
        "last",
        "middle",
        "full",
        "given",
        "family",
        "maiden",
        "line",
    }
)
# Owner words that name another person to contact: the column alone identifies them.
OTHER_PERSONS = frozenset({"nok", "nextofkin", "emergencycontact", "contactperson"})

RULE = "direct_identifier"


def normalise(column: str) -> str:
    """``'E-mail '`` → ``'email'``: lower case, accents removed, letters and digits only."""
    return "".join(words(column))


def words(column: str) -> list[str]:
    """The words of a column name, lower case: ``'NOKPhone_2'`` → ``['nok', 'phone', '2']``."""
    text = unicodedata.normalize("NFKD", str(column)).encode("ascii", "ignore").decode()
    return [w.casefold() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", text)]


def is_direct_identifier(column: str) -> bool:
    """Whether the column's name is a direct identifier (the rules of this module's docstring)."""
    parts = words(column)
    if "".join(parts) in DIRECT_IDENTIFIERS:
        return True
    ends = [len(parts)]  # strip trailing counters and qualifiers: telephone_1, name_first
    while ends[-1] > 0 and (parts[ends[-1] - 1].isdigit() or parts[ends[-1] - 1] in QUALIFIER_WORDS):
        ends.append(ends[-1] - 1)
    starts, owners = [0], []  # strip leading owners, the longest phrase first: next_of_kin_name
    while True:
        s = starts[-1]
        k = next((k for k in range(len(parts) - s, 0, -1) if "".join(parts[s : s + k]) in OWNER_WORDS), 0)
        if k == 0:
            break
        owners.append("".join(parts[s : s + k]))
        starts.append(s + k)
    if any("".join(parts[s:e]) in DIRECT_IDENTIFIERS for s in starts for e in ends if s < e):
        return True
    return bool(set(owners) & OTHER_PERSONS) and starts[-1] >= ends[-1]


def find_direct_identifiers(columns: Iterable[str]) -> list[str]:
    """The columns (as written, in order) whose name is a direct identifier."""
    return [c for c in columns if is_direct_identifier(c)]


def identifier_warning(name: str, line: str, column: str, kept: bool = False) -> Problem:
    """The warning for an identifier column, dropped or (``kept``) kept because config names it.

    It never carries a value."""
    if kept:
        message = (
            f"column {column!r} looks like a direct identifier, but it is kept because the "
            "configuration reads it; its values can reach results and reports, so make sure it "
            "identifies no one"
        )
    else:
        message = (
            f"column {column!r} looks like a direct identifier; it was dropped and never reaches results or reports"
        )
    return Problem(name, line, column, "", RULE, "warning", message)


def screen_header(
    header: Iterable[str], name: str, where, keep: Collection[str] = ()
) -> tuple[list[str], list[Problem]]:
    """The identifier columns of a header to drop, and one warning per identifier column.

    ``where(i)`` names the place of the ``i``-th column (0-based) in messages (a line, or a
    cell such as ``'Sheet1!C1'``). A column in ``keep`` (the columns the configuration reads) is
    never dropped; its warning says it was kept.
    """
    dropped, problems = [], []
    for i, column in enumerate(header):
        if is_direct_identifier(column):
            kept = column in keep
            if not kept:
                dropped.append(column)
            problems.append(identifier_warning(name, where(i), column, kept))
    return dropped, problems


def drop_identifiers(
    frame: pd.DataFrame, name: str, line: str = "1", keep: Collection[str] = ()
) -> tuple[pd.DataFrame, list[Problem]]:
    """Drop direct-identifier columns from ``frame``; one warning per identifier column.

    :func:`trialflow.readers.read_table` already does this for every file it reads; call this
    for tables that come from elsewhere. ``line`` is where the header is (``'1'``, or a cell
    such as ``'Sheet1!1'``); columns in ``keep`` are kept, with a warning.
    """
    dropped, problems = screen_header(frame.columns, name, lambda i: line, keep)
    return frame.drop(columns=dropped), problems
