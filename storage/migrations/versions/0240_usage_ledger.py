"""usage: one ledger; conversation and speech-synthesis usage move into usage_records

Revision ID: 0240
Revises: 0210
Create Date: 2026-11-29 16:00:00.000000

Every `conversation_usage` row (organisation, learner, day, metric, value) becomes an
`activity` row of `usage_records` holding that value in the metric's column; the table is
then dropped. Downgrade sums the activity rows back per organisation, learner, day and
metric.
"""
from alembic import op
import sqlalchemy as sa

import storage.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0240'
down_revision = '0210'
branch_labels = None
depends_on = None

ACTIVITY_METRICS = ("speech_seconds_in", "characters_synthesised", "llm_input_tokens",
                    "llm_output_tokens", "partner_turns", "realtime_sessions")
NEW_COLUMNS = (("speech_seconds_in", sa.Float()), ("characters_synthesised", sa.Integer()),
               ("partner_turns", sa.Integer()), ("realtime_sessions", sa.Integer()))


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='job'))
        for name, type_ in NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default='0'))
        batch_op.alter_column('job_id', existing_type=sa.String(length=40), nullable=True)
        batch_op.alter_column('status', existing_type=sa.String(length=16), nullable=True)

    if _postgresql():
        day, created = "CAST(day AS DATE)", "CAST(day AS TIMESTAMP) AT TIME ZONE 'UTC'"
    else:
        day, created = "day", "day || ' 00:00:00.000000'"

    def value_of(metric: str) -> str:
        cast = "FLOAT" if metric == "speech_seconds_in" else "INTEGER"
        rounded = "value" if metric == "speech_seconds_in" else "ROUND(value)"
        return f"CASE WHEN metric = '{metric}' THEN CAST({rounded} AS {cast}) ELSE 0 END"

    columns = ", ".join(ACTIVITY_METRICS)
    values = ", ".join(value_of(m) for m in ACTIVITY_METRICS)
    op.execute(
        "INSERT INTO usage_records (organisation_id, learner_user_id, kind, job_id, job_type, "
        "status, day, created_at, assessments, audio_seconds, " + columns + ") "
        f"SELECT organisation_id, learner_user_id, 'activity', NULL, 'conversation', NULL, "
        f"{day}, {created}, 0, 0, {values} FROM conversation_usage ORDER BY id")
    op.drop_table('conversation_usage')


def downgrade():
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
    day = "to_char(day, 'YYYY-MM-DD')" if _postgresql() else "day"
    for metric in ACTIVITY_METRICS:
        op.execute(
            "INSERT INTO conversation_usage (organisation_id, learner_user_id, day, metric, "
            f"value) SELECT organisation_id, learner_user_id, {day}, '{metric}', "
            f"SUM({metric}) FROM usage_records WHERE kind = 'activity' "
            f"GROUP BY organisation_id, learner_user_id, day HAVING SUM({metric}) <> 0")
    op.execute("DELETE FROM usage_records WHERE kind = 'activity'")
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('job_id', existing_type=sa.String(length=40), nullable=False)
        for name, _ in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column('kind')
