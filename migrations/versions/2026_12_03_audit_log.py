"""the audit log, and a campaign's contacts counted by state from an index

Revision ID: floor_admin_audit_log
Revises: 0010_lease_operator_lookup
Create Date: 2026-12-03 08:00:00

`audit_entry` keeps every change a person makes through the API, written in the
transaction of the change. `ix_contact_campaign_state` lets a campaign's stats count
its contacts by state, and its ready ones by zone and due or not, in one pass over the
index alone instead of reading every row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "floor_admin_audit_log"
down_revision: str | None = "0010_lease_operator_lookup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_audit_entry_actor_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_entry_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_target_id"), ["target_id"], unique=False)
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_campaign_state",
            ["campaign_id", "state", "timezone", "next_call_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_campaign_state")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_target_id"))
        batch_op.drop_index("ix_audit_entry_at")
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))
    op.drop_table("audit_entry")
