"""live events name their room's previous event; each room's latest seq; index (room, seq)

Revision ID: 0008_live_event_chain
Revises: 0007

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_live_event_chain'
down_revision = '0007'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('live_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_summary', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('prev_seq', SEQ, nullable=True))
        batch_op.add_column(sa.Column('summary_prev_seq', SEQ, nullable=True))
        batch_op.drop_index(batch_op.f('ix_live_events_room'))
        batch_op.create_index('ix_live_events_room_seq', ['room', 'seq'], unique=False)
    # Earlier events keep prev_seq NULL (sent as 0: clients apply them without a gap check).
    op.execute("UPDATE live_events SET has_summary = (summary_data IS NOT NULL AND CAST(summary_data AS TEXT) != 'null')")
    op.create_table('live_rooms',
    sa.Column('room', sa.String(length=64), nullable=False),
    sa.Column('seq', SEQ, nullable=False),
    sa.Column('summary_seq', SEQ, server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('room', name=op.f('pk_live_rooms'))
    )
    op.execute("INSERT INTO live_rooms (room, seq, summary_seq) SELECT room, MAX(seq), "
               "COALESCE(MAX(CASE WHEN has_summary THEN seq END), 0) FROM live_events GROUP BY room")


def downgrade():
    op.drop_table('live_rooms')
    with op.batch_alter_table('live_events', schema=None) as batch_op:
        batch_op.drop_index('ix_live_events_room_seq')
        batch_op.create_index(batch_op.f('ix_live_events_room'), ['room'], unique=False)
        batch_op.drop_column('summary_prev_seq')
        batch_op.drop_column('prev_seq')
        batch_op.drop_column('has_summary')
