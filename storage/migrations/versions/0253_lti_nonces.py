"""lti: spent launch nonces, so a replayed id_token opens no second session

Revision ID: 0253
Revises: 0240
Create Date: 2026-11-29 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import storage.db


# revision identifiers, used by Alembic.
revision = '0253'
down_revision = '0240'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lti_nonces',
        sa.Column('nonce_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('nonce_hash'),
    )
    with op.batch_alter_table('lti_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_nonces_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('lti_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_nonces_expires_at'))
    op.drop_table('lti_nonces')
