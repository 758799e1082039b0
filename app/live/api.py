"""API: the live meeting (start, move through the agenda, shared notes, finish, state).

Who may see the meeting is `get_visible_meeting` (404 otherwise); who may run it is the chair or a
coordinator of its board (403); notes: seats, the chair and coordinators, with full case access.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext
from pydantic import BaseModel, Field

from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record_shown
from app.boards.operations import get_visible_meeting
from app.cases.api import audit_case
from app.extensions import db
from app.meetings import live
from app.security import current_actor
from app.timekeeping import now_utc
from app.i18n import current_locale_code
from app.timekeeping import zone_name_for_reader
from app.vocabulary import N_, discipline_text


class CurrentCaseIn(RequestBody):
    case_id: int = Field(ge=1)


class NotesIn(RequestBody):
    case_id: int = Field(ge=1)
    notes: str = Field(max_length=live.NOTES_LIMIT)


class PresentOut(BaseModel):
    user_id: int
    name: str
    timezone: str
    zone_name: str = Field(description="The zone as the caller's language names it")
    local_time: str
    utc_offset: str


class LiveAgendaItemOut(BaseModel):
    case_id: int | None = Field(description="None for a case the caller may not see (nothing else is said of it)")
    position: int
    status: str
    notes: str | None = Field(description="Only for cases the caller has full access to")
    access: str | None


class UnsignableCaseOut(BaseModel):
    case_id: int | None = Field(description="None for a case the caller may not see (its message names its place "
                                            "on the agenda instead)")
    disciplines: list[str] = Field(description="Required disciplines nobody present at the meeting can sign for")


class ChairWarningsOut(BaseModel):
    absent_disciplines: list[str] = Field(description="Required disciplines with nobody present now")
    unsignable_cases: list[UnsignableCaseOut]
    messages: list[str] = Field(description="The same, as sentences in the caller's language")


class LiveStateOut(ResponseBody):
    meeting_id: int
    status: str
    started_at: OutputInstant | None
    finished_at: OutputInstant | None
    current_case_id: int | None = Field(description="None also when the case under discussion is one the "
                                                    "caller may not see (then `current_position` says which)")
    current_position: int | None
    quorum_at_start: dict[str, list[int]] | None
    present: list[PresentOut]
    agenda: list[LiveAgendaItemOut]
    may_run: bool
    may_edit_notes: bool
    seq: int = Field(description="Latest live event seq of meeting:<id>: subscribe with since=seq")
    warnings: ChairWarningsOut | None = Field(default=None, description="For whoever runs the meeting only")


# How the live meeting's reads and notes reach Meridian, on the audit trail ("the live meeting in the API").
VIA = "live meeting API"
NOBODY_PRESENT_FOR = N_("Nobody is present for %(disciplines)s.")
CANNOT_BE_SIGNED = N_("Case #%(id)s cannot be signed: nobody for %(disciplines)s has been present.")
# The same of a case the reader may not see: its place on the agenda (numbered from 1, as the page does), no id.
HIDDEN_CANNOT_BE_SIGNED = N_("Agenda item %(number)s cannot be signed: nobody for %(disciplines)s has been present.")


def _disciplines(codes) -> str:
    return gettext(", ").join(gettext(discipline_text(code) or code) for code in codes)


def chair_warning_messages(warnings: dict) -> list[str]:
    """The chair's warnings as sentences in the reader's language."""
    messages = []
    if warnings["absent_disciplines"]:
        messages.append(gettext(NOBODY_PRESENT_FOR, disciplines=_disciplines(warnings["absent_disciplines"])))
    for case in warnings["unsignable_cases"]:
        disciplines = _disciplines(case["disciplines"])
        messages.append(gettext(CANNOT_BE_SIGNED, id=case["case_id"], disciplines=disciplines)
                        if case["case_id"] is not None else
                        gettext(HIDDEN_CANNOT_BE_SIGNED, number=case["position"] + 1, disciplines=disciplines))
    return messages


def readable_state(state: dict) -> dict:
    """`live_state` with what is shown to people put in the reader's language (zone names, warnings)."""
    state = {**state, "present": [{**person, "zone_name": zone_name_for_reader(person["timezone"], current_locale_code())} for person in state["present"]]}
    if state.get("warnings") is not None:
        state["warnings"] = {**state["warnings"], "messages": chair_warning_messages(state["warnings"])}
    return state


def _state(meeting):
    db.session.flush()
    return readable_state(live.live_state(db.session, meeting, current_actor(), at=now_utc()))


def _shown_state(meeting):
    """The live state as the caller may see it, its reading audited: every answer that carries it (the
    state itself and each move of the meeting) shows the agenda's shared notes, which are patient data.

    One event per answer for the cases it shows (`cases.viewed`, as any list: the ids by access level,
    each also a row of `audit_event_targets`, so every case's own trail finds the read), with the
    meeting; a case the caller may not see is not in the answer, nor in the event."""
    state = _state(meeting)
    shown: dict[str, list[int]] = {}
    for item in state["agenda"]:
        if item["access"] is not None and item["case_id"] is not None:
            shown.setdefault(item["access"], []).append(item["case_id"])
    record_shown(db.session, "cases.viewed", actor=current_actor(), target_type="case", shown=shown,
                 source_address=request.remote_addr, detail={"via": VIA, "meeting_id": meeting.id})
    return state


@api.get("/meetings/<int:meeting_id>/live")
@endpoint(summary="The live meeting: current case, who is present (local times), notes you may read",
          response=LiveStateOut, tags=("live",))
def live_meeting_state(meeting_id: int):
    return _shown_state(get_visible_meeting(db.session, current_actor(), meeting_id))


@api.post("/meetings/<int:meeting_id>/live/start")
@endpoint(summary="Open the live meeting (chair or board coordinator); records the quorum at start",
          response=LiveStateOut, tags=("live",))
def live_meeting_start(meeting_id: int):
    meeting = get_visible_meeting(db.session, current_actor(), meeting_id)
    live.start(db.session, meeting, current_actor(), at=now_utc())
    return _shown_state(meeting)


@api.post("/meetings/<int:meeting_id>/live/current-case")
@endpoint(summary="Move the live meeting to a case on its agenda (chair or board coordinator)",
          body=CurrentCaseIn, response=LiveStateOut, tags=("live",))
def live_meeting_current_case(meeting_id: int, body: CurrentCaseIn):
    meeting = get_visible_meeting(db.session, current_actor(), meeting_id)
    live.set_current_case(db.session, meeting, current_actor(), body.case_id, at=now_utc())
    return _shown_state(meeting)


@api.post("/meetings/<int:meeting_id>/live/discussed")
@endpoint(summary="Mark a case on the agenda as discussed (chair or board coordinator)",
          body=CurrentCaseIn, response=LiveStateOut, tags=("live",))
def live_meeting_discussed(meeting_id: int, body: CurrentCaseIn):
    meeting = get_visible_meeting(db.session, current_actor(), meeting_id)
    live.mark_discussed(db.session, meeting, current_actor(), body.case_id, at=now_utc())
    return _shown_state(meeting)


@api.put("/meetings/<int:meeting_id>/live/notes")
@endpoint(summary="Replace the shared notes of the case under discussion (seats, chair, coordinators)",
          body=NotesIn, response=LiveStateOut, tags=("live",))
def live_meeting_notes(meeting_id: int, body: NotesIn):
    meeting = get_visible_meeting(db.session, current_actor(), meeting_id)
    live.update_notes(db.session, meeting, current_actor(), body.case_id, body.notes, at=now_utc())
    # The change of a case's clinical notes, on the case's own trail (never the text).
    audit_case("case.notes_updated", target_id=body.case_id,
               detail={"meeting_id": meeting.id, "via": VIA})
    return _shown_state(meeting)


@api.post("/meetings/<int:meeting_id>/live/finish")
@endpoint(summary="Finish the live meeting; what was not discussed rolls over (chair or board coordinator)",
          response=LiveStateOut, tags=("live",))
def live_meeting_finish(meeting_id: int):
    meeting = get_visible_meeting(db.session, current_actor(), meeting_id)
    live.finish(db.session, meeting, current_actor(), at=now_utc())
    return _shown_state(meeting)
