"""accounts: per-organisation retention periods

Revision ID: 0231
Revises: 0230
Create Date: 2026-11-29 12:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0231'
down_revision = '0230'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_retention_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('results_retention_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        # The retention sweeper's scan: an organisation's finished jobs by finishing time.
        batch_op.create_index('ix_jobs_org_finished', ['organisation_id', 'finished_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_org_finished')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('results_retention_days')
        batch_op.drop_column('media_retention_days')
