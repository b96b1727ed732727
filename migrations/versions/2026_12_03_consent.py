"""consent said on a call, kept with its attempt; campaigns that require it

Revision ID: recordings_consent
Revises: recordings_quality_control
Create Date: 2026-12-03 08:40:00

An attempt's `consent_given` and `consent_scope` (null when the outcome said nothing
of consent); a campaign's `consent_required` (a warm questionnaire needs it) and the
`recording_notice` its script begins with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "recordings_consent"
down_revision: str | None = "recordings_quality_control"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_given", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("consent_scope", sa.String(length=64), nullable=True))
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "consent_required", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("recording_notice", sa.Text(), server_default=sa.text("''"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("recording_notice")
        batch_op.drop_column("consent_required")
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_column("consent_scope")
        batch_op.drop_column("consent_given")
