"""accounts waiting for a manager, by stage and age

Revision ID: unowned_accounts
Revises: recordings_consent
Create Date: 2026-12-04 20:00:00

Every new client weighs the accounts still waiting for a manager of their desk
(`dialer.sales.accounts.assign_unowned`); this partial index holds those alone, so that
weighing reads which stages wait and the oldest of one, whatever the number of clients.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "unowned_accounts"
down_revision: str | None = "recordings_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNOWNED = sa.text("manager_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_account_unowned",
        "account",
        ["stage", "created_at", "id"],
        postgresql_where=UNOWNED,
        sqlite_where=UNOWNED,
    )


def downgrade() -> None:
    op.drop_index("ix_account_unowned", "account")
