"""webhooks: the LMS whose learner ids name xAPI actors

Revision ID: 0201
Revises: 0200
Create Date: 2026-11-29 09:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0201'
down_revision = '0200'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_lms', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('actor_lms')
