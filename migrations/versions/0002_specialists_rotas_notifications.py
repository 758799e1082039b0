"""specialists, rotas, notifications, calendar feeds

Revision ID: 0002
Revises: 0001

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# The controlled vocabulary of MDT disciplines as first shipped; later changes get their own migration.
DISCIPLINES = [
    ("radiology", "Radiology"),
    ("interventional-radiology", "Interventional radiology"),
    ("nuclear-medicine", "Nuclear medicine"),
    ("pathology", "Pathology"),
    ("medical-oncology", "Medical oncology"),
    ("clinical-oncology", "Clinical / radiation oncology"),
    ("haematology", "Haematology"),
    ("paediatric-oncology", "Paediatric oncology"),
    ("thoracic-surgery", "Thoracic surgery"),
    ("colorectal-surgery", "Colorectal surgery"),
    ("hepatobiliary-surgery", "Hepatobiliary and pancreatic surgery"),
    ("upper-gi-surgery", "Upper gastrointestinal surgery"),
    ("breast-surgery", "Breast surgery"),
    ("head-and-neck-surgery", "Head and neck surgery"),
    ("urology", "Urology"),
    ("gynaecological-oncology", "Gynaecological oncology"),
    ("neurosurgery", "Neurosurgery"),
    ("neurology", "Neurology"),
    ("cardiology", "Cardiology"),
    ("respiratory-medicine", "Respiratory medicine"),
    ("gastroenterology", "Gastroenterology"),
    ("dermatology", "Dermatology"),
    ("palliative-care", "Palliative care"),
    ("clinical-genetics", "Clinical genetics"),
    ("specialist-nursing", "Clinical nurse specialist"),
    ("pharmacy", "Oncology pharmacy"),
    ("psycho-oncology", "Psycho-oncology"),
    ("dietetics", "Dietetics"),
]


def upgrade():
    op.create_table('disciplines',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_disciplines')),
    sa.UniqueConstraint('name', name=op.f('uq_disciplines_name'))
    )
    disciplines = sa.table("disciplines", sa.column("code", sa.String), sa.column("name", sa.String))
    op.bulk_insert(disciplines, [{"code": code, "name": name} for code, name in DISCIPLINES])
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_calendar_feeds_secret_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('rotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('discipline_code', sa.String(length=40), nullable=False),
    sa.Column('handoff_weekday', sa.Integer(), nullable=False),
    sa.Column('handoff_time', sa.Time(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('period_weeks', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('handoff_weekday BETWEEN 0 AND 6', name=op.f('ck_rotas_weekday_range')),
    sa.CheckConstraint('period_weeks IN (1, 2)', name=op.f('ck_rotas_period_one_or_two_weeks')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rotas_created_by_id_users')),
    sa.ForeignKeyConstraint(['discipline_code'], ['disciplines.code'], name=op.f('fk_rotas_discipline_code_disciplines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotas'))
    )
    with op.batch_alter_table('rotas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotas_discipline_code'), ['discipline_code'], unique=False)

    op.create_table('specialist_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('home_timezone', sa.String(length=64), nullable=False),
    sa.Column('sub_specialty', sa.Text(), nullable=True),
    sa.Column('weekly_hours', sa.JSON(), nullable=False),
    sa.Column('buffer_before_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), nullable=False),
    sa.Column('min_notice_hours', sa.Integer(), nullable=False),
    sa.Column('max_meetings_per_day', sa.Integer(), nullable=False),
    sa.Column('max_meetings_per_week', sa.Integer(), nullable=False),
    sa.Column('takes_urgent', sa.Boolean(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('buffer_before_minutes >= 0 AND buffer_after_minutes >= 0', name=op.f('ck_specialist_profiles_buffers_non_negative')),
    sa.CheckConstraint('max_meetings_per_day >= 1 AND max_meetings_per_week >= 1', name=op.f('ck_specialist_profiles_caps_positive')),
    sa.CheckConstraint('min_notice_hours >= 0', name=op.f('ck_specialist_profiles_notice_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_specialist_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specialist_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_specialist_profiles_user_id'))
    )
    op.create_table('availability_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('ranges', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['profile_id'], ['specialist_profiles.id'], name=op.f('fk_availability_overrides_profile_id_specialist_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_overrides')),
    sa.UniqueConstraint('profile_id', 'local_date', name=op.f('uq_availability_overrides_profile_id'))
    )
    with op.batch_alter_table('availability_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_overrides_profile_id'), ['profile_id'], unique=False)

    op.create_table('licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction', sa.String(length=2), nullable=False),
    sa.Column('registration_number', sa.String(length=64), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['specialist_profiles.id'], name=op.f('fk_licences_profile_id_specialist_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_licences_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licences')),
    sa.UniqueConstraint('profile_id', 'jurisdiction', 'registration_number', name=op.f('uq_licences_profile_id'))
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licences_profile_id'), ['profile_id'], unique=False)

    op.create_table('on_call_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_on_call_shifts_status_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_on_call_shifts_ends_after_start')),
    sa.ForeignKeyConstraint(['rota_id'], ['rotas.id'], name=op.f('fk_on_call_shifts_rota_id_rotas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_on_call_shifts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_on_call_shifts')),
    sa.UniqueConstraint('rota_id', 'starts_at', name=op.f('uq_on_call_shifts_rota_id'))
    )
    with op.batch_alter_table('on_call_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_on_call_shifts_rota_id'), ['rota_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_on_call_shifts_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_on_call_shifts_user_id'), ['user_id'], unique=False)

    op.create_table('rota_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rota_id'], ['rotas.id'], name=op.f('fk_rota_members_rota_id_rotas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rota_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_members')),
    sa.UniqueConstraint('rota_id', 'user_id', name=op.f('uq_rota_members_rota_id'))
    )
    with op.batch_alter_table('rota_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rota_members_rota_id'), ['rota_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rota_members_user_id'), ['user_id'], unique=False)

    op.create_table('specialist_disciplines',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('discipline_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['discipline_code'], ['disciplines.code'], name=op.f('fk_specialist_disciplines_discipline_code_disciplines')),
    sa.ForeignKeyConstraint(['profile_id'], ['specialist_profiles.id'], name=op.f('fk_specialist_disciplines_profile_id_specialist_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'discipline_code', name=op.f('pk_specialist_disciplines'))
    )
    op.create_table('specialist_leave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_specialist_leave_ends_after_start')),
    sa.ForeignKeyConstraint(['profile_id'], ['specialist_profiles.id'], name=op.f('fk_specialist_leave_profile_id_specialist_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specialist_leave'))
    )
    with op.batch_alter_table('specialist_leave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_specialist_leave_profile_id'), ['profile_id'], unique=False)

    op.create_table('cover_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('covered_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'accepted', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_cover_requests_status_known')),
    sa.ForeignKeyConstraint(['covered_by_id'], ['users.id'], name=op.f('fk_cover_requests_covered_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_cover_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_cover_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['shift_id'], ['on_call_shifts.id'], name=op.f('fk_cover_requests_shift_id_on_call_shifts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cover_requests'))
    )
    with op.batch_alter_table('cover_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cover_requests_shift_id'), ['shift_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cover_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cover_requests_shift_id'))

    op.drop_table('cover_requests')
    with op.batch_alter_table('specialist_leave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_specialist_leave_profile_id'))

    op.drop_table('specialist_leave')
    op.drop_table('specialist_disciplines')
    with op.batch_alter_table('rota_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rota_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_rota_members_rota_id'))

    op.drop_table('rota_members')
    with op.batch_alter_table('on_call_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_on_call_shifts_user_id'))
        batch_op.drop_index(batch_op.f('ix_on_call_shifts_starts_at'))
        batch_op.drop_index(batch_op.f('ix_on_call_shifts_rota_id'))

    op.drop_table('on_call_shifts')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_profile_id'))

    op.drop_table('licences')
    with op.batch_alter_table('availability_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_overrides_profile_id'))

    op.drop_table('availability_overrides')
    op.drop_table('specialist_profiles')
    with op.batch_alter_table('rotas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotas_discipline_code'))

    op.drop_table('rotas')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_created_at'))

    op.drop_table('notifications')
    op.drop_table('calendar_feeds')
    op.drop_table('disciplines')
