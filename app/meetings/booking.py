"""Booking people into meetings: invitations, answers, replacements, cancellations.

The one place where meetings are booked. Nobody is booked into overlapping meetings (their
buffers included): the check below refuses it with the clashing meeting named, and the
database backs it (a PostgreSQL exclusion constraint; on SQLite, transactions are serialised,
so the check and the insert cannot interleave with another booking).
Plain Python over a session; callers commit.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Select, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organization, User
from app.boards.models import Board, BoardMember
from app.boards.quorum import meeting_quorum, required_seats
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.live.publish import publish
from app.cases.models import Case
from app.meetings.agenda import add_case
from app.meetings.models import BOOKING_STATES, PARTICIPANT_ROLES, AgendaItem, Invitation, Meeting
from app.conferencing.operations import call_link
from app.meetings.search import eligible_for_seat
from app.notifications.operations import notify
from app.rotas.operations import on_call_user_ids
from app.specialists.models import Discipline, SpecialistProfile
from app.audit.operations import record as record_audit
from app.scheduling import working_intervals
from app.specialists.operations import engine_spec
from app.timekeeping import LocalTime, ZoneName, ensure_utc, format_instant
from app.vocabulary import N_

ANSWERS = ("accepted", "tentative", "declined")
OVERRIDE_REASON_MIN, OVERRIDE_REASON_MAX = 3, 500


# pg_advisory_xact_lock(BOOKING_LOCK, user id): one person's bookings, one transaction at a time ("MBOO").
BOOKING_LOCK = 0x4D424F4F
DEADLOCK_DETECTED = "40P01"


def _wait_for_other_bookings_of(session: Session, user_id: int) -> bool:
    """On PostgreSQL, wait until no other transaction is booking this person, so the clash check that
    follows sees their bookings (concurrent inserts checked only by the exclusion constraint can
    deadlock). True when it waited; SQLite serialises writers already."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.execute(text("SELECT pg_advisory_xact_lock(:key, :user_id)"), {"key": BOOKING_LOCK, "user_id": user_id})
    return True


def busy_range(meeting: Meeting, profile: SpecialistProfile | None) -> tuple[datetime, datetime]:
    """The time a meeting takes from someone: the meeting widened by their buffers."""
    return busy_between(meeting.starts_at, meeting.ends_at, profile)


def busy_between(starts_at: datetime, ends_at: datetime,
                 profile: SpecialistProfile | None) -> tuple[datetime, datetime]:
    before = timedelta(minutes=profile.buffer_before_minutes if profile else 0)
    after = timedelta(minutes=profile.buffer_after_minutes if profile else 0)
    return starts_at - before, ends_at + after


def find_clash(session: Session, user_id: int, busy_from: datetime, busy_until: datetime,
               *, except_meeting_id: int | None = None) -> Invitation | None:
    statement = (select(Invitation).join(Meeting)
                 .where(Invitation.user_id == user_id, Invitation.status.in_(BOOKING_STATES),
                        Meeting.status != "cancelled",
                        Invitation.busy_from < busy_until, Invitation.busy_until > busy_from)
                 .order_by(Meeting.starts_at).limit(1))
    if except_meeting_id is not None:
        statement = statement.where(Invitation.meeting_id != except_meeting_id)
    return session.scalar(statement)


def _clash_error(user: User, clash: Invitation) -> Conflict:
    other = clash.meeting
    return Conflict(
        N_("%(user_name)s is already booked into meeting #%(other_id)s '%(other_title)s' "
           '(%(starts_at)s to %(ends_at)s), which overlaps this one (buffers included).'),
        params={'user_name': user.name, 'other_id': other.id, 'other_title': other.title, 'starts_at': format_instant(other.starts_at), 'ends_at': format_instant(other.ends_at)},
        clashing_meeting_id=other.id,
    )


def _hold_time(session: Session, user: User, meeting: Meeting, busy_from: datetime, busy_until: datetime,
               write) -> None:
    """Let `write()` make one of `user`'s invitations to `meeting` hold [busy_from, busy_until), or raise
    Conflict naming the meeting it would overlap. Whatever books a person goes through here (a new
    invitation, a declined one accepted after all), so the check, the wait for their other bookings and
    the database's own refusal (PostgreSQL's exclusion constraint) are answered alike: 409."""
    clash = find_clash(session, user.id, busy_from, busy_until, except_meeting_id=meeting.id)
    if clash is not None:
        raise _clash_error(user, clash)
    try:
        # The savepoint comes first: begin_nested() flushes, and the write must be inside it.
        with session.begin_nested():
            if _wait_for_other_bookings_of(session, user.id):
                clash = find_clash(session, user.id, busy_from, busy_until, except_meeting_id=meeting.id)
                if clash is not None:
                    raise _clash_error(user, clash)
            write()
            session.flush()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
        # Two bookings took the same people in opposite order; PostgreSQL stopped this one.
        raise Conflict(N_('%(user_name)s was being booked into another meeting at the same '
                          'moment; try again.'),
                       params={'user_name': user.name}) from None
    except IntegrityError as error:
        if "invitations_no_double_booking" not in str(error.orig):
            raise
        clash = find_clash(session, user.id, busy_from, busy_until, except_meeting_id=meeting.id)
        raise (_clash_error(user, clash) if clash else Conflict(
            N_('%(user_name)s was just booked into an overlapping meeting.'),
            params={'user_name': user.name})) from None


def outside_working_hours(profile: SpecialistProfile | None, starts_at: datetime, ends_at: datetime) -> bool:
    """True when a specialist's working hours (their weekly hours and date overrides, in their zone)
    do not cover the whole of [starts_at, ends_at). People without a profile keep no hours here."""
    if profile is None:
        return False
    hours = dataclasses.replace(engine_spec(profile), busy=())
    return not any(start <= starts_at and ends_at <= end
                   for start, end in working_intervals(hours, starts_at, ends_at))


def _check_discipline(session: Session, role: str, discipline_code: str | None) -> None:
    if role == "seat" and discipline_code is None:
        raise InvalidInput("discipline", N_("a seat invitation needs a discipline"))
    if discipline_code is not None and session.get(Discipline, discipline_code) is None:
        raise InvalidInput("discipline", N_('%(discipline_code)s is not a discipline code; see '
                                            'GET /api/v1/disciplines'),
                                         params={'discipline_code': repr(discipline_code)})


def invite(session: Session, meeting: Meeting, user: User, *, role: str = "seat",
           discipline_code: str | None = None, at: datetime, accepted: bool = False,
           override_working_hours: bool = False, override_reason: str | None = None,
           actor: User | None = None) -> Invitation:
    """Book `user` into `meeting`, or raise Conflict naming the meeting it would overlap.

    Nobody is booked outside their working hours unless `override_working_hours` is set with a
    reason, which the invitation keeps (the meeting page shows it) and the audit trail records.
    `accepted`: the person is booking the meeting themselves (its chair), so nobody asks them."""
    at = ensure_utc(at)
    if meeting.status == "cancelled":
        raise Conflict(N_('Meeting #%(meeting_id)s is cancelled.'),
                       params={'meeting_id': meeting.id})
    _check_discipline(session, role, discipline_code)
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id))
    busy_from, busy_until = busy_range(meeting, profile)
    existing = session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                       Invitation.user_id == user.id))
    if existing is not None and existing.status in BOOKING_STATES:
        return existing
    outside_reason = None
    if outside_working_hours(profile, meeting.starts_at, meeting.ends_at):
        if not override_working_hours:
            raise Conflict(N_("%(name)s does not work at this time (%(local_time)s in %(timezone)s); to book them "
                              "anyway, override with a reason."),
                           # their own time and zone, written for the reader (app.errorhandlers.reader_value)
                           params={"name": user.name, "timezone": ZoneName(profile.home_timezone),
                                   "local_time": LocalTime(meeting.starts_at, profile.home_timezone)},
                           outside_working_hours=True, user_id=user.id)
        outside_reason = (override_reason or "").strip()
        if not OVERRIDE_REASON_MIN <= len(outside_reason) <= OVERRIDE_REASON_MAX:
            raise InvalidInput("override_reason", N_("say why they are booked outside their working hours, in "
                                                     "%(min_length)s to %(max_length)s characters"),
                               params={"min_length": OVERRIDE_REASON_MIN, "max_length": OVERRIDE_REASON_MAX})
    invitation = existing

    def book() -> None:
        nonlocal invitation
        # Made here, inside the savepoint: a new invitation joins the session with its meeting at once.
        invitation = invitation or Invitation(meeting=meeting, user_id=user.id)
        invitation.role, invitation.discipline_code = role, discipline_code
        invitation.status, invitation.invited_at = ("accepted" if accepted else "pending"), at
        invitation.responded_at = at if accepted else None
        invitation.busy_from, invitation.busy_until = busy_from, busy_until
        invitation.outside_hours_reason = outside_reason
        session.add(invitation)

    _hold_time(session, user, meeting, busy_from, busy_until, book)
    if outside_reason is not None:
        record_audit(session, "meeting.outside_hours_override", actor=actor, target_type="meeting",
                     target_id=meeting.id, detail={"user_id": user.id, "invitation_id": invitation.id,
                                                   "reason": outside_reason})
    params = {"title": meeting.title, "starts_at": format_instant(meeting.starts_at)}
    call = call_link(session, meeting)
    if call:
        params["call"] = call
    if role == "seat":
        params.update(text="meeting.invitation.seat", discipline=discipline_code)
    if not accepted:
        notify(session, user_id=user.id, kind="meeting.invitation",
               dedupe_key=f"invitation:{invitation.id}:{format_instant(invitation.invited_at)}",
               params=params, link=f"/meetings/{meeting.id}", at=at)
    publish(session, f"meeting:{meeting.id}", "invitation.created",
            {"meeting_id": meeting.id, "invitation_id": invitation.id, "user_id": user.id, "role": role,
             "discipline": discipline_code, "status": invitation.status})
    return invitation


# Who a coordinator may invite by name: an invitation opens every case on the agenda to its holder.
INVITABLE_ROLE = "specialist"


def check_invitee(session: Session, meeting: Meeting, user: User | None, *, user_id: int, role: str,
                  at: datetime, discipline_code: str | None = None) -> User:
    """Who a coordinator may invite to a meeting by name (the invitations page and the API alike), or
    InvalidInput naming `user_id`.

    An invitation shows its holder every case on the meeting's agenda (`app.cases.visibility`), so only
    an active specialist is invited, in any role. A seat (a discipline's voice, who signs the outcome)
    also needs a valid licence in every country whose cases the agenda lists (any valid licence while it
    lists none), and practises the seat's discipline: the rules the seats given automatically follow
    (`candidates_for_seat`), so a seat counts towards quorum only for what its holder practises."""
    if user is None or not user.is_active:
        raise InvalidInput("user_id", N_('no active user has id %(user_id)s'), params={'user_id': user_id})
    if not user.has_role(INVITABLE_ROLE):
        raise InvalidInput("user_id", N_("%(user_name)s is not a specialist; only specialists are invited to a "
                                         "meeting, as an invitation opens its cases to them"),
                           params={"user_name": user.name})
    if role == "seat":
        profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id)
                                 .options(selectinload(SpecialistProfile.licences)))
        _check_licensed_for_seat(profile, user, _agenda_countries(session, meeting), at=at, field="user_id")
        if discipline_code is not None:
            if profile is None or discipline_code not in profile.discipline_codes:
                raise InvalidInput("discipline", N_("%(user_name)s does not practise %(discipline)s; a seat for it "
                                                    "needs someone who does"),
                                   params={"user_name": user.name, "discipline": discipline_code})
    return user


def _check_licensed_for_seat(profile: SpecialistProfile | None, user: User, countries: set[str], *,
                             at: datetime, field: str) -> None:
    """A seat holder (`user`, with `profile`) holds a valid licence in every one of `countries` (those of
    the agenda's cases), and at least one valid licence; else InvalidInput naming `field`."""
    held = profile.valid_licence_countries(at) if profile is not None else set()
    missing = sorted(countries - held)
    if missing:
        raise InvalidInput(field, N_("%(user_name)s holds no valid licence in %(countries)s, where the "
                                     "cases on this agenda were referred; a seat needs one"),
                           params={"user_name": user.name, "countries": ", ".join(missing)})
    if not held:
        raise InvalidInput(field, N_("%(user_name)s holds no valid licence; a seat needs one"),
                           params={"user_name": user.name})


def invite_person(session: Session, meeting: Meeting, user_id: int, *, role: str = "seat",
                  discipline_code: str | None = None, at: datetime, override_working_hours: bool = False,
                  override_reason: str | None = None, actor: User | None = None) -> Invitation:
    """A coordinator invites someone they name (the invitations page and `POST /meetings/{id}/invitations`):
    the discipline is checked first, then who may be invited (`check_invitee`), then `invite`'s rules
    (cancelled, working hours, double booking)."""
    at = ensure_utc(at)
    if role not in PARTICIPANT_ROLES:
        raise InvalidInput("role", N_("must be one of %(choices)s"), params={"choices": ", ".join(PARTICIPANT_ROLES)})
    _check_discipline(session, role, discipline_code)
    user = check_invitee(session, meeting, session.get(User, user_id), user_id=user_id, role=role, at=at,
                         discipline_code=discipline_code)
    return invite(session, meeting, user, role=role, discipline_code=discipline_code, at=at,
                  override_working_hours=override_working_hours, override_reason=override_reason, actor=actor)


def seat_invitations(meeting: Meeting) -> list[Invitation]:
    return [i for i in meeting.invitations if i.role == "seat"]


def _members(session: Session, board_id: int | None, role: str, discipline: str) -> list[int]:
    if board_id is None:
        return []
    return list(session.scalars(select(BoardMember.user_id).where(
        BoardMember.board_id == board_id, BoardMember.role == role,
        BoardMember.discipline_code == discipline).order_by(BoardMember.id)))


def candidates_for_seat(session: Session, meeting: Meeting, discipline: str, *, at: datetime) -> list[int]:
    """Who may be asked to take a `discipline` seat of `meeting`, best first: on call, then core
    members, then deputies, then anyone else eligible (least loaded first). Eligible: holds the
    discipline, a licence valid in every country of the agenda's cases (any valid licence for an
    empty agenda), free inside their working hours, not on leave, not booked; never anyone already
    asked to this meeting (a person who declined is not asked again)."""
    asked = {i.user_id for i in meeting.invitations}
    eligible = eligible_for_seat(session, discipline, meeting.starts_at, meeting.ends_at, at=at,
                                 exclude_user_ids=asked)
    countries = _agenda_countries(session, meeting)
    if countries and eligible:
        licensed = {profile.user_id for profile in session.scalars(
            select(SpecialistProfile).where(SpecialistProfile.user_id.in_(eligible))
            .options(selectinload(SpecialistProfile.licences)))
            if countries <= profile.valid_licence_countries(at)}
        eligible = [user_id for user_id in eligible if user_id in licensed]
    preferred = (on_call_user_ids(session, discipline, meeting.starts_at, board_id=meeting.board_id)
                 + _members(session, meeting.board_id, "core", discipline)
                 + _members(session, meeting.board_id, "deputy", discipline))
    return list(dict.fromkeys([u for u in preferred if u in eligible] + eligible))


def _referring_countries(session: Session, case_ids: Iterable[int] | Select) -> set[str]:
    """The countries a seat holder must be licensed in for an agenda listing these cases (their ids, or a
    select of them): those of the cases' referring sites."""
    return set(session.scalars(
        select(Organization.country).join(Case, Case.organization_id == Organization.id)
        .where(Case.id.in_(case_ids))))


def _agenda_countries(session: Session, meeting: Meeting) -> set[str]:
    """The countries of the cases `meeting`'s agenda lists."""
    return _referring_countries(session, select(AgendaItem.case_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.status != "removed"))


def fill_seats(session: Session, meeting: Meeting, *, at: datetime) -> list[Invitation]:
    """Invite people for every seat not yet held: on call first, then core members, then deputies,
    then anyone eligible (least loaded first). Only people free, licensed and inside their working
    hours at the meeting's time are invited; nobody who declined is asked again. On a board whose
    coordinators replace declines by hand, a seat someone declined is left to them."""
    if meeting.status != "scheduled" or meeting.starts_at <= at:
        return []
    added = []
    automatic = replaces_declines_automatically(session, meeting)
    for discipline, count in sorted(required_seats(session, meeting).items()):
        holding = [i for i in seat_invitations(meeting)
                   if i.discipline_code == discipline and i.status in BOOKING_STATES]
        needed = count - len(holding)
        if needed <= 0:
            continue
        if not automatic and any(i.discipline_code == discipline and i.status == "declined"
                                 for i in seat_invitations(meeting)):
            continue  # the board's coordinators replace a decline themselves
        for user_id in candidates_for_seat(session, meeting, discipline, at=at):
            if needed == 0:
                break
            try:
                added.append(invite(session, meeting, session.get(User, user_id), role="seat",
                                    discipline_code=discipline, at=at))
            except Conflict:
                continue
            needed -= 1
    return added


def respond(session: Session, invitation: Invitation, user: User, answer: str, *, at: datetime,
            note: str | None = None) -> list[Invitation]:
    """The invitee answers. A decline frees the seat and invites the next person at once."""
    if invitation.user_id != user.id:
        raise PermissionDenied(N_("Only the person invited may answer this invitation."))
    if answer not in ANSWERS:
        raise InvalidInput("answer", N_('must be one of %(answers)s'),
                                     params={'answers': ', '.join(ANSWERS)})
    meeting = invitation.meeting
    if meeting.status != "scheduled" or meeting.starts_at <= ensure_utc(at):
        raise Conflict(N_('Meeting #%(meeting_id)s has already started, finished or been '
                          'cancelled.'),
                       params={'meeting_id': meeting.id})
    if invitation.status == "withdrawn":
        raise Conflict(N_("This invitation was withdrawn."))
    if answer in BOOKING_STATES and invitation.status not in BOOKING_STATES:
        # Accepting (or answering tentative) after declining books the person again: their time may have
        # been given to another meeting meanwhile, and the meeting may have moved since they declined.
        profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id))
        busy_from, busy_until = busy_range(meeting, profile)

        def book_again() -> None:
            invitation.status, invitation.responded_at, invitation.note = answer, ensure_utc(at), note
            invitation.busy_from, invitation.busy_until = busy_from, busy_until

        _hold_time(session, user, meeting, busy_from, busy_until, book_again)
    else:
        invitation.status, invitation.responded_at, invitation.note = answer, ensure_utc(at), note
        session.flush()
    publish(session, f"meeting:{meeting.id}", "invitation.answered",
            {"meeting_id": meeting.id, "invitation_id": invitation.id, "user_id": user.id, "answer": answer,
             "discipline": invitation.discipline_code})
    publish(session, f"meeting:{meeting.id}", "quorum.changed",
            {"meeting_id": meeting.id, "state": meeting_quorum(session, meeting).state})
    if answer == "declined":
        _tell_coordinators_of_decline(session, invitation, at=at)
        if invitation.role == "seat" and replaces_declines_automatically(session, meeting):
            return fill_seats(session, meeting, at=at)
    return []


def replaces_declines_automatically(session: Session, meeting: Meeting) -> bool:
    """The board's rule; a meeting of no board replaces at once (nobody else would)."""
    board = session.get(Board, meeting.board_id) if meeting.board_id else None
    return board is None or board.replace_declines == "automatic"


def meeting_coordinator_ids(session: Session, meeting: Meeting) -> list[int]:
    """Who runs a meeting day to day: its board's coordinators, else whoever booked or chairs it."""
    ids = list(session.scalars(select(BoardMember.user_id).where(
        BoardMember.board_id == meeting.board_id, BoardMember.role == "coordinator").order_by(BoardMember.id))
        ) if meeting.board_id else []
    return list(dict.fromkeys(ids or [i for i in (meeting.created_by_id, meeting.chair_id) if i is not None]))


def _tell_coordinators_of_decline(session: Session, invitation: Invitation, *, at: datetime) -> None:
    meeting = invitation.meeting
    params = {"text": "meeting.declined.note" if invitation.note else "meeting.declined",
              "name": invitation.user.name, "title": meeting.title,
              "starts_at": format_instant(meeting.starts_at), "note": invitation.note or ""}
    if invitation.discipline_code:
        params["discipline"] = invitation.discipline_code
    for user_id in meeting_coordinator_ids(session, meeting):
        if user_id == invitation.user_id:
            continue
        notify(session, user_id=user_id, kind="meeting.declined",
               dedupe_key=f"declined:{invitation.id}:{format_instant(invitation.responded_at)}:{user_id}",
               params=params, link=f"/coordinator/meetings/{meeting.id}/invitations", at=at)


def withdraw_invitation(session: Session, invitation: Invitation, *, at: datetime) -> None:
    """Take an invitation back: the person's time is freed and they are told."""
    at = ensure_utc(at)
    meeting = invitation.meeting
    if invitation.status not in BOOKING_STATES:
        raise Conflict(N_("This invitation is already %(invitation_status)s."),
                       params={"invitation_status": invitation.status})
    if meeting.status != "scheduled":
        raise Conflict(N_("Meeting #%(meeting_id)s is %(meeting_status)s."),
                       params={"meeting_id": meeting.id, "meeting_status": meeting.status})
    invitation.status, invitation.responded_at = "withdrawn", at
    notify(session, user_id=invitation.user_id, kind="meeting.invitation_withdrawn",
           dedupe_key=f"withdrawn:{invitation.id}:{format_instant(at)}",
           params={"title": meeting.title, "starts_at": format_instant(meeting.starts_at)},
           link=f"/meetings/{meeting.id}", at=at)
    session.flush()
    publish(session, f"meeting:{meeting.id}", "invitation.withdrawn",
            {"meeting_id": meeting.id, "invitation_id": invitation.id, "user_id": invitation.user_id})
    publish(session, f"meeting:{meeting.id}", "quorum.changed",
            {"meeting_id": meeting.id, "state": meeting_quorum(session, meeting).state})


def invite_next_eligible(session: Session, invitation: Invitation, *, at: datetime) -> Invitation:
    """Replace a declined (or withdrawn) seat: invite the best eligible person for its discipline
    (see `candidates_for_seat`). Conflict when nobody eligible is left."""
    at = ensure_utc(at)
    meeting = invitation.meeting
    if invitation.role != "seat" or invitation.discipline_code is None:
        raise Conflict(N_("Only a discipline's seat can be given to the next eligible person."))
    if invitation.status in BOOKING_STATES:
        raise Conflict(N_("%(name)s still holds this seat; withdraw the invitation first."),
                       params={"name": invitation.user.name})
    if meeting.status != "scheduled" or ensure_utc(meeting.starts_at) <= at:
        raise Conflict(N_("Meeting #%(meeting_id)s has already started, finished or been cancelled."),
                       params={"meeting_id": meeting.id})
    for user_id in candidates_for_seat(session, meeting, invitation.discipline_code, at=at):
        try:
            return invite(session, meeting, session.get(User, user_id), role="seat",
                          discipline_code=invitation.discipline_code, at=at)
        except Conflict:
            continue
    raise Conflict(N_("Nobody else eligible is free for the %(discipline_code)s seat at this time "
                      "(discipline, licence, working hours, leave and bookings checked)."),
                   params={"discipline_code": invitation.discipline_code})


def create_meeting(session: Session, *, title: str, starts_at: datetime, ends_at: datetime, host_timezone: str,
                   at: datetime, created_by: User, board_id: int | None = None) -> Meeting:
    """An ad-hoc meeting with nobody invited yet; its creator chairs it. Invitations follow."""
    at, starts_at, ends_at = ensure_utc(at), ensure_utc(starts_at), ensure_utc(ends_at)
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise InvalidInput("title", N_("must be 1 to 200 characters"))
    _check_times(starts_at, ends_at, at)
    meeting = Meeting(title=title, kind="adhoc", board_id=board_id, starts_at=starts_at, ends_at=ends_at,
                      host_timezone=host_timezone, status="scheduled", sequence=0, created_by_id=created_by.id,
                      chair_id=created_by.id, created_at=at, updated_at=at)
    session.add(meeting)
    session.flush()
    return meeting


MAX_MEETING_LENGTH = timedelta(hours=12)


def _check_times(starts_at: datetime, ends_at: datetime, at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("duration_minutes", N_("the meeting must end after it starts"))
    if ends_at - starts_at > MAX_MEETING_LENGTH:
        raise InvalidInput("duration_minutes", N_("a meeting may last at most 12 hours"))
    if starts_at <= at:
        raise InvalidInput("date", N_("the meeting must start in the future"))


def reschedule_meeting(session: Session, meeting: Meeting, *, starts_at: datetime, ends_at: datetime,
                       at: datetime, by: User) -> list[Invitation]:
    """Move a meeting not yet started. Everyone still booked is asked again (their answer goes back
    to pending) and told the new time, each in their own zone and language; whoever moves it, if
    invited, is taken to accept. Nobody is double-booked:
    a Conflict names the first person the new time would clash for, and nothing moves. A board's
    meeting moved this way stays where it was put (the board's rule no longer moves it)."""
    at, starts_at, ends_at = ensure_utc(at), ensure_utc(starts_at), ensure_utc(ends_at)
    if meeting.status != "scheduled" or ensure_utc(meeting.starts_at) <= at:
        raise Conflict(N_("Meeting #%(meeting_id)s has already started, finished or been cancelled."),
                       params={"meeting_id": meeting.id})
    _check_times(starts_at, ends_at, at)
    if (starts_at, ends_at) == (ensure_utc(meeting.starts_at), ensure_utc(meeting.ends_at)):
        raise InvalidInput("date", N_("the meeting is already at this time"))
    booked = [i for i in meeting.invitations if i.status in BOOKING_STATES]
    moved = []
    for invitation in booked:
        profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == invitation.user_id))
        busy = busy_between(starts_at, ends_at, profile)
        _wait_for_other_bookings_of(session, invitation.user_id)
        clash = find_clash(session, invitation.user_id, *busy, except_meeting_id=meeting.id)
        if clash is not None:
            raise _clash_error(invitation.user, clash)
        moved.append((invitation, busy))
    previous = format_instant(meeting.starts_at)
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at, meeting.rescheduled_by_id = at, by.id
    for invitation, (busy_from, busy_until) in moved:
        invitation.busy_from, invitation.busy_until = busy_from, busy_until
        if invitation.user_id == by.id:  # whoever moves it is not asked whether they agree with themselves
            invitation.status, invitation.responded_at = "accepted", at
            continue
        invitation.status, invitation.responded_at, invitation.note = "pending", None, None
        invitation.invited_at = at
        notify(session, user_id=invitation.user_id, kind="meeting.rescheduled",
               dedupe_key=f"rescheduled:{meeting.id}:{meeting.sequence}:{invitation.user_id}",
               params={"title": meeting.title, "starts_at": format_instant(starts_at), "previous_at": previous},
               link=f"/meetings/{meeting.id}", at=at)
    session.flush()
    publish(session, f"meeting:{meeting.id}", "meeting.rescheduled",
            {"meeting_id": meeting.id, "starts_at": format_instant(starts_at), "ends_at": format_instant(ends_at)})
    return [invitation for invitation, _ in moved]


def cancel_meeting(session: Session, meeting: Meeting, *, at: datetime, reason: str) -> None:
    """Cancel: the meeting stays (calendars show it cancelled) and everyone's time is freed."""
    if meeting.status == "cancelled":
        return
    if meeting.status != "scheduled":
        raise Conflict(N_('Meeting #%(meeting_id)s is %(meeting_status)s; only a scheduled '
                          'meeting can be cancelled.'),
                       params={'meeting_id': meeting.id, 'meeting_status': meeting.status})
    meeting.status = "cancelled"
    meeting.sequence += 1
    meeting.updated_at = ensure_utc(at)
    for invitation in meeting.invitations:
        if invitation.status in BOOKING_STATES:
            invitation.status = "withdrawn"
            notify(session, user_id=invitation.user_id, kind="meeting.cancelled",
                   dedupe_key=f"meeting-cancelled:{meeting.id}:{invitation.user_id}",
                   params={"title": meeting.title, "starts_at": format_instant(meeting.starts_at),
                           "reason": reason},
                   link=f"/meetings/{meeting.id}", at=at)
    session.flush()
    publish(session, f"meeting:{meeting.id}", "meeting.cancelled", {"meeting_id": meeting.id, "reason": reason})


def book_meeting(session: Session, *, title: str, starts_at: datetime, ends_at: datetime, host_timezone: str,
                 seats: dict[str, list[int]], at: datetime, board_id: int | None = None,
                 created_by: User | None = None, chair: User | None = None, case: Case | None = None) -> Meeting:
    """Book an ad-hoc meeting at a time found by the search: create it and invite every seat.

    `seats` is the search's assignment (`{discipline: [user ids]}`). Each person must still be able
    to take their seat at that time (the search's rules: licence, working hours, leave, notice,
    bookings with buffers, caps); someone booked meanwhile raises Conflict naming the clashing
    meeting, anyone else no longer free raises Conflict naming them. `chair` (the person booking)
    chairs it when free, already accepted (nobody asks them to accept their own meeting). `case`,
    when given, is put on the new meeting's agenda (the agenda rules apply). Every seat holder needs
    a valid licence, and, with `case`, one in the country of its referring site: the rule of a seat on
    an agenda listing the case (`check_invitee`); anyone else raises InvalidInput on `seats` naming
    them and the country, before anything is made. Nothing is committed here: on any error the caller
    rolls back and nothing of the meeting remains.
    """
    at, starts_at, ends_at = ensure_utc(at), ensure_utc(starts_at), ensure_utc(ends_at)
    if ends_at <= starts_at:
        raise InvalidInput("end", N_("must be after the start"))
    if starts_at <= at:
        raise Conflict(N_("This time has already begun; search again for a later time."))
    if not any(seats.values()):
        raise InvalidInput("seats", N_("a meeting needs at least one seat"))
    # The new meeting's agenda will list `case`: its seats follow the agenda's licence rule from the start.
    countries = _referring_countries(session, [case.id]) if case is not None else set()
    profiles = {profile.user_id: profile for profile in session.scalars(
        select(SpecialistProfile).where(SpecialistProfile.user_id.in_(
            sorted({user_id for user_ids in seats.values() for user_id in user_ids})))
        .options(selectinload(SpecialistProfile.licences)))}
    people = {}
    for discipline, user_ids in sorted(seats.items()):
        eligible = set(eligible_for_seat(session, discipline, starts_at, ends_at, at=at))
        for user_id in user_ids:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                raise InvalidInput("seats", N_('no active user has id %(user_id)s'),
                                            params={'user_id': user_id})
            if user_id in people:
                raise InvalidInput("seats", N_('%(user_name)s is given more than one seat'),
                                            params={'user_name': user.name})
            profile = profiles.get(user_id)
            _check_licensed_for_seat(profile, user, countries, at=at, field="seats")
            if user_id not in eligible:
                clash = find_clash(session, user_id, *busy_between(starts_at, ends_at, profile))
                if clash is not None:
                    raise _clash_error(user, clash)
                raise Conflict(N_('%(user_name)s can no longer take the %(discipline)s seat at '
                                  'this time (working hours, leave, notice, licence or meeting '
                                  'cap); search again.'),
                               params={'user_name': user.name, 'discipline': discipline},
                               user_id=user_id)
            people[user_id] = (user, discipline)
    meeting = Meeting(title=title, kind="adhoc", board_id=board_id, starts_at=starts_at, ends_at=ends_at,
                      host_timezone=host_timezone, status="scheduled", sequence=0,
                      created_by_id=getattr(created_by, "id", None), chair_id=getattr(chair, "id", None),
                      created_at=at, updated_at=at)
    session.add(meeting)
    session.flush()
    for user, discipline in people.values():
        invite(session, meeting, user, role="seat", discipline_code=discipline, at=at)
    if chair is not None and chair.id not in people:
        try:
            invite(session, meeting, chair, role="chair", at=at, accepted=True)
        except Conflict:  # a busy coordinator does not stop the booking
            pass
    if case is not None:
        add_case(session, meeting, case, created_by, at=at, as_coordinator=True)
    return meeting
