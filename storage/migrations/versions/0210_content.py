"""content: courses, chapters, lessons, exercises, attempts, progress, badges, search

Revision ID: 0210
Revises: 0203
Create Date: 2026-11-29 12:23:39.345830

"""
from alembic import op
import sqlalchemy as sa
import storage.db  # noqa: F401  (custom column types)
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0210'
down_revision = '0220'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('course_id', sa.String(length=40), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('config', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('document', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=True),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_search_entries_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entries')),
    sa.UniqueConstraint('kind', 'object_id', name=op.f('uq_search_entries_kind'))
    )
    op.create_index(op.f('ix_search_entries_course_id'), 'search_entries', ['course_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_search_entries_document', 'search_entries', ['document'], unique=False, postgresql_using='gin')
    else:
        # Embedded mode searches an FTS5 table beside the entries (storage.content.search).
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, "
                   "tokenize='porter unicode61 remove_diacritics 2')")
    op.create_index(op.f('ix_search_entries_organisation_id'), 'search_entries', ['organisation_id'], unique=False)
    op.create_index('ix_search_entries_organisation_id_config', 'search_entries', ['organisation_id', 'config'], unique=False)
    op.create_table('badge_awards',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('badge', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('awarded_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_badge_awards_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_badge_awards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_awards')),
    sa.UniqueConstraint('user_id', 'badge', name=op.f('uq_badge_awards_user_id'))
    )
    op.create_index(op.f('ix_badge_awards_organisation_id'), 'badge_awards', ['organisation_id'], unique=False)
    op.create_table('courses',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('level_min', sa.String(length=2), nullable=True),
    sa.Column('level_max', sa.String(length=2), nullable=True),
    sa.Column('prerequisites', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=True),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_courses_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_courses_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    op.create_index(op.f('ix_courses_organisation_id'), 'courses', ['organisation_id'], unique=False)
    op.create_table('chapters',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('course_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_chapters_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_chapters_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chapters'))
    )
    op.create_index('ix_chapters_course_id_position', 'chapters', ['course_id', 'position'], unique=False)
    op.create_index(op.f('ix_chapters_organisation_id'), 'chapters', ['organisation_id'], unique=False)
    op.create_table('course_progress',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('course_id', sa.String(length=40), nullable=False),
    sa.Column('last_lesson_id', sa.String(length=40), nullable=True),
    sa.Column('started_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_progress_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_course_progress_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_progress_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_progress')),
    sa.UniqueConstraint('user_id', 'course_id', name=op.f('uq_course_progress_user_id'))
    )
    op.create_index(op.f('ix_course_progress_course_id'), 'course_progress', ['course_id'], unique=False)
    op.create_index(op.f('ix_course_progress_organisation_id'), 'course_progress', ['organisation_id'], unique=False)
    op.create_table('lessons',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('chapter_id', sa.String(length=40), nullable=False),
    sa.Column('course_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=2), nullable=True),
    sa.Column('skill', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('media_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('estimated_minutes', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chapter_id'], ['chapters.id'], name=op.f('fk_lessons_chapter_id_chapters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_lessons_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lessons_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    op.create_index('ix_lessons_chapter_id_position', 'lessons', ['chapter_id', 'position'], unique=False)
    op.create_index(op.f('ix_lessons_course_id'), 'lessons', ['course_id'], unique=False)
    op.create_index(op.f('ix_lessons_organisation_id'), 'lessons', ['organisation_id'], unique=False)
    op.create_table('exercises',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('lesson_id', sa.String(length=40), nullable=False),
    sa.Column('course_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('pass_score', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_exercises_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_exercises_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_exercises_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercises'))
    )
    op.create_index(op.f('ix_exercises_course_id'), 'exercises', ['course_id'], unique=False)
    op.create_index('ix_exercises_lesson_id_position', 'exercises', ['lesson_id', 'position'], unique=False)
    op.create_index(op.f('ix_exercises_organisation_id'), 'exercises', ['organisation_id'], unique=False)
    op.create_table('lesson_progress',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('lesson_id', sa.String(length=40), nullable=False),
    sa.Column('chapter_id', sa.String(length=40), nullable=False),
    sa.Column('course_id', sa.String(length=40), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('time_spent_seconds', sa.Integer(), nullable=False),
    sa.Column('completed_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_progress_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lesson_progress_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lesson_progress_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_progress')),
    sa.UniqueConstraint('user_id', 'lesson_id', name=op.f('uq_lesson_progress_user_id'))
    )
    op.create_index(op.f('ix_lesson_progress_organisation_id'), 'lesson_progress', ['organisation_id'], unique=False)
    op.create_index('ix_lesson_progress_user_id_course_id', 'lesson_progress', ['user_id', 'course_id'], unique=False)
    op.create_table('attempts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('exercise_id', sa.String(length=40), nullable=False),
    sa.Column('learner_user_id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('results', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('pending_items', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('percent', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('time_spent_seconds', sa.Integer(), nullable=True),
    sa.Column('submitted_at', storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('graded_at', storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_attempts_exercise_id_exercises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_user_id'], ['users.id'], name=op.f('fk_attempts_learner_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_attempts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('exercise_id', 'learner_user_id', 'number', name=op.f('uq_attempts_exercise_id'))
    )
    op.create_index('ix_attempts_learner_user_id_exercise_id', 'attempts', ['learner_user_id', 'exercise_id'], unique=False)
    op.create_index(op.f('ix_attempts_organisation_id'), 'attempts', ['organisation_id'], unique=False)
    op.create_table('attempt_jobs',
    sa.Column('job_id', sa.String(length=40), nullable=False),
    sa.Column('attempt_id', sa.String(length=40), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('organisation_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_jobs_attempt_id_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_attempt_jobs_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_attempt_jobs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_attempt_jobs'))
    )
    op.create_index(op.f('ix_attempt_jobs_attempt_id'), 'attempt_jobs', ['attempt_id'], unique=False)
    op.create_index(op.f('ix_attempt_jobs_organisation_id'), 'attempt_jobs', ['organisation_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_attempt_jobs_organisation_id'), table_name='attempt_jobs')
    op.drop_index(op.f('ix_attempt_jobs_attempt_id'), table_name='attempt_jobs')
    op.drop_table('attempt_jobs')
    op.drop_index(op.f('ix_attempts_organisation_id'), table_name='attempts')
    op.drop_index('ix_attempts_learner_user_id_exercise_id', table_name='attempts')
    op.drop_table('attempts')
    op.drop_index('ix_lesson_progress_user_id_course_id', table_name='lesson_progress')
    op.drop_index(op.f('ix_lesson_progress_organisation_id'), table_name='lesson_progress')
    op.drop_table('lesson_progress')
    op.drop_index(op.f('ix_exercises_organisation_id'), table_name='exercises')
    op.drop_index('ix_exercises_lesson_id_position', table_name='exercises')
    op.drop_index(op.f('ix_exercises_course_id'), table_name='exercises')
    op.drop_table('exercises')
    op.drop_index(op.f('ix_lessons_organisation_id'), table_name='lessons')
    op.drop_index(op.f('ix_lessons_course_id'), table_name='lessons')
    op.drop_index('ix_lessons_chapter_id_position', table_name='lessons')
    op.drop_table('lessons')
    op.drop_index(op.f('ix_course_progress_organisation_id'), table_name='course_progress')
    op.drop_index(op.f('ix_course_progress_course_id'), table_name='course_progress')
    op.drop_table('course_progress')
    op.drop_index(op.f('ix_chapters_organisation_id'), table_name='chapters')
    op.drop_index('ix_chapters_course_id_position', table_name='chapters')
    op.drop_table('chapters')
    op.drop_index(op.f('ix_courses_organisation_id'), table_name='courses')
    op.drop_table('courses')
    op.drop_index(op.f('ix_badge_awards_organisation_id'), table_name='badge_awards')
    op.drop_table('badge_awards')
    op.drop_index('ix_search_entries_organisation_id_config', table_name='search_entries')
    op.drop_index(op.f('ix_search_entries_organisation_id'), table_name='search_entries')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_search_entries_document', table_name='search_entries', postgresql_using='gin')
    else:
        op.execute("DROP TABLE search_fts")
    op.drop_index(op.f('ix_search_entries_course_id'), table_name='search_entries')
    op.drop_table('search_entries')
