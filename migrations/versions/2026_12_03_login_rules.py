"""logins unique whatever their case; the login lock's columns dropped

Revision ID: harden_auth_login_rules
Revises: harden_input_callback_max_days
Create Date: 2026-12-03 08:00:00

`ADMIN` could be created beside `admin`: a unique index on `lower(login)` now refuses
it. A database that already holds such a pair cannot take the index; the upgrade stops
before changing anything and names the logins to rename.

Ten bad passwords used to lock a login for 15 minutes, counted in `failed_logins` and
`locked_until`. Logins are now throttled per login and client address in the app's
memory (`dialer.base.throttle`), so the columns go; a downgrade brings them back empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "harden_auth_login_rules"
down_revision: str | None = "harden_input_callback_max_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOWER_LOGIN = "uq_user_account_login_lower"


def upgrade() -> None:
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT lower(login) AS folded, count(*) AS n FROM user_account "
                "GROUP BY lower(login) HAVING count(*) > 1 ORDER BY folded"
            )
        )
        .all()
    )
    if clashes:
        names = ", ".join(row.folded for row in clashes)
        raise RuntimeError(
            "Logins must now be unique whatever their case, and these are taken more than "
            f"once: {names}. Rename all but one of each (UPDATE user_account SET login = ... "
            "WHERE id = ...), then migrate again."
        )
    # ALTER TABLE … DROP COLUMN on both (SQLite has it since 3.35): a batch would copy
    # the table, which every other table references, and lose the expression index.
    op.drop_column("user_account", "failed_logins")
    op.drop_column("user_account", "locked_until")
    op.create_index(LOWER_LOGIN, "user_account", [sa.text("lower(login)")], unique=True)


def downgrade() -> None:
    op.drop_index(LOWER_LOGIN, table_name="user_account")
    op.add_column(
        "user_account",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("user_account", sa.Column("locked_until", sa.TIMESTAMP(timezone=True)))
