"""administrator workspace: one-time set-password links, retiring and translating disciplines,
licence verification notes and refusals

Revision ID: 0019_admin_workspace
Revises: 0018_outcome_follow_up

"""
from alembic import op
import sqlalchemy as sa

import app.db


revision = '0019_admin_workspace'
down_revision = '0018_outcome_follow_up'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'password_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('invitation', 'reset')", name=op.f('ck_password_links_purpose_known')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_password_links_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_links_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_links_token_hash')),
    )
    with op.batch_alter_table('password_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_links_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('disciplines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('retired_at', app.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rejected_at', app.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_column('rejected_at')
        batch_op.drop_column('verification_note')
    with op.batch_alter_table('disciplines', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
        batch_op.drop_column('labels')
    with op.batch_alter_table('password_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_links_user_id'))
    op.drop_table('password_links')
