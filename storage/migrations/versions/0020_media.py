"""media: stored files with their sniffed type, size, hash and status

Revision ID: 0020
Revises: 0001
Create Date: 2026-11-22 04:08:21.987456

"""
from alembic import op
import sqlalchemy as sa
import storage.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('owner_user_id', sa.String(length=40), nullable=True),
    sa.Column('owner_api_key_id', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('object_key', sa.String(length=1024), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('upload_id', sa.String(length=1024), nullable=True),
    sa.Column('import_job_id', sa.String(length=40), nullable=True),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_media_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_api_key_id'], ['api_keys.id'], name=op.f('fk_media_owner_api_key_id_api_keys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_media_owner_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media'))
    )
    op.create_index(op.f('ix_media_organisation_id'), 'media', ['organisation_id'], unique=False)
    op.create_index('ix_media_organisation_id_kind_created_at', 'media', ['organisation_id', 'kind', 'created_at'], unique=False)
    op.create_index(op.f('ix_media_owner_user_id'), 'media', ['owner_user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_media_owner_user_id'), table_name='media')
    op.drop_index('ix_media_organisation_id_kind_created_at', table_name='media')
    op.drop_index(op.f('ix_media_organisation_id'), table_name='media')
    op.drop_table('media')
