"""indexes for the lookups pages and the API make

Revision ID: 0015_indexes
Revises: 0014_notifications_as_data

Composite indexes that lead with the filter and end with the keyset order (id, or an instant),
so a filtered page is an index range scan. Each replaces a one-column index of the same name
that it covers (the foreign keys stay indexed).
"""
from alembic import op

revision = '0015_indexes'
down_revision = '0014_notifications_as_data'
branch_labels = None
depends_on = None

# table, index name, columns now, columns before (None: the index is new)
INDEXES = [
    ("audit_events", "ix_audit_events_target", ["target_type", "target_id", "id"], None),
    ("cases", "ix_cases_organization_id", ["organization_id", "id"], ["organization_id"]),
    ("cases", "ix_cases_board_id", ["board_id", "state", "id"], ["board_id"]),
    ("cases", "ix_cases_state", ["state", "id"], ["state"]),
    ("cases", "ix_cases_submitted_at", ["submitted_at", "id"], None),
    ("cases", "ix_cases_site_updated", ["organization_id", "updated_at", "id"], None),
    ("invitations", "ix_invitations_user_id", ["user_id", "busy_from"], ["user_id"]),
    ("notifications", "ix_notifications_user_id", ["user_id", "created_at", "id"], ["user_id"]),
]


def upgrade():
    for table, name, columns, before in INDEXES:
        if before is not None:
            op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)


def downgrade():
    for table, name, columns, before in reversed(INDEXES):
        op.drop_index(name, table_name=table)
        if before is not None:
            op.create_index(name, table, before)
