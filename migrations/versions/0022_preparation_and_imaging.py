"""preparation pack reviews; DICOM image metadata and de-identified copies

Revision ID: 0022_preparation_and_imaging
Revises: 0021_outside_hours_override

"""
from alembic import op
import sqlalchemy as sa

import app.db


revision = '0022_preparation_and_imaging'
down_revision = '0021_outside_hours_override'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dicom_images',
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('modality', sa.String(length=16), nullable=True),
        sa.Column('body_part', sa.String(length=64), nullable=True),
        sa.Column('series_description', sa.String(length=200), nullable=True),
        sa.Column('series_instance_uid', sa.String(length=64), nullable=True),
        sa.Column('series_number', sa.Integer(), nullable=True),
        sa.Column('instance_number', sa.Integer(), nullable=True),
        sa.Column('number_of_frames', sa.Integer(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=True),
        sa.Column('columns', sa.Integer(), nullable=True),
        sa.Column('burned_in_annotation', sa.String(length=3), nullable=True),
        sa.Column('read_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('deidentified_sha256', sa.String(length=64), nullable=True),
        sa.Column('deidentified_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'],
                                name=op.f('fk_dicom_images_attachment_id_attachments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('attachment_id', name=op.f('pk_dicom_images')),
    )
    op.create_table(
        'case_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reviewed_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reviews_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_case_reviews_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_reviews_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reviews')),
        sa.UniqueConstraint('meeting_id', 'case_id', 'user_id',
                            name=op.f('uq_case_reviews_meeting_id')),
    )
    with op.batch_alter_table('case_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_reviews_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reviews_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_reviews_user_id'))
        batch_op.drop_index(batch_op.f('ix_case_reviews_case_id'))
    op.drop_table('case_reviews')
    op.drop_table('dicom_images')
