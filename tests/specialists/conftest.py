"""Fixtures for the specialists tests."""
from __future__ import annotations

import pytest

@pytest.fixture
def other_organization(session):
    from app.accounts.operations import create_organization

    org = create_organization(session, name="Kathmandu Valley Cancer Hospital", country="NP",
                              timezone="Asia/Kathmandu", residency_region="np")
    session.commit()
    return org
