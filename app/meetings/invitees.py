"""Meetings' invitations with the people invited, loaded at once for every row shown. Plain Python
over a session; imports only models, so the pages, the API and the presentation modules can use it."""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.meetings.models import Invitation


def invitations_with_people(session, meetings) -> dict[int, list[Invitation]]:
    """Each meeting's invitations with their people (and the people's organisations, whose zone a
    person without their own reads in), in one query each for all the meetings. What is loaded is set
    on the meetings and invitations, which hold it: the session's identity map holds it only weakly."""
    meetings = list(meetings)
    unloaded = [meeting for meeting in meetings if "invitations" in inspect(meeting).unloaded]
    if unloaded:
        found: dict[int, list[Invitation]] = {meeting.id: [] for meeting in unloaded}
        for invitation in session.scalars(select(Invitation).where(Invitation.meeting_id.in_(list(found)))
                                          .order_by(Invitation.id)):
            found[invitation.meeting_id].append(invitation)
        for meeting in unloaded:
            set_committed_value(meeting, "invitations", found[meeting.id])
    invitations = {meeting.id: list(meeting.invitations) for meeting in meetings}
    without_person = [invitation for listed in invitations.values() for invitation in listed
                      if "user" in inspect(invitation).unloaded]
    if without_person:
        people = {user.id: user for user in session.scalars(
            select(User).where(User.id.in_({invitation.user_id for invitation in without_person}))
            .options(selectinload(User.organization)))}
        for invitation in without_person:
            set_committed_value(invitation, "user", people[invitation.user_id])
    return invitations
