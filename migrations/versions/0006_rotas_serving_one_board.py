"""rotas serving one board

Revision ID: 0006
Revises: 0005

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rotas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_rotas_board_id'), ['board_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_rotas_board_id_boards'), 'boards', ['board_id'], ['id'])



def downgrade():
    with op.batch_alter_table('rotas', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rotas_board_id_boards'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_rotas_board_id'))
        batch_op.drop_column('board_id')

