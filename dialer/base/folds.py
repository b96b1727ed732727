"""Company names as accounts compare them: case, quotes and spacing ignored.

The same fold runs in Python and, as `cascade_company_key(name)`, in SQL, so that the
database can compare contacts with accounts: on PostgreSQL a SQL function created by
a migration, on SQLite (whose `lower()` knows only ASCII) this module's function
registered on every connection.
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
    column: ColumnElement[str | None] | InstrumentedAttribute[str | None],
) -> ColumnElement[str]:
    """The fold of a column, in SQL."""
    folded: ColumnElement[str] = getattr(func, SQL_FUNCTION)(column)
    return folded
