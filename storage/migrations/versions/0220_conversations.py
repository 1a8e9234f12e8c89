"""conversations: practice sessions with a partner, their messages, usage counters

Revision ID: 0220
Revises: 0203
Create Date: 2026-11-29 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import storage.db


# revision identifiers, used by Alembic.
revision = '0220'
down_revision = '0233'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'conversation_sessions',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('learner_user_id', sa.String(length=40), nullable=False),
        sa.Column('owner_user_id', sa.String(length=40), nullable=True),
        sa.Column('owner_api_key_id', sa.String(length=40), nullable=True),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('level', sa.String(length=2), nullable=False),
        sa.Column('scenario', sa.String(length=64), nullable=True),
        sa.Column('topic', sa.String(length=200), nullable=True),
        sa.Column('persona', sa.String(length=200), nullable=True),
        sa.Column('partner', sa.String(length=16), nullable=False),
        sa.Column('voice', sa.String(length=80), nullable=True),
        sa.Column('speed', sa.Float(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('state', storage.db.JSONType, nullable=False),
        sa.Column('turn_pending', sa.Boolean(), nullable=False),
        sa.Column('last_job_id', sa.String(length=40), nullable=True),
        sa.Column('feedback_job_id', sa.String(length=40), nullable=True),
        sa.Column('feedback', storage.db.JSONType, nullable=True),
        sa.Column('turns', sa.Integer(), nullable=False),
        sa.Column('ended_at', storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['learner_user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_api_key_id'], ['api_keys.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('conversation_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_sessions_org_learner_created',
                              ['organisation_id', 'learner_user_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_sessions_learner_user_id'),
                              ['learner_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_sessions_organisation_id'),
                              ['organisation_id'], unique=False)
    op.create_table(
        'conversation_messages',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('session_id', sa.String(length=40), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('media_id', sa.String(length=40), nullable=True),
        sa.Column('job_id', sa.String(length=40), nullable=True),
        sa.Column('details', storage.db.JSONType, nullable=False),
        sa.Column('error_code', sa.String(length=64), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['conversation_sessions.id'],
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_messages_session_position',
                              ['session_id', 'position'], unique=True)
        batch_op.create_index(batch_op.f('ix_conversation_messages_job_id'), ['job_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_messages_organisation_id'),
                              ['organisation_id'], unique=False)
    op.create_table(
        'conversation_usage',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('learner_user_id', sa.String(length=40), nullable=True),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('metric', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['learner_user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('conversation_usage', schema=None) as batch_op:
        batch_op.create_index('ux_conversation_usage_org_learner_day_metric',
                              ['organisation_id', 'learner_user_id', 'day', 'metric'],
                              unique=True)
        batch_op.create_index(batch_op.f('ix_conversation_usage_organisation_id'),
                              ['organisation_id'], unique=False)


def downgrade():
    op.drop_table('conversation_usage')
    op.drop_table('conversation_messages')
    op.drop_table('conversation_sessions')
