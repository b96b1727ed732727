"""quality control: each campaign's QC form and sample, reviews of recorded calls

Revision ID: recordings_quality_control
Revises: recordings_store
Create Date: 2026-12-03 08:20:00

A campaign's `qc_form` (criteria with weight and maximum; empty means the default
form) and `qc_sample_percent` (the share of the calls that are neither warm nor an
objection sampled for review); a recording's `sampled`; one `qc_review` per attempt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "recordings_quality_control"
down_revision: str | None = "recordings_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qc_review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempt.id"], name=op.f("fk_qc_review_attempt_id_attempt")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name=op.f("fk_qc_review_operator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user_account.id"],
            name=op.f("fk_qc_review_reviewer_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_review")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_qc_review_attempt_id")),
    )
    with op.batch_alter_table("qc_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_review_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_qc_review_operator_id"), ["operator_id"], unique=False)
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("qc_form", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "qc_sample_percent", sa.Integer(), server_default=sa.text("10"), nullable=False
            )
        )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sampled", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_column("sampled")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("qc_sample_percent")
        batch_op.drop_column("qc_form")
    with op.batch_alter_table("qc_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_review_operator_id"))
        batch_op.drop_index(batch_op.f("ix_qc_review_created_at"))
    op.drop_table("qc_review")
