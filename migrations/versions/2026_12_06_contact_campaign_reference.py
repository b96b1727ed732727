"""a contact's campaign as a plain reference

Revision ID: contact_campaign_reference
Revises: contact_company_key_column
Create Date: 2026-12-06 03:30:00

`contact.campaign_id`'s foreign key cost every imported contact a trigger and a lookup of
its campaign (measured: a fifth of PostgreSQL's work in a million-row import), as
`contact.import_id`'s did before migration 0006, to guard against what no code does:
contacts are written only into a campaign that exists (an import checks it when it opens;
the demo and the tests write into one they just made), and campaigns are never deleted
(there is no way to: a campaign is deactivated). Every reader joins on the column as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "contact_campaign_reference"
down_revision: str | None = "contact_company_key_column"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_constraint("fk_contact_campaign_id_campaign", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_contact_campaign_id_campaign", "campaign", ["campaign_id"], ["id"]
        )
