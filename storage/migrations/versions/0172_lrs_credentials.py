"""webhooks: LRS credentials of xAPI endpoints (stored encrypted)

Revision ID: 0172
Revises: 0171, 0031
Create Date: 2026-11-29 07:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import storage.db


# revision identifiers, used by Alembic.
revision = '0172'
# 0031 was a `depends_on` here; as a parent instead, the history ends in one head (0200)
# and databases already at 0172 read the same applied set.
down_revision = ('0171', '0031')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lrs_auth_scheme', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('lrs_credentials', storage.db.EncryptedString(), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('lrs_credentials')
        batch_op.drop_column('lrs_auth_scheme')
