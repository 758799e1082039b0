"""Fixtures for the boards tests: a board body and boards."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

UTC = timezone.utc


@pytest.fixture
def board_body():
    def body(**overrides):
        values = {
            "name": "Thoracic Oncology MDT", "weekday": 3, "start_time": "14:00", "duration_minutes": 120,
            "quorum": [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}],
        }
        values.update(overrides)
        return values

    return body


@pytest.fixture
def make_board(session, organization):
    """A board made through the operations (Thursdays 14:00 Asia/Shanghai unless told otherwise)."""
    from datetime import time

    from app.boards import operations

    def make(*, at=datetime(2026, 3, 1, tzinfo=UTC), members=(), quorum=None, **values):
        values.setdefault("name", "Thoracic Oncology MDT")
        values.setdefault("weekday", 3)
        values.setdefault("start_time", time(14))
        board = operations.create_board(
            session, at=at, host_organization_id=organization.id,
            quorum=quorum or [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}],
            members=list(members), **values)
        session.commit()
        return board

    return make
