"""active leases found by operator through their own index only

Revision ID: 0010_lease_operator_lookup
Revises: 0009_company_key_inlined
Create Date: 2026-12-02 10:00:00

"Does this operator hold a lease?" (`operator_id = ? AND ended_at IS NULL`, asked by
every claim) is one descent of `uq_lease_active_operator`. But the other two partial
indexes of `lease`, by contact and by expiry, had the same predicate, so the planner
could answer it as well by reading either whole index and filtering on the operator.
After a vacuum that found no active lease all three look empty, and which one a
connection's cached plan took came down to a few pages of size: in the queue
benchmark some connections took the index by expiry, or, once only that was fixed,
the one by contact. Taken, it costs a claim O(active leases): measured over 4,500
claims in a row from none active, PostgreSQL's CPU per claim was 0.61 ms on average
(0.68 ms at the end) against 0.42 ms through the operator's index.

Each of those two indexes now also requires its own column to be non-null, which
holds for every row (both columns are NOT NULL): a question naming that column
(`contact_id = ?`, `contact_id IN (…)`, a join on it, the sweep's `expires_at <= ?`)
implies it and keeps its index, one that does not can no longer read them. The index
by operator keeps the bare predicate and so still serves "all active leases". SQLite
keeps the indexes as they were: it would not prove the predicate from the sweep's
condition and would sort the active leases instead, and it plans each statement anew.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_lease_operator_lookup"
down_revision: str | None = "0009_company_key_inlined"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "ended_at IS NULL"


def upgrade() -> None:
    _recreate(f"{ACTIVE} AND contact_id IS NOT NULL", f"{ACTIVE} AND expires_at IS NOT NULL")


def downgrade() -> None:
    _recreate(ACTIVE, ACTIVE)


def _recreate(by_contact: str, by_expiry: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("uq_lease_active_contact", table_name="lease")
    op.drop_index("ix_lease_active_expiry", table_name="lease")
    op.create_index(
        "uq_lease_active_contact",
        "lease",
        ["contact_id"],
        unique=True,
        postgresql_where=sa.text(by_contact),
    )
    op.create_index(
        "ix_lease_active_expiry", "lease", ["expires_at"], postgresql_where=sa.text(by_expiry)
    )
