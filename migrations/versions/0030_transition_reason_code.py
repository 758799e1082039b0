"""transition reason code: why Meridian itself moved a case is kept as a code and its values, put into
words in the reader's language when shown; the English sentences stored before are turned into codes

Revision ID: 0030_transition_reason_code
Revises: 0029_outcome_amendment_reason

"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0030_transition_reason_code'
down_revision = '0029_outcome_amendment_reason'
branch_labels = None
depends_on = None

# The sentences Meridian wrote before, by the state each led to: (pattern, code, parameter names).
SENTENCES = {
    "scheduled": (re.compile(r"on the agenda of (.+)", re.S), "agenda.listed", ("title",)),
    "triaged": (re.compile(r"not discussed at meeting #(\d+); waiting for the next meeting"),
                "agenda.rolled_back", ("meeting_id",)),
    "discussed": (re.compile(r"discussed at meeting #(\d+)"), "meeting.discussed", ("meeting_id",)),
    "outcome_signed": (re.compile(r"Outcome version (\d+) signed by every required discipline"),
                       "outcome.signed", ("version",)),
}
TEMPLATES = {
    "agenda.listed": "on the agenda of {title}",
    "agenda.rolled_back": "not discussed at meeting #{meeting_id}; waiting for the next meeting",
    "meeting.discussed": "discussed at meeting #{meeting_id}",
    "outcome.signed": "Outcome version {version} signed by every required discipline",
}

transitions = sa.table('case_transitions', sa.column('id', sa.Integer), sa.column('to_state', sa.String),
                       sa.column('reason', sa.Text), sa.column('reason_code', sa.String),
                       sa.column('reason_params', sa.JSON))


def upgrade():
    with op.batch_alter_table('case_transitions') as batch_op:
        batch_op.add_column(sa.Column('reason_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reason_params', sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(transitions.c.id, transitions.c.to_state, transitions.c.reason)
                              .where(transitions.c.to_state.in_(list(SENTENCES)),
                                     transitions.c.reason.is_not(None))).all()
    for row in rows:
        pattern, code, names = SENTENCES[row.to_state]
        match = pattern.fullmatch(row.reason)
        if match is None:  # a person's words
            continue
        params = {name: (int(value) if value.isdigit() and name != "title" else value)
                  for name, value in zip(names, match.groups())}
        connection.execute(transitions.update().where(transitions.c.id == row.id)
                           .values(reason=None, reason_code=code, reason_params=params))


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(transitions.c.id, transitions.c.reason_code, transitions.c.reason_params)
                              .where(transitions.c.reason_code.is_not(None))).all()
    for row in rows:
        if row.reason_code in TEMPLATES:
            connection.execute(transitions.update().where(transitions.c.id == row.id)
                               .values(reason=TEMPLATES[row.reason_code].format(**(row.reason_params or {}))))
    with op.batch_alter_table('case_transitions') as batch_op:
        batch_op.drop_column('reason_params')
        batch_op.drop_column('reason_code')
