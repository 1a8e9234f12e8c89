"""accounts: plans, quota counters and usage records

Revision ID: 0232
Revises: 0231
Create Date: 2026-11-29 13:05:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import storage.db


# revision identifiers, used by Alembic.
revision = '0232'
down_revision = '0231'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan', sa.String(length=32), nullable=True))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_charge', JSON, nullable=True))
        batch_op.add_column(sa.Column('llm_usage', JSON, nullable=True))
    op.create_table(
        'usage_counters',
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=40), nullable=False),
        sa.Column('metric', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('used', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', 'subject', 'metric', 'period',
                                'period_start'),
    )
    op.create_table(
        'usage_records',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('job_id', sa.String(length=40), nullable=False),
        sa.Column('learner_user_id', sa.String(length=40), nullable=True),
        sa.Column('job_type', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('assessments', sa.Integer(), nullable=False),
        sa.Column('audio_seconds', sa.Float(), nullable=False),
        sa.Column('llm_input_tokens', sa.Integer(), nullable=False),
        sa.Column('llm_output_tokens', sa.Integer(), nullable=False),
        sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['learner_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('job_id'),
    )
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.create_index('ix_usage_records_organisation_day', ['organisation_id', 'day'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_usage_records_organisation_id'),
                              ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_records_learner_user_id'),
                              ['learner_user_id'], unique=False)


def downgrade():
    op.drop_table('usage_records')
    op.drop_table('usage_counters')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('llm_usage')
        batch_op.drop_column('quota_charge')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('plan')
