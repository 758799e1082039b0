"""audit hash chain: each event chained to the one before; TRUNCATE refused on PostgreSQL

Revision ID: 0011_audit_hash_chain
Revises: 0010_session_generation

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_audit_hash_chain'
down_revision = '0010_session_generation'
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table('audit_chain_heads',
    sa.Column('partition', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', POSITION, nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('partition', name=op.f('pk_audit_chain_heads'))
    )
    _set_append_only(postgres, False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_partition', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_position', POSITION, nullable=True))
        batch_op.add_column(sa.Column('previous_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('entry_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_audit_events_chain', ['chain_partition', 'chain_position'])
    _chain_existing_events()
    _set_append_only(postgres, True)
    if postgres:
        op.execute("""
            CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
        """)


def _set_append_only(postgres: bool, on: bool):
    """Existing events are chained once, here; the append-only triggers are lifted for that alone."""
    if postgres:
        op.execute(f"ALTER TABLE audit_events {'ENABLE' if on else 'DISABLE'} TRIGGER audit_events_append_only")
        return
    for verb in ("UPDATE", "DELETE"):
        if on:
            op.execute(f"""
                CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
            """)
        else:
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")


def _chain_existing_events():
    from types import SimpleNamespace

    from app.audit import chain
    from app.db import UTCDateTime

    bind = op.get_bind()
    events = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('occurred_at', UTCDateTime()),
                      sa.column('actor_id', sa.Integer), sa.column('action', sa.String),
                      sa.column('target_type', sa.String), sa.column('target_id', sa.String),
                      sa.column('source_address', sa.String), sa.column('detail', sa.JSON),
                      sa.column('chain_partition', sa.Integer), sa.column('chain_position', POSITION),
                      sa.column('previous_hash', sa.String), sa.column('entry_hash', sa.String))
    previous, position = chain.GENESIS, 0
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        position += 1
        item = SimpleNamespace(**{**row, "chain_partition": 0, "chain_position": position})
        digest = chain.entry_hash(previous, item)
        bind.execute(events.update().where(events.c.id == row["id"]).values(
            chain_partition=0, chain_position=position, previous_hash=previous, entry_hash=digest))
        previous = digest
    if position:
        heads = sa.table('audit_chain_heads', sa.column('partition', sa.Integer),
                         sa.column('position', POSITION), sa.column('entry_hash', sa.String))
        bind.execute(heads.insert().values(partition=0, position=position, entry_hash=previous))


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
    _set_append_only(postgres, False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_events_chain', type_='unique')
        batch_op.drop_column('entry_hash')
        batch_op.drop_column('previous_hash')
        batch_op.drop_column('chain_position')
        batch_op.drop_column('chain_partition')
    _set_append_only(postgres, True)
    op.drop_table('audit_chain_heads')
