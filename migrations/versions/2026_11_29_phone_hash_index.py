"""hash index for a number's contacts

Revision ID: 0005_phone_hash_index
Revises: 0004_company_key
Create Date: 2026-11-29 10:00:00

Every lookup of a number's contacts across campaigns (its history, the rolling cap, a
do-not-call request, an erasure) asks for one `phone_hash`, never a range. On PostgreSQL
a hash index answers that from 4-byte codes, a third of the size of a B-tree of 64-digit
hashes: imports insert into it at random places, and a smaller index stays in memory.
SQLite has only B-trees, so nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_phone_hash_index"
down_revision: str | None = "0004_company_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_contact_phone_hash", table_name="contact")
        op.create_index("ix_contact_phone_hash", "contact", ["phone_hash"], postgresql_using="hash")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_contact_phone_hash", table_name="contact")
        op.create_index("ix_contact_phone_hash", "contact", ["phone_hash"])
