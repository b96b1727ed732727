"""break codes, the code of an operator's break, and operator presence

Revision ID: live_break_codes
Revises: harden_auth_login_rules
Create Date: 2026-12-03 08:00:00

An operator's own break now names its kind (`break_code`), each paid or not on the
timesheet; `operator_presence` keeps when each operator last made a request or held
an open stream, so that the floor can tell an operator who closed the tab.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "live_break_codes"
down_revision: str | None = "harden_auth_login_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "break_code",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_break_code")),
    )
    op.create_table(
        "operator_presence",
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("seen_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name=op.f("fk_operator_presence_operator_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_operator_presence")),
    )
    with op.batch_alter_table("pause", schema=None) as batch_op:
        batch_op.add_column(sa.Column("break_code", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_pause_break_code_break_code"), "break_code", ["break_code"], ["code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("pause", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pause_break_code_break_code"), type_="foreignkey")
        batch_op.drop_column("break_code")
    op.drop_table("operator_presence")
    op.drop_table("break_code")
