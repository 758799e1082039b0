"""audit event targets: one audit event for a list read, findable from each case it showed

Revision ID: 0016_audit_targets
Revises: 0015_indexes

"""
from alembic import op
import sqlalchemy as sa

revision = '0016_audit_targets'
down_revision = '0015_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event_targets',
    sa.Column('audit_event_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['audit_event_id'], ['audit_events.id'],
                            name=op.f('fk_audit_event_targets_audit_event_id_audit_events')),
    sa.PrimaryKeyConstraint('audit_event_id', 'target_type', 'target_id', name=op.f('pk_audit_event_targets'))
    )
    op.create_index('ix_audit_event_targets_target', 'audit_event_targets',
                    ['target_type', 'target_id', 'audit_event_id'])
    # Append-only, like audit_events (migrations 0001 and 0011): no UPDATE, DELETE or TRUNCATE.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE TRIGGER audit_event_targets_append_only BEFORE UPDATE OR DELETE ON audit_event_targets
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
        """)
        op.execute("""
            CREATE TRIGGER audit_event_targets_no_truncate BEFORE TRUNCATE ON audit_event_targets
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
        """)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_event_targets_no_{verb.lower()} BEFORE {verb} ON audit_event_targets
                BEGIN SELECT RAISE(ABORT, 'audit_event_targets is append-only'); END
            """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_targets_no_truncate ON audit_event_targets")
        op.execute("DROP TRIGGER audit_event_targets_append_only ON audit_event_targets")
    op.drop_index('ix_audit_event_targets_target', table_name='audit_event_targets')
    op.drop_table('audit_event_targets')
