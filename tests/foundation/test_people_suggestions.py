"""Suggesting people as a coordinator types: the start of a name (any case) or of an e-mail address,
active people only, and on PostgreSQL through an index rather than a scan of every account."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.accounts.operations import people_starting_with
from tests.sql_statements import recorded_statements


def test_people_are_suggested_by_the_start_of_their_name_or_e_mail(session, make_user):
    make_user("specialist", name="Ivanova Anna", email="a.ivanova@pavlov.example")
    make_user("specialist", name="Petrov Ivan", email="ivan.petrov@pavlov.example")
    make_user("coordinator", name="Zhang Ivy", email="zhang@fcg.example")
    make_user("specialist", name="Ivanov Oleg", email="oleg@pavlov.example").is_active = False
    session.commit()

    assert [row[1] for row in people_starting_with(session, "IVA", limit=8)] == ["Ivanova Anna", "Petrov Ivan"]
    assert [row[1] for row in people_starting_with(session, "iv", role="coordinator", limit=8)] == []
    assert [row[1] for row in people_starting_with(session, "zh", role="coordinator", limit=8)] == ["Zhang Ivy"]
    assert people_starting_with(session, "%", limit=8) == people_starting_with(session, "", limit=8)


def test_on_postgresql_the_suggestions_read_the_prefix_indexes(session, make_user):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's LIKE cannot use an expression index; its sites are small (see the migration)")
    make_user("specialist", name="Ivanova Anna", email="a.ivanova@pavlov.example")
    with recorded_statements(session.get_bind()) as statements:
        people_starting_with(session, "iva", limit=8)
    statement, parameters = next(s for s in statements if "LIKE" in s[0])
    session.execute(text("SET LOCAL enable_seqscan = off"))   # the test table is tiny: ask for the index path
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql("EXPLAIN " + statement, parameters))
    session.rollback()
    assert "ix_users_name_prefix" in plan and "ix_users_email_prefix" in plan, plan
