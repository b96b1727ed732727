"""Company names as accounts compare them: case, quotes and spacing ignored.

The same fold runs in Python and in SQL, so that closing a client's contacts is one
statement on the database: on PostgreSQL as an expression (whose `lower()` folds
Cyrillic under any UTF-8 locale), on SQLite, whose `lower()` knows only ASCII, as
this module's function registered on every connection.
"""

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import InstrumentedAttribute

QUOTES = "\"'«»“”„"
SQL_FUNCTION = "cascade_company_key"
_DROP_QUOTES = str.maketrans("", "", QUOTES)


def company_key(name: str | None) -> str | None:
    """The company name folded: lower case, no quotes, single spaces; None when empty."""
    if name is None:
        return None
    key = " ".join(name.translate(_DROP_QUOTES).lower().split())
    return key or None


def company_key_sql(
    column: ColumnElement[str | None] | InstrumentedAttribute[str | None], dialect: str
) -> ColumnElement[str]:
    """The fold of a column, in the SQL of the dialect."""
    if dialect == "sqlite":
        result: ColumnElement[str] = getattr(func, SQL_FUNCTION)(column)
        return result
    spaced = func.replace(func.translate(column, QUOTES, ""), "\u00a0", " ")
    return func.nullif(func.btrim(func.regexp_replace(func.lower(spaced), r"\s+", " ", "g")), "")
