"""accounts: OpenID Connect providers and sign-ins in flight

Revision ID: 0233
Revises: 0232
Create Date: 2026-11-29 13:15:00.000000

"""
from alembic import op
import sqlalchemy as sa

import storage.db


# revision identifiers, used by Alembic.
revision = '0233'
down_revision = '0232'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'oidc_providers',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('client_id', sa.String(length=500), nullable=False),
        sa.Column('client_secret', storage.db.EncryptedString(), nullable=True),
        sa.Column('scopes', sa.String(length=500), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'name',
                            name='uq_oidc_providers_organisation_name'),
    )
    with op.batch_alter_table('oidc_providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_providers_organisation_id'),
                              ['organisation_id'], unique=False)
    op.create_table(
        'oidc_logins',
        sa.Column('state_hash', sa.String(length=64), nullable=False),
        sa.Column('provider_id', sa.String(length=40), nullable=False),
        sa.Column('nonce', sa.String(length=128), nullable=False),
        sa.Column('code_verifier', storage.db.EncryptedString(), nullable=False),
        sa.Column('redirect_uri', sa.Text(), nullable=False),
        sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['provider_id'], ['oidc_providers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('state_hash'),
    )
    with op.batch_alter_table('oidc_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_logins_organisation_id'), ['organisation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_logins_provider_id'), ['provider_id'],
                              unique=False)


def downgrade():
    op.drop_table('oidc_logins')
    op.drop_table('oidc_providers')
