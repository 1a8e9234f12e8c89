"""webhooks: signing secrets stored encrypted (wider columns; `flask secrets reencrypt`
encrypts rows written before)

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-22 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

COLUMNS = {
    "webhook_endpoints": ("secret", "previous_secret"),
    "callback_secrets": ("secret", "previous_secret"),
}


def upgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=120),
                                      type_=sa.Text(), existing_nullable=column != "secret")


def downgrade():
    # The encrypted values do not fit the old 120 characters, and code before this revision
    # cannot read them: the wider columns stay.
    pass
