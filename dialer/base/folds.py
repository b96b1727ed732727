"""Company names as accounts compare them: case, quotes and spacing ignored.

Accounts and contacts store their key, folded here (an import's workers fold each row's
company). The same fold also runs in SQL as `cascade_company_key(name)`, for the names the
database holds unfolded (questionnaires, a search): on PostgreSQL a SQL function created by
a migration, on SQLite (whose `lower()` knows only ASCII) this module's function
registered on every connection.

A search folds further (`search_key`): ё is written е by most Russian typists, so both are
е there. Not in the company key: accounts' stored keys would all need folding again.
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


def search_key(text: str | None) -> str | None:
    """Words folded for a search: the company fold, with ё as е."""
    key = company_key(text)
    return None if key is None else key.replace("ё", "е")


def company_key_sql(
    column: "ColumnElement[str | None] | InstrumentedAttribute[str | None]",
) -> "ColumnElement[str]":
    """The fold of a column, in SQL."""
    # Imported here: an import's worker processes fold names and load no SQLAlchemy.
    from sqlalchemy import func

    folded: ColumnElement[str] = getattr(func, SQL_FUNCTION)(column)
    return folded


def search_key_sql(
    column: "ColumnElement[str | None] | InstrumentedAttribute[str | None]",
) -> "ColumnElement[str]":
    """The search fold of a column, in SQL: `replace()` is built into both databases."""
    from sqlalchemy import func

    folded: ColumnElement[str] = func.replace(company_key_sql(column), "ё", "е")
    return folded
