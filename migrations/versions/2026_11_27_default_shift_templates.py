"""default shift templates: 10:00–14:00 and 14:00–18:00, Monday to Friday, Moscow

Revision ID: 0002_default_shift_templates
Revises: 0001
Create Date: 2026-11-27 01:40:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

revision: str = "0002_default_shift_templates"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed ids, so the downgrade removes exactly these rows and nothing an admin added.
MORNING = uuid.UUID("5b1f0c2e-0a00-4000-8000-000000001000")
AFTERNOON = uuid.UUID("5b1f0c2e-0a00-4000-8000-000000001400")

template = sa.table(
    "shift_template",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("start", sa.Time()),
    sa.column("end", sa.Time()),
    sa.column("weekdays", sa.JSON()),
    sa.column("timezone", sa.String()),
    sa.column("active", sa.Boolean()),
    sa.column("created_at", sa.TIMESTAMP(timezone=True)),
)
shift = sa.table("shift", sa.column("template_id", sa.Uuid()))


def upgrade() -> None:
    # Stored as UTC; SQLite keeps it as naive UTC text like every other instant.
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    weekdays = [1, 2, 3, 4, 5]
    op.bulk_insert(
        template,
        [
            {
                "id": MORNING,
                "name": "Утренняя смена",
                "start": time(10, 0),
                "end": time(14, 0),
                "weekdays": weekdays,
                "timezone": "Europe/Moscow",
                "active": True,
                "created_at": now,
            },
            {
                "id": AFTERNOON,
                "name": "Дневная смена",
                "start": time(14, 0),
                "end": time(18, 0),
                "weekdays": weekdays,
                "timezone": "Europe/Moscow",
                "active": True,
                "created_at": now,
            },
        ],
    )


def downgrade() -> None:
    # Templates that already made shifts stay: removing them would take history with them.
    used = sa.select(shift.c.template_id)
    op.execute(
        template.delete().where(template.c.id.in_([MORNING, AFTERNOON]), template.c.id.not_in(used))
    )
