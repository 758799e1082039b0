"""`flask seed-demo` builds a multinational network with users of every role."""
from sqlalchemy import select

from app.accounts.models import Organization, User
from app.demo.network import EMAIL_DOMAIN

REQUIRED_ZONES = {"Asia/Shanghai", "Asia/Almaty", "Asia/Tashkent", "Asia/Karachi", "Asia/Kolkata",
                  "Asia/Kathmandu", "Europe/Moscow", "Asia/Dubai", "Africa/Nairobi"}


def test_seed_demo_creates_the_network(app, session, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert f"coordinator@{EMAIL_DOMAIN}" in result.output and "meridian-demo" in result.output
    organizations = session.scalars(select(Organization)).all()
    assert REQUIRED_ZONES <= {o.timezone for o in organizations}
    hub = session.scalar(select(Organization).where(Organization.name.like("Fangchenggang%")))
    assert hub.timezone == "Asia/Shanghai"
    roles = set().union(*(u.roles for u in session.scalars(select(User))))
    assert roles == {"referrer", "specialist", "coordinator", "admin"}
    # specialists with profiles and licences, boards with meetings ahead, rotas with shifts
    from app.boards.models import Board
    from app.meetings.models import Meeting
    from app.rotas.models import OnCallShift, Rota
    from app.specialists.models import SpecialistProfile

    assert session.query(SpecialistProfile).count() >= 7
    assert session.query(Board).count() >= 2 and session.query(Meeting).count() >= 6
    assert session.query(Rota).count() >= 2 and session.query(OnCallShift).count() >= 8
    from app.cases.models import Case
    from app.outcomes.models import Outcome

    assert {"draft", "submitted", "returned", "triaged", "listed_not_discussed", "scheduled", "withdrawn",
            "outcome_signed", "closed"} <= {case.state for case in session.query(Case)}
    from app.meetings.models import AgendaItem, Invitation

    assert session.query(AgendaItem).count() >= 1 and session.query(Invitation).count() >= 10
    assert session.query(Outcome).filter(Outcome.signed_at.is_not(None)).count() >= 1
    # the printed logins work
    response = client.post("/api/v1/auth/token", json={"email": f"coordinator@{EMAIL_DOMAIN}",
                                                       "password": "meridian-demo"})
    assert response.status_code == 201


def test_seed_demo_twice(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 1 and "already has data" in again.output
    assert "Traceback" not in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and "not seeded" in quiet.output
