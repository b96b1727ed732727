"""one questionnaire per company, plans per account, the planner's campaign defaults

Revision ID: sales_cascade
Revises: live_break_codes
Create Date: 2026-12-03 08:00:00

A warm call for a company whose questionnaire is still open becomes a
`questionnaire_addition` of that questionnaire. An account may carry its own plan
(`account.plan_volume`, null for the setting), and a campaign the defaults the shift
planner uses while there is too little history (`campaign.planning`, null for the
built-in ones). The `clients_saturated` pause reason needs nothing: reasons are strings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sales_cascade"
down_revision: str | None = "live_break_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_addition",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("questionnaire_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempt.id"], name="fk_questionnaire_addition_attempt_id_attempt"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name="fk_questionnaire_addition_contact_id_contact"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name="fk_questionnaire_addition_operator_id_user_account",
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire.id"],
            name="fk_questionnaire_addition_questionnaire_id_questionnaire",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_questionnaire_addition"),
        sa.UniqueConstraint("attempt_id", name="uq_questionnaire_addition_attempt_id"),
    )
    op.create_index(
        "ix_questionnaire_addition_questionnaire_id",
        "questionnaire_addition",
        ["questionnaire_id"],
    )
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("plan_volume", sa.Numeric(12, 2), nullable=True))
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("planning", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("planning")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("plan_volume")
    op.drop_index("ix_questionnaire_addition_questionnaire_id", "questionnaire_addition")
    op.drop_table("questionnaire_addition")
