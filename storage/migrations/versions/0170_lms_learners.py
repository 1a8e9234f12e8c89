"""lms: the learner of each job, and learners' identities in partner LMSs

Revision ID: 0170
Revises: 0001
Create Date: 2026-11-29 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import storage.db


# revision identifiers, used by Alembic.
revision = '0170'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('learner_user_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_jobs_learner_user_id'), ['learner_user_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_jobs_learner_user_id_users'), 'users',
                                    ['learner_user_id'], ['id'], ondelete='SET NULL')
    # Jobs submitted before had the submitting user as their learner.
    op.execute("UPDATE jobs SET learner_user_id = owner_user_id WHERE owner_user_id IS NOT NULL")
    op.create_table('lms_identities',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('lms', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lms_identities_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lms_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_identities')),
    sa.UniqueConstraint('organisation_id', 'lms', 'external_id', name=op.f('uq_lms_identities_organisation_id'))
    )
    op.create_index(op.f('ix_lms_identities_organisation_id'), 'lms_identities', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_lms_identities_user_id'), 'lms_identities', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_lms_identities_user_id'), table_name='lms_identities')
    op.drop_index(op.f('ix_lms_identities_organisation_id'), table_name='lms_identities')
    op.drop_table('lms_identities')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_jobs_learner_user_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_jobs_learner_user_id'))
        batch_op.drop_column('learner_user_id')
