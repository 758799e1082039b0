"""boards, cases, agenda, outcomes, attendance

Revision ID: 0004
Revises: 0003

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('host_organization_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('interval_weeks', sa.Integer(), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=False),
    sa.Column('cases_per_meeting', sa.Integer(), nullable=False),
    sa.Column('minutes_per_case', sa.Integer(), nullable=False),
    sa.Column('agenda_cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('agenda_cutoff_hours >= 0', name=op.f('ck_boards_cutoff_non_negative')),
    sa.CheckConstraint('duration_minutes > 0 AND cases_per_meeting > 0 AND minutes_per_case > 0', name=op.f('ck_boards_positive_sizes')),
    sa.CheckConstraint('interval_weeks IN (1, 2)', name=op.f('ck_boards_weekly_or_fortnightly')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_boards_weekday_range')),
    sa.ForeignKeyConstraint(['host_organization_id'], ['organizations.id'], name=op.f('fk_boards_host_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards')),
    sa.UniqueConstraint('name', name=op.f('uq_boards_name'))
    )
    op.create_table('board_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('discipline_code', sa.String(length=40), nullable=True),
    sa.CheckConstraint("role IN ('core', 'deputy', 'coordinator', 'observer')", name=op.f('ck_board_members_role_known')),
    sa.CheckConstraint("role NOT IN ('core', 'deputy') OR discipline_code IS NOT NULL", name=op.f('ck_board_members_seat_members_have_a_discipline')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_members_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['discipline_code'], ['disciplines.code'], name=op.f('fk_board_members_discipline_code_disciplines')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_board_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_members')),
    sa.UniqueConstraint('board_id', 'user_id', 'role', name=op.f('uq_board_members_board_id'))
    )
    with op.batch_alter_table('board_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_members_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_members_user_id'), ['user_id'], unique=False)

    op.create_table('board_quorum',
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('discipline_code', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 1', name=op.f('ck_board_quorum_count_positive')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_quorum_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['discipline_code'], ['disciplines.code'], name=op.f('fk_board_quorum_discipline_code_disciplines')),
    sa.PrimaryKeyConstraint('board_id', 'discipline_code', name=op.f('pk_board_quorum'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('residency_region', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('patient_reference', sa.String(length=64), nullable=True),
    sa.Column('year_of_birth', sa.Integer(), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.Column('country_of_residence', sa.String(length=2), nullable=True),
    sa.Column('icd10_code', sa.String(length=8), nullable=True),
    sa.Column('diagnosis', sa.Text(), nullable=True),
    sa.Column('performance_status', sa.Integer(), nullable=True),
    sa.Column('frailty_score', sa.Integer(), nullable=True),
    sa.Column('clinical_summary', sa.Text(), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('cross_border_consent', sa.Boolean(), nullable=True),
    sa.Column('consent_recorded_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consent_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('triage_decision', sa.String(length=30), nullable=True),
    sa.Column('submitted_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('target_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'returned', 'triaged', 'listed_not_discussed', 'scheduled', 'discussed', 'outcome_signed', 'closed', 'withdrawn')", name=op.f('ck_cases_state_known')),
    sa.CheckConstraint("urgency IN ('routine', 'urgent')", name=op.f('ck_cases_urgency_known')),
    sa.CheckConstraint('frailty_score IS NULL OR frailty_score BETWEEN 1 AND 9', name=op.f('ck_cases_frailty_range')),
    sa.CheckConstraint('performance_status IS NULL OR performance_status BETWEEN 0 AND 4', name=op.f('ck_cases_performance_status_range')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_cases_board_id_boards')),
    sa.ForeignKeyConstraint(['consent_recorded_by_id'], ['users.id'], name=op.f('fk_cases_consent_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cases_organization_id_organizations')),
    sa.ForeignKeyConstraint(['referrer_id'], ['users.id'], name=op.f('fk_cases_referrer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_referrer_id'), ['referrer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_state'), ['state'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_attachments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)

    op.create_table('case_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_comments_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_comments_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_comments'))
    )
    with op.batch_alter_table('case_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_comments_case_id'), ['case_id'], unique=False)

    op.create_table('case_disciplines',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('discipline_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_disciplines_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['discipline_code'], ['disciplines.code'], name=op.f('fk_case_disciplines_discipline_code_disciplines')),
    sa.PrimaryKeyConstraint('case_id', 'discipline_code', name=op.f('pk_case_disciplines'))
    )
    op.create_table('case_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transitions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transitions'))
    )
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_transitions_case_id'), ['case_id'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rolled_from_meeting_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('listed', 'discussed', 'not_discussed', 'removed')", name=op.f('ck_agenda_items_status_known')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_agenda_items_added_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_agenda_items_case_id_cases')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rolled_from_meeting_id'], ['meetings.id'], name=op.f('fk_agenda_items_rolled_from_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'case_id', name=op.f('uq_agenda_items_meeting_id'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_items_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.CheckConstraint("source IN ('live', 'coordinator')", name=op.f('ck_attendance_source_known')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_attendance_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('dissent', sa.Text(), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_outcomes_version_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outcomes_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['users.id'], name=op.f('fk_outcomes_drafted_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_outcomes_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['outcomes.id'], name=op.f('fk_outcomes_supersedes_id_outcomes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes')),
    sa.UniqueConstraint('case_id', 'version', name=op.f('uq_outcomes_case_id'))
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcomes_case_id'), ['case_id'], unique=False)

    op.create_table('outcome_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('discipline_code', sa.String(length=40), nullable=False),
    sa.Column('signed_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['discipline_code'], ['disciplines.code'], name=op.f('fk_outcome_signatures_discipline_code_disciplines')),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_outcome_signatures_outcome_id_outcomes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outcome_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_signatures')),
    sa.UniqueConstraint('outcome_id', 'user_id', name=op.f('uq_outcome_signatures_outcome_id'))
    )
    with op.batch_alter_table('outcome_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_signatures_outcome_id'), ['outcome_id'], unique=False)

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('occurrence_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('chair_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('current_case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('quorum_at_start', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('agenda_circulated_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_meetings_board_id'), ['board_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_meetings_board_id'), ['board_id', 'occurrence_date'])
        batch_op.create_foreign_key(batch_op.f('fk_meetings_current_case_id_cases'), 'cases', ['current_case_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_meetings_board_id_boards'), 'boards', ['board_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_meetings_chair_id_users'), 'users', ['chair_id'], ['id'])
    if op.get_bind().dialect.name == "postgresql":
        # Nobody is booked into overlapping meetings (buffers included): the database refuses it.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute("""
            ALTER TABLE invitations ADD CONSTRAINT invitations_no_double_booking
            EXCLUDE USING gist (user_id WITH =, tstzrange(busy_from, busy_until) WITH &&)
            WHERE (status IN ('pending', 'accepted', 'tentative'))
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invitations DROP CONSTRAINT invitations_no_double_booking")
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_chair_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meetings_board_id_boards'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meetings_current_case_id_cases'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_meetings_board_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_meetings_board_id'))
        batch_op.drop_column('agenda_circulated_at')
        batch_op.drop_column('quorum_at_start')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('current_case_id')
        batch_op.drop_column('chair_id')
        batch_op.drop_column('occurrence_date')
        batch_op.drop_column('board_id')

    with op.batch_alter_table('outcome_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_signatures_outcome_id'))

    op.drop_table('outcome_signatures')
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcomes_case_id'))

    op.drop_table('outcomes')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_meeting_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_items_case_id'))

    op.drop_table('agenda_items')
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_transitions_case_id'))

    op.drop_table('case_transitions')
    op.drop_table('case_disciplines')
    with op.batch_alter_table('case_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_comments_case_id'))

    op.drop_table('case_comments')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachments_case_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_state'))
        batch_op.drop_index(batch_op.f('ix_cases_referrer_id'))
        batch_op.drop_index(batch_op.f('ix_cases_organization_id'))
        batch_op.drop_index(batch_op.f('ix_cases_board_id'))

    op.drop_table('cases')
    op.drop_table('board_quorum')
    with op.batch_alter_table('board_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_board_members_board_id'))

    op.drop_table('board_members')
    op.drop_table('boards')
