"""one head: the areas' branches (learning, webhooks, text, speech, teachers, LMS) merged

Revision ID: 0200
Revises: 0011, 0040, 0050, 0060, 0172
Create Date: 2026-11-29 09:40:00.000000

A merge point with no schema change, so that `flask db upgrade` (head) works. New
migrations revise this one or a later one; tests/test_migrations.py fails on a second head.
"""

# revision identifiers, used by Alembic.
revision = '0200'
down_revision = ('0011', '0040', '0050', '0060', '0172')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
