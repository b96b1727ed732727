"""a contact's import as a plain reference

Revision ID: 0006_contact_import_reference
Revises: 0005_phone_hash_index
Create Date: 2026-11-29 11:00:00

`contact.import_id` says which import brought a contact in. Its foreign key cost an
import a trigger and a lookup per row, about 15 % of PostgreSQL's work in its COPY, to
guard against what no code does: the import's row is committed before its first
contact is written, and import rows are never deleted.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_contact_import_reference"
down_revision: str | None = "0005_phone_hash_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_constraint("fk_contact_import_id_contact_import", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_contact_import_id_contact_import", "contact_import", ["import_id"], ["id"]
        )
