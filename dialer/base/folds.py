"""Company names as accounts compare them: case, quotes and spacing ignored.

Accounts and contacts store their key, folded here (an import's workers fold each row's
company). The same fold also runs in SQL as `cascade_company_key(name)`, for the names the
database holds unfolded (questionnaires, a search): on PostgreSQL a SQL function created by
a migration, on SQLite (whose `lower()` knows only ASCII) this module's function
registered on every connection.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
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
    column: "ColumnElement[str | None] | InstrumentedAttribute[str | None]",
) -> "ColumnElement[str]":
    """The fold of a column, in SQL."""
    # Imported here: an import's worker processes fold names and load no SQLAlchemy.
    from sqlalchemy import func

    folded: ColumnElement[str] = getattr(func, SQL_FUNCTION)(column)
    return folded
