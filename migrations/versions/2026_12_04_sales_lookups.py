"""the managers' side by what is open: questionnaires, waiting accounts, desks

Revision ID: sales_lookups
Revises: recordings_consent
Create Date: 2026-12-04 20:00:00

Every new client weighs the accounts still waiting for a manager of their desk
(`dialer.sales.accounts.assign_unowned`); `ix_account_unowned` holds those alone, so that
weighing reads which stages wait and the oldest of one, whatever the number of clients.

The managers' side reads a desk's managers under its locks (loads, capacities, the
pauses' counts) several times a request; on a floor of thousands of operators each read
walked every user. `ix_user_account_desk` holds the managers alone (only they have a desk).

Questionnaires pile up closed, a few thousand per MPK in a couple of months, while the
open ones stay within the desk's capacity. Every warm outcome and every close reads the
open ones under the managers' lock (the backlog, each MPK's load, the company's open
questionnaire), and the dialer's status the ones closed in the last hour; each walked them
all (with 100,000 closed: 16, 70 and 29 ms under the lock, 27 ms for the status; with these
indexes under 0.1 ms each). `ix_questionnaire_open` and `ix_questionnaire_closed` hold one
side each; `ix_account_handoff_at` does the same for the clients developed lately.
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
OPEN = sa.text("status IN ('new', 'in_progress')")
CLOSED = sa.text("status IN ('first_order', 'lost')")


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
    op.create_index(
        "ix_questionnaire_open",
        "questionnaire",
        ["manager_id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_questionnaire_closed",
        "questionnaire",
        ["updated_at"],
        postgresql_where=CLOSED,
        sqlite_where=CLOSED,
    )
    op.create_index("ix_account_handoff_at", "account_handoff", ["at"])


def downgrade() -> None:
    op.drop_index("ix_account_handoff_at", "account_handoff")
    op.drop_index("ix_questionnaire_closed", "questionnaire")
    op.drop_index("ix_questionnaire_open", "questionnaire")
    op.drop_index("ix_user_account_desk", "user_account")
    op.drop_index("ix_account_unowned", "account")
