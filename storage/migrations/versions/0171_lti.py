"""lti: platform registrations, the tool's keys, resource links, launches, and AGS deliveries

Revision ID: 0171
Revises: 0170
Create Date: 2026-11-29 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import storage.db


# revision identifiers, used by Alembic.
revision = '0171'
down_revision = '0170'
branch_labels = None
depends_on = '0030'

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('lti_platforms',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('deployment_ids', JSON, nullable=False),
    sa.Column('auth_login_url', sa.Text(), nullable=False),
    sa.Column('token_url', sa.Text(), nullable=False),
    sa.Column('jwks_url', sa.Text(), nullable=False),
    sa.Column('token_audience', sa.Text(), nullable=True),
    sa.Column('access_token', storage.db.EncryptedString(), nullable=True),
    sa.Column('access_token_scope', sa.Text(), nullable=True),
    sa.Column('access_token_expires_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lti_platforms_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platforms')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_lti_platforms_issuer'))
    )
    op.create_index(op.f('ix_lti_platforms_organisation_id'), 'lti_platforms', ['organisation_id'], unique=False)
    op.create_table('lti_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', storage.db.EncryptedString(), nullable=False),
    sa.Column('public_jwk', JSON, nullable=False),
    sa.Column('retired_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_lti_keys'))
    )
    op.create_table('lti_resource_links',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('platform_id', sa.String(length=40), nullable=False),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('prompt_id', sa.String(length=64), nullable=True),
    sa.Column('job_type', sa.String(length=64), nullable=True),
    sa.Column('lineitems_url', sa.Text(), nullable=True),
    sa.Column('lineitem_url', sa.Text(), nullable=True),
    sa.Column('ags_scopes', JSON, nullable=False),
    sa.Column('memberships_url', sa.Text(), nullable=True),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lti_resource_links_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_resource_links_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_resource_links')),
    sa.UniqueConstraint('platform_id', 'resource_link_id', name=op.f('uq_lti_resource_links_platform_id'))
    )
    op.create_index(op.f('ix_lti_resource_links_organisation_id'), 'lti_resource_links', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_lti_resource_links_platform_id'), 'lti_resource_links', ['platform_id'], unique=False)
    op.create_table('lti_launches',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('link_id', sa.String(length=40), nullable=False),
    sa.Column('last_launched_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['lti_resource_links.id'], name=op.f('fk_lti_launches_link_id_lti_resource_links'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lti_launches_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_launches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_launches')),
    sa.UniqueConstraint('user_id', 'link_id', name=op.f('uq_lti_launches_user_id'))
    )
    op.create_index(op.f('ix_lti_launches_link_id'), 'lti_launches', ['link_id'], unique=False)
    op.create_index(op.f('ix_lti_launches_organisation_id'), 'lti_launches', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_lti_launches_user_id'), 'lti_launches', ['user_id'], unique=False)
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lti_link_id', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_webhook_deliveries_lti_link_id_lti_resource_links'), 'lti_resource_links', ['lti_link_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_webhook_deliveries_lti_link_id_lti_resource_links'), type_='foreignkey')
        batch_op.drop_column('lti_link_id')
    op.drop_table('lti_launches')
    op.drop_table('lti_resource_links')
    op.drop_table('lti_keys')
    op.drop_table('lti_platforms')
