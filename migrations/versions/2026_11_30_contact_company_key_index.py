"""index of contacts by their company's key

Revision ID: 0007_contact_company_key
Revises: 0006_contact_import_reference
Create Date: 2026-11-30 10:00:00

A first order closes every open contact of the new client's company, found by
`cascade_company_key(contact.company)`. Without an index that is a scan of the whole
base, computing the key for every contact, while the managers' lock is held (measured:
130 ms on 300,000 contacts, which queued every other questionnaire change behind it).
The function is IMMUTABLE on PostgreSQL and registered as deterministic on SQLite, so
both can index it. A B-tree, not a hash index as for `phone_hash`: many contacts share a
company, and a hash index's long chains of equal keys made a million-row import 2.2 times
slower (a B-tree costs it about 15 %).
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0007_contact_company_key"
down_revision: str | None = "0006_contact_import_reference"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contact_company_key", "contact", [text("cascade_company_key(company)")])


def downgrade() -> None:
    op.drop_index("ix_contact_company_key", table_name="contact")
