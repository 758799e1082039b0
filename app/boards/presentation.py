"""How a meeting is shown, to the API and the pages alike: its times in the host's and in every
invitee's zone, whether each invitee is inside their working hours, and its quorum. Plain Python
over a session."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.boards.operations import boards_by_id
from app.boards.quorum import meetings_quorum
from app.meetings.invitees import invitations_with_people
from app.meetings.models import Meeting
from app.scheduling import WEEKDAY_KEYS, working_intervals
from app.specialists.models import SpecialistProfile
from app.specialists.operations import engine_spec
from app.timekeeping import format_local, to_local, utc_offset_label


def local_time_fields(starts_at: datetime, ends_at: datetime, zone: str) -> dict:
    return {"timezone": zone, "local_start": format_local(starts_at, zone), "local_end": format_local(ends_at, zone),
            "local_weekday": WEEKDAY_KEYS[to_local(starts_at, zone).weekday()],
            "utc_offset": utc_offset_label(starts_at, zone)}


class InviteeProfiles:
    """The specialist profiles of the invitees of the meetings shown, in one statement, and whether each
    invitee is inside their working hours (each profile's engine spec made once)."""

    def __init__(self, session, user_ids):
        wanted = sorted(set(user_ids))
        self.profiles: dict[int, SpecialistProfile] = {profile.user_id: profile for profile in session.scalars(
            select(SpecialistProfile).where(SpecialistProfile.user_id.in_(wanted))
            .options(selectinload(SpecialistProfile.disciplines), selectinload(SpecialistProfile.overrides),
                     selectinload(SpecialistProfile.leave)))} if wanted else {}
        self.specs = {}

    def within_working_hours(self, user_id: int, starts_at: datetime, ends_at: datetime) -> bool | None:
        profile = self.profiles.get(user_id)
        if profile is None:
            return None
        if user_id not in self.specs:
            self.specs[user_id] = engine_spec(profile)
        working = working_intervals(self.specs[user_id], starts_at, ends_at)
        return any(start <= starts_at and end >= ends_at for start, end in working)


def meetings_out(session, meetings) -> list[dict]:
    """Meetings as the API and the pages show them: each invitee's local time and working hours, the
    quorum. In the same number of queries for one meeting or a page of them."""
    from app.meetings.agenda import cutoff_of  # the agenda rules import the boards
    meetings = list(meetings)
    if not meetings:
        return []
    boards = boards_by_id(session, (meeting.board_id for meeting in meetings))
    invitations = invitations_with_people(session, meetings)
    profiles = InviteeProfiles(session, (invitation.user_id for meeting in meetings
                                         for invitation in invitations[meeting.id]))
    quorums = meetings_quorum(session, meetings, invitations)
    shown = []
    for meeting in meetings:
        starts_at, ends_at = meeting.starts_at, meeting.ends_at
        invitees = []
        for invitation in invitations[meeting.id]:
            profile = profiles.profiles.get(invitation.user_id)
            zone = profile.home_timezone if profile is not None else invitation.user.timezone
            invitees.append({
                "user_id": invitation.user_id, "name": invitation.user.name, "role": invitation.role,
                "discipline": invitation.discipline_code, "status": invitation.status,
                **local_time_fields(starts_at, ends_at, zone),
                "within_working_hours": profiles.within_working_hours(invitation.user_id, starts_at, ends_at),
                "outside_hours_reason": invitation.outside_hours_reason,
            })
        board = boards.get(meeting.board_id)
        shown.append({
            "id": meeting.id, "board_id": meeting.board_id, "title": meeting.title, "kind": meeting.kind,
            "status": meeting.status, "sequence": meeting.sequence or 0, "occurrence_date": meeting.occurrence_date,
            "starts_at": starts_at, "ends_at": ends_at,
            "agenda_cutoff_at": None if board is None else cutoff_of(meeting, board),
            "host": local_time_fields(starts_at, ends_at, meeting.host_timezone),
            "invitees": invitees,
            "quorum": quorums[meeting.id].as_dict(),
        })
    return shown


def meeting_out(session, meeting: Meeting) -> dict:
    return meetings_out(session, [meeting])[0]
