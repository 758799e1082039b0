"""Who is subscribed where, kept in this process or in Redis for every process to read, and which
changes make Meridian check subscriptions again (plain Python, no server)."""
import uuid

import pytest

from app.accounts.models import User
from app.boards.models import BoardMember
from app.cases.models import Case
from app.live.subscriptions import LocalSubscriptions, RedisSubscriptions, Subscriber, rooms_to_recheck
from app.meetings.models import AgendaItem, Invitation, Meeting
from tests.conftest import TEST_REDIS_URL


def exercise(first_process, second_process):
    first_process.add("case:4", "sid-a", 9, "case:4")
    second_process.add("case:4", "sid-b", 9, "case:4:summary")
    second_process.add("meeting:2", "sid-b", 9, "meeting:2")
    assert sorted(first_process.members("case:4"), key=lambda s: s.sid) == [
        Subscriber("sid-a", 9, "case:4"), Subscriber("sid-b", 9, "case:4:summary")]
    assert first_process.rooms_of(9) == {"case:4", "meeting:2"}
    second_process.remove("case:4", "sid-a")
    assert first_process.members("case:4") == [Subscriber("sid-b", 9, "case:4:summary")]
    first_process.remove("case:4", "sid-b")
    assert second_process.members("case:4") == []
    assert first_process.rooms_of(9) == {"meeting:2"}     # the last of their sids in case:4 went


def test_local_registry():
    registry = LocalSubscriptions()
    exercise(registry, registry)


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_redis_registry_is_shared_between_processes():
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = f"meridian-test-{uuid.uuid4().hex}"
    try:
        exercise(RedisSubscriptions(redis.Redis.from_url(TEST_REDIS_URL), prefix),
                 RedisSubscriptions(redis.Redis.from_url(TEST_REDIS_URL), prefix))
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_changes_that_can_narrow_access_name_rooms_and_people():
    rooms, users = rooms_to_recheck([
        (Invitation(meeting_id=1, user_id=5), {"status"}), (AgendaItem(meeting_id=1, case_id=8), None),
        (Case(id=3), {"cross_border_consent"}), (Meeting(id=2), {"chair_id"}),
        (BoardMember(board_id=6, user_id=7), None), (User(id=11), {"is_active"})])
    assert rooms == {"case:8", "case:3", "meeting:2"}
    assert users == {5, 7, 11}


def test_changes_that_narrow_nobodys_access_cost_no_recheck():
    assert rooms_to_recheck([
        (User(id=11), {"last_login_at", "failed_login_count"}), (Meeting(id=2), {"current_case_id", "updated_at"}),
        (Case(id=3), {"diagnosis", "state"}), (Invitation(meeting_id=1, user_id=5), {"responded_at"})]) == (set(), set())
