"""The page tests' demo and sign-in fixtures, for the administrator's pages too."""
from tests.web.conftest import demo, postgres_demo_template, sign_in, sqlite_demo_template  # noqa: F401


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def shipped_vocabulary_afterwards(session):
    """The discipline vocabulary outlives a test on PostgreSQL (the migrations fill it): what a test
    added, renamed or retired is put back, so later tests see the vocabulary as shipped."""
    yield
    from sqlalchemy import delete, update

    from app.specialists.models import Discipline, specialist_disciplines
    from app.vocabulary import DISCIPLINE_NAMES

    session.rollback()
    shipped = list(DISCIPLINE_NAMES)
    session.execute(delete(specialist_disciplines).where(specialist_disciplines.c.discipline_code.not_in(shipped)))
    session.execute(delete(Discipline).where(Discipline.code.not_in(shipped)))
    session.execute(update(Discipline).values(retired_at=None, labels={}))
    session.commit()
