"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:25:46.117087
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=False),
        sa.Column("window_end", sa.Time(), nullable=False),
        sa.Column("retry", sa.JSON(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("calls_per_day", sa.Integer(), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("callback_handover_minutes", sa.Integer(), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("objections", sa.JSON(), nullable=False),
        sa.Column("questionnaire_fields", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    op.create_table(
        "scheduler_beat",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("beat_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_beat")),
    )
    op.create_table(
        "shift_template",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_template")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("desk", sa.String(length=24), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("hourly_rate", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("hook_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("hook_token_hash", name=op.f("uq_user_account_hook_token_hash")),
        sa.UniqueConstraint("login", name=op.f("uq_user_account_login")),
    )
    op.create_table(
        "contact_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("do_not_call", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("finished_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_contact_import_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_contact_import_created_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_import")),
    )
    op.create_table(
        "dnc_entry",
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_dnc_entry_created_by_user_account")
        ),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_dnc_entry")),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_idempotency_record_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_table(
        "pause",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("reason_code", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("ended_by", sa.Uuid(), nullable=True),
        sa.Column("ended_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["user_account.id"], name=op.f("fk_pause_ended_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["user_account.id"], name=op.f("fk_pause_started_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pause")),
    )
    with op.batch_alter_table("pause", schema=None) as batch_op:
        batch_op.create_index(
            "uq_pause_active",
            ["scope", "target_id", "reason_code"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "shift",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("ends_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"], ["shift_template.id"], name=op.f("fk_shift_template_id_shift_template")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
        sa.UniqueConstraint("template_id", "starts_at", name="uq_shift_template_start"),
    )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("clock_in_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("clock_out_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name=op.f("fk_attendance_operator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shift.id"], name=op.f("fk_attendance_shift_id_shift")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(
            "uq_attendance_open",
            ["shift_id", "operator_id"],
            unique=True,
            postgresql_where=sa.text("clock_out_at IS NULL"),
            sqlite_where=sa.text("clock_out_at IS NULL"),
        )

    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("next_call_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expired_streak", sa.Integer(), nullable=False),
        sa.Column("callback_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("callback_scope", sa.String(length=24), nullable=True),
        sa.Column("callback_operator_id", sa.Uuid(), nullable=True),
        sa.Column("last_attempt_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_operator_id"],
            ["user_account.id"],
            name=op.f("fk_contact_callback_operator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_contact_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["contact_import.id"], name=op.f("fk_contact_import_id_contact_import")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("campaign_id", "phone_hash", name="uq_contact_campaign_phone"),
        postgresql_with={"fillfactor": 80},
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index("ix_contact_phone_hash", ["phone_hash"], unique=False)
        batch_op.create_index(
            "ix_contact_ready",
            ["campaign_id", "priority", "next_call_at"],
            unique=False,
            postgresql_where=sa.text("state = 'ready'"),
            sqlite_where=sa.text("state = 'ready'"),
        )

    op.create_table(
        "roster_entry",
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name=op.f("fk_roster_entry_operator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shift.id"], name=op.f("fk_roster_entry_shift_id_shift")
        ),
        sa.PrimaryKeyConstraint("shift_id", "operator_id", name=op.f("pk_roster_entry")),
    )
    op.create_table(
        "shift_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=False),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_shift_event_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shift.id"], name=op.f("fk_shift_event_shift_id_shift")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_event")),
    )
    with op.batch_alter_table("shift_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_event_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "lease",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=True),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("ended_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_lease_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_lease_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["user_account.id"], name=op.f("fk_lease_operator_id_user_account")
        ),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"], name=op.f("fk_lease_shift_id_shift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease")),
        postgresql_with={"fillfactor": 80},
    )
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lease_active_expiry",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index(
            "uq_lease_active_contact",
            ["contact_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index(
            "uq_lease_active_operator",
            ["operator_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lease_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=True),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=24), nullable=False),
        sa.Column("objection", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("callback_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("call_id", sa.String(length=255), nullable=True),
        sa.Column("dialed_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("ringing_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("answered_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("hangup_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("hangup_reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_attempt_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_attempt_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(["lease_id"], ["lease.id"], name=op.f("fk_attempt_lease_id_lease")),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["user_account.id"], name=op.f("fk_attempt_operator_id_user_account")
        ),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"], name=op.f("fk_attempt_shift_id_shift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt")),
        sa.UniqueConstraint("lease_id", name=op.f("uq_attempt_lease_id")),
    )
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempt_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempt_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempt_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempt_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "softphone_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("lease_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("received_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["lease.id"], name=op.f("fk_softphone_event_lease_id_lease")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name=op.f("fk_softphone_event_operator_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_softphone_event")),
    )
    with op.batch_alter_table("softphone_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_softphone_event_lease_id"), ["lease_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_softphone_event_operator_id"), ["operator_id"], unique=False
        )

    op.create_table(
        "questionnaire",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempt.id"], name=op.f("fk_questionnaire_attempt_id_attempt")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_questionnaire_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_questionnaire_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["user_account.id"],
            name=op.f("fk_questionnaire_manager_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["user_account.id"],
            name=op.f("fk_questionnaire_operator_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_questionnaire_attempt_id")),
    )
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_manager_id"), ["manager_id"], unique=False
        )

    op.create_table(
        "account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("questionnaire_id", sa.Uuid(), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("company_key", sa.String(length=200), nullable=True),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("strategic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["user_account.id"], name=op.f("fk_account_manager_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire.id"],
            name=op.f("fk_account_questionnaire_id_questionnaire"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("company_key", name=op.f("uq_account_company_key")),
        sa.UniqueConstraint("questionnaire_id", name=op.f("uq_account_questionnaire_id")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_company"), ["company"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_manager_id"), ["manager_id"], unique=False)

    op.create_table(
        "account_handoff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", sa.String(length=24), nullable=True),
        sa.Column("to_stage", sa.String(length=24), nullable=False),
        sa.Column("from_manager_id", sa.Uuid(), nullable=True),
        sa.Column("to_manager_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_handoff_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_account_handoff_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["from_manager_id"],
            ["user_account.id"],
            name=op.f("fk_account_handoff_from_manager_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["to_manager_id"],
            ["user_account.id"],
            name=op.f("fk_account_handoff_to_manager_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_handoff")),
    )
    with op.batch_alter_table("account_handoff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_handoff_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "account_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_order_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_account_order_recorded_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_order")),
    )
    with op.batch_alter_table("account_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_order_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("account_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_order_account_id"))

    op.drop_table("account_order")
    with op.batch_alter_table("account_handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_handoff_account_id"))

    op.drop_table("account_handoff")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_manager_id"))
        batch_op.drop_index(batch_op.f("ix_account_company"))

    op.drop_table("account")
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_manager_id"))

    op.drop_table("questionnaire")
    with op.batch_alter_table("softphone_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_softphone_event_operator_id"))
        batch_op.drop_index(batch_op.f("ix_softphone_event_lease_id"))

    op.drop_table("softphone_event")
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempt_shift_id"))
        batch_op.drop_index(batch_op.f("ix_attempt_operator_id"))
        batch_op.drop_index(batch_op.f("ix_attempt_created_at"))
        batch_op.drop_index(batch_op.f("ix_attempt_contact_id"))

    op.drop_table("attempt")
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_lease_active_operator",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_lease_active_contact",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_lease_active_expiry",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.drop_table("lease")
    with op.batch_alter_table("shift_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_event_shift_id"))

    op.drop_table("shift_event")
    op.drop_table("roster_entry")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_contact_ready",
            postgresql_where=sa.text("state = 'ready'"),
            sqlite_where=sa.text("state = 'ready'"),
        )
        batch_op.drop_index("ix_contact_phone_hash")

    op.drop_table("contact")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_attendance_open",
            postgresql_where=sa.text("clock_out_at IS NULL"),
            sqlite_where=sa.text("clock_out_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_attendance_operator_id"))

    op.drop_table("attendance")
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_starts_at"))

    op.drop_table("shift")
    with op.batch_alter_table("pause", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pause_active",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.drop_table("pause")
    op.drop_table("idempotency_record")
    op.drop_table("dnc_entry")
    op.drop_table("contact_import")
    op.drop_table("user_account")
    op.drop_table("shift_template")
    op.drop_table("scheduler_beat")
    op.drop_table("campaign")
