"""people name prefix: on PostgreSQL, pattern indexes for suggesting people by the start of their
name (any case) or e-mail address

Revision ID: 0028_people_name_prefix
Revises: 0027_agenda_removal_reason

"""
from alembic import op


revision = '0028_people_name_prefix'
down_revision = '0027_agenda_removal_reason'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return   # SQLite's LIKE cannot use an expression index; its user tables are small
    op.execute('CREATE INDEX ix_users_name_prefix ON users (lower(name) text_pattern_ops)')
    op.execute('CREATE INDEX ix_users_email_prefix ON users (email text_pattern_ops)')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_users_email_prefix', table_name='users')
    op.drop_index('ix_users_name_prefix', table_name='users')
