"""a contact's company key stored with it, indexed as a plain column

Revision ID: contact_company_key_column
Revises: sales_lookups
Create Date: 2026-12-06 03:00:00

`ix_contact_company_key` indexed the expression `cascade_company_key(company)`, so the
server ran the fold (a regular expression) for every contact written: measured, a quarter
of the server's time in a million-row import. The key is now a column, `company_key`,
written with the contact (an import folds it in its worker processes, beside the number),
and the index is of the column. The claim's "not a client yet" and a first order's
closing of the company's contacts compare `contact.company_key` with `account.company_key`,
both folded by `dialer.base.folds.company_key`.

Existing contacts get their key from the SQL fold here (a rewrite of every contact row).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "contact_company_key_column"
down_revision: str | None = "sales_lookups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPRESSION = sa.text("cascade_company_key(company)")


def upgrade() -> None:
    op.add_column("contact", sa.Column("company_key", sa.String(200), nullable=True))
    op.execute(
        "UPDATE contact SET company_key = cascade_company_key(company) WHERE company IS NOT NULL"
    )
    op.drop_index("ix_contact_company_key", table_name="contact")
    op.create_index("ix_contact_company_key", "contact", ["company_key"])


def downgrade() -> None:
    op.drop_index("ix_contact_company_key", table_name="contact")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("company_key")
    op.create_index("ix_contact_company_key", "contact", [EXPRESSION])
