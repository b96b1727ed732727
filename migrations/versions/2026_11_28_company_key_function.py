"""company key function

Revision ID: 0004_company_key
Revises: 0003_queue
Create Date: 2026-11-28 12:00:00

`cascade_company_key(name)` folds a company name the way accounts compare them
(`dialer.base.folds.company_key`): lower case, no quotes, single spaces, NULL when
empty. Closing a new client's contacts and keeping them out of the claim both
compare `cascade_company_key(contact.company)` with `account.company_key`. On
SQLite the same function is registered on every connection from Python
(`dialer.base.db.configure_sqlite`), so there is nothing to create there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_company_key"
down_revision: str | None = "0003_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A plain SQL function (inlined since migration 0009). lower() folds Cyrillic under any
# UTF-8 locale (C.UTF-8, ru_RU.UTF-8, en_US.UTF-8), not under the bare C locale.
CREATE = r"""
CREATE FUNCTION cascade_company_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
AS $$
    SELECT nullif(btrim(regexp_replace(
        lower(replace(translate(name, '"''«»“”„', ''), chr(160), ' ')),
        '\s+', ' ', 'g')), '')
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION cascade_company_key(text)")
