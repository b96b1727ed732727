"""a campaign bounds how far ahead a callback may be set

Revision ID: harden_input_callback_max_days
Revises: floor_admin_audit_log
Create Date: 2026-12-03 08:00:00

A callback set for the year 9999 was accepted and kept its contact out of the queue for
ever. Each campaign now says how many days ahead a callback may fall (90 by default,
existing campaigns included).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "harden_input_callback_max_days"
down_revision: str | None = "floor_admin_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(
            sa.Column(
                "callback_max_days", sa.Integer(), server_default=sa.text("90"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("callback_max_days")
