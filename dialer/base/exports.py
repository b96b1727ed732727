"""CSV for people's spreadsheets: one writer for every export, safe to open in Excel.

A cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is run as a formula when the file is opened:
a contact named `=HYPERLINK(...)` would become a link in the supervisor's timesheet. As
OWASP advises, such a cell is written with a leading `'`, which spreadsheets show as text;
numbers are written as they are, a signed number (`-2`, an E.164 `+74951234567`) being no
formula.
"""

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet may read it: text that could start a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV file: the header, then each row, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_cell(title) for title in header)
    for row in rows:
        writer.writerow(safe_cell(value) for value in row)
    return out.getvalue()
