"""accounts waiting for a manager, and managers by desk

Revision ID: sales_lookups
Revises: recordings_consent
Create Date: 2026-12-04 20:00:00

Every new client weighs the accounts still waiting for a manager of their desk
(`dialer.sales.accounts.assign_unowned`); `ix_account_unowned` holds those alone, so that
weighing reads which stages wait and the oldest of one, whatever the number of clients.

The managers' side reads a desk's managers under its locks (loads, capacities, the
pauses' counts) several times a request; on a floor of thousands of operators each read
walked every user. `ix_user_account_desk` holds the managers alone (only they have a desk).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sales_lookups"
down_revision: str | None = "recordings_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNOWNED = sa.text("manager_id IS NULL")
AT_A_DESK = sa.text("desk IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_account_unowned",
        "account",
        ["stage", "created_at", "id"],
        postgresql_where=UNOWNED,
        sqlite_where=UNOWNED,
    )
    op.create_index(
        "ix_user_account_desk",
        "user_account",
        ["desk"],
        postgresql_where=AT_A_DESK,
        sqlite_where=AT_A_DESK,
    )


def downgrade() -> None:
    op.drop_index("ix_user_account_desk", "user_account")
    op.drop_index("ix_account_unowned", "account")
