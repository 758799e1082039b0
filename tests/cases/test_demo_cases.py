"""The demo cases: several sites, every early state, real histories, one cross-border case without consent."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.boards.models import Board
from app.cases import visibility
from app.cases.models import Case
from app.demo.boards import seed_boards
from app.demo.cases import seed_cases
from app.demo.network import EMAIL_DOMAIN, seed_network
from app.timekeeping import UTC

AT = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("boards_first", [False, True])
def test_seed_cases(session, boards_first):
    seed_network(session, "meridian-demo-password")
    users = {u.email: u for u in session.scalars(select(User))}
    if boards_first:
        seed_boards(session, users, AT)
    cases = seed_cases(session, users, AT)
    session.commit()
    assert len(cases) >= 8
    states = {case.state for case in cases}
    assert {"draft", "submitted", "returned", "triaged", "listed_not_discussed", "withdrawn"} <= states
    assert len({case.organization_id for case in cases}) >= 3
    for case in session.scalars(select(Case)):
        history = [t.to_state for t in case.transitions]
        assert history[0] == "draft" and history[-1] == case.state
        if case.submitted_at is not None:
            assert case.target_at > case.submitted_at
    # the cases go to the demo boards, made once and with their quorum
    boards = session.scalars(select(Board)).all()
    assert {b.name for b in boards} == {"Thoracic Oncology MDT", "Colorectal MDT"}
    assert all(board.quorum for board in boards)
    coordinator = users[f"coordinator@{EMAIL_DOMAIN}"]
    levels = {case.patient_reference: visibility.case_access(session, coordinator, case) for case in cases}
    assert "summary" in levels.values() and "full" in levels.values()
    admin = users[f"admin@{EMAIL_DOMAIN}"]
    assert all(visibility.case_access(session, admin, case) is None for case in cases)
    seed_cases(session, users, AT)
    session.commit()
    assert session.scalar(select(func.count(Board.id))) == 2
