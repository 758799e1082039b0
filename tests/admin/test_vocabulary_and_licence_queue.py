"""The discipline vocabulary kept by administrators, and the licence verification queue."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import pytz
from sqlalchemy import select

from app.errors import Conflict, InvalidInput
from app.specialists import disciplines, operations
from app.notifications.models import Notification
from app.specialists.models import Discipline

AT = pytz.utc.localize(datetime(2026, 3, 2, 9, 0))


def test_a_discipline_is_added_renamed_translated_and_retired_without_losing_data(session, make_user):
    added = disciplines.add_discipline(session, code="bone-sarcoma-surgery", name="Bone sarcoma surgery",
                                       labels={"zh": "肉瘤外科", "ru": ""})
    assert added.labels == {"zh": "肉瘤外科"}
    with pytest.raises(Conflict):
        disciplines.add_discipline(session, code="bone-sarcoma-surgery", name="Other")
    with pytest.raises(InvalidInput) as refused:
        disciplines.add_discipline(session, code="Bad Code!", name="Bad")
    assert refused.value.field == "code"
    with pytest.raises(InvalidInput) as refused:
        disciplines.add_discipline(session, code="radiology-two", name="radiology")
    assert refused.value.field == "name"

    changes = disciplines.update_discipline(session, added, name="Bone and joint sarcoma surgery",
                                            labels={"zh": "肉瘤外科", "ru": "Хирургия сарком"})
    assert set(changes) == {"name", "labels"}

    specialist = make_user("specialist")
    operations.save_profile(session, specialist, {"disciplines": ["bone-sarcoma-surgery"], "home_timezone": "UTC"})
    assert disciplines.set_retired(session, added, True, at=AT) is True
    assert "bone-sarcoma-surgery" not in {d.code for d in operations.list_disciplines(session)}
    assert "bone-sarcoma-surgery" in {d.code for d in operations.list_disciplines(session, include_retired=True)}
    assert "bone-sarcoma-surgery" not in operations.discipline_codes(session, active_only=True)
    # Existing data keeps it and stays editable.
    profile, _ = operations.save_profile(session, specialist, {"disciplines": ["bone-sarcoma-surgery"]})
    assert profile.discipline_codes == ["bone-sarcoma-surgery"]
    assert disciplines.set_retired(session, added, False, at=AT) is True
    assert session.get(Discipline, "bone-sarcoma-surgery").retired_at is None


def _licence(session, user, *, expires_on: date, number: str):
    profile = operations.find_profile(session, user.id) or operations.save_profile(
        session, user, {"disciplines": ["radiology"], "home_timezone": "UTC"})[0]
    return operations.add_licence(session, profile, jurisdiction="CN", registration_number=number,
                                  expires_on=expires_on, at=AT - timedelta(days=400))


def test_the_queue_sorts_licences_and_a_verdict_carries_its_evidence(session, make_user):
    coordinator = make_user("coordinator")
    holder = make_user("specialist", email="holder@example.org")
    pending = _licence(session, holder, expires_on=date(2027, 1, 1), number="P-1")
    expiring = _licence(session, holder, expires_on=date(2026, 3, 20), number="S-1")
    _licence(session, holder, expires_on=date(2026, 2, 1), number="E-1")
    doubtful = _licence(session, holder, expires_on=date(2027, 6, 1), number="D-1")
    operations.verify_licence(session, expiring, verifier=coordinator, at=AT - timedelta(days=100))

    def queue(name):
        return [licence.registration_number for licence in operations.licence_queue(session, name, at=AT).rows]

    assert queue("pending") == ["P-1", "D-1"]
    assert queue("expiring") == ["S-1"]
    assert queue("expired") == ["E-1"]

    operations.verify_licence(session, pending, verifier=coordinator, at=AT, note="NHC register entry checked")
    assert pending.verification_note == "NHC register entry checked" and pending.verified_by == coordinator
    with pytest.raises(InvalidInput) as refused:
        operations.reject_licence(session, doubtful, verifier=coordinator, at=AT, note="  ")
    assert refused.value.field == "note"
    operations.reject_licence(session, doubtful, verifier=coordinator, at=AT, note="Number not on the register")
    told = session.scalar(select(Notification).where(Notification.user_id == holder.id,
                                                     Notification.kind == "licence.rejected"))
    assert "D-1" in told.subject and "Number not on the register" in told.body
    assert queue("pending") == []
    assert operations.licence_status(doubtful, AT) == "unverified"
    with pytest.raises(InvalidInput):
        operations.licence_queue(session, "everything", at=AT)
    # Paged: one at a time through the cursor.
    later = AT + timedelta(days=800)
    first = operations.licence_queue(session, "expired", at=later, limit=3)
    second = operations.licence_queue(session, "expired", at=later, limit=3, cursor=first.next_cursor)
    assert [licence.registration_number for licence in first.rows + second.rows] == ["D-1", "P-1", "S-1", "E-1"]
    assert second.next_cursor is None
