"""accounts: the audit log (append-only on PostgreSQL)

Revision ID: 0230
Revises: 0203
Create Date: 2026-11-29 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import storage.db


# revision identifiers, used by Alembic.
revision = '0230'
down_revision = '0203'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'audit_records',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_type', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.String(length=40), nullable=True),
        sa.Column('actor_role', sa.String(length=16), nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target_type', sa.String(length=32), nullable=False),
        sa.Column('target_id', sa.String(length=64), nullable=True),
        sa.Column('before', JSON, nullable=True),
        sa.Column('after', JSON, nullable=True),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.create_index('ix_audit_records_organisation_action',
                              ['organisation_id', 'action'], unique=False)
        batch_op.create_index('ix_audit_records_organisation_created',
                              ['organisation_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_records_organisation_id'),
                              ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_records_target_id'), ['target_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # Append-only: a row, once written, is neither changed nor deleted one by one
        # (removing a whole organisation still cascades, as a statement-level TRUNCATE does).
        op.execute("""
            CREATE FUNCTION audit_records_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit records are append-only';
            END $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
            FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()
        """)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_records_append_only ON audit_records")
        op.execute("DROP FUNCTION audit_records_append_only()")
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_records_target_id'))
        batch_op.drop_index(batch_op.f('ix_audit_records_organisation_id'))
        batch_op.drop_index('ix_audit_records_organisation_created')
        batch_op.drop_index('ix_audit_records_organisation_action')
    op.drop_table('audit_records')

