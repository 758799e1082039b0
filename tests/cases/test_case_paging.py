"""The case list comes a page at a time: a stable order, a `next` link, filters done in SQL."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from tests.cases.conftest import T0


def next_url(response):
    link = response.headers.get("Link")
    if link is None:
        return None
    assert link.endswith('>; rel="next"')
    return link[1:link.index(">")]


def all_pages(client, url, headers):
    ids, pages = [], 0
    while url is not None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        ids += [row["id"] for row in response.get_json()]
        pages += 1
        url = next_url(response)
    return ids, pages


def test_pages_follow_each_other_without_gaps_or_repeats(client, people, make_case, headers):
    cases = [make_case("draft") for _ in range(7)]
    h = headers(people.referrer)
    first = client.get("/api/v1/cases?limit=3", headers=h)
    assert [row["id"] for row in first.get_json()] == [c.id for c in cases[:3]]
    assert parse_qs(urlsplit(next_url(first)).query)["limit"] == ["3"]
    ids, pages = all_pages(client, "/api/v1/cases?limit=3", h)
    assert ids == [c.id for c in cases] and pages == 3
    # A case created while paging does not shift the pages already read.
    second = client.get(next_url(first), headers=h)
    make_case("draft")
    assert [row["id"] for row in client.get(next_url(first), headers=h).get_json()] == \
        [row["id"] for row in second.get_json()]


def test_default_and_largest_page(client, people, make_case, headers, assert_problem):
    make_case("draft")
    h = headers(people.referrer)
    response = client.get("/api/v1/cases", headers=h)
    assert response.status_code == 200 and "Link" not in response.headers
    body = assert_problem(client.get("/api/v1/cases?limit=201", headers=h), 422)
    assert "limit" in str(body)
    assert client.get("/api/v1/cases?limit=200", headers=h).status_code == 200
    body = assert_problem(client.get("/api/v1/cases?cursor=not-ours", headers=h), 422)
    assert "cursor" in str(body)


def test_filters_keep_to_the_pages(client, people, make_case, headers):
    early = make_case("submitted", at=T0)
    late = make_case("submitted", at=T0 + timedelta(days=10), urgency="urgent")
    make_case("draft")
    h = headers(people.coordinator)
    ids, _ = all_pages(client, "/api/v1/cases?state=submitted&limit=1", h)
    assert ids == [early.id, late.id]
    ids, _ = all_pages(client, "/api/v1/cases?urgency=urgent", h)
    assert ids == [late.id]
    since = (T0 + timedelta(days=5)).isoformat().replace("+00:00", "Z")
    ids, _ = all_pages(client, f"/api/v1/cases?submitted_from={since}", h)
    assert ids == [late.id]
    ids, _ = all_pages(client, f"/api/v1/cases?submitted_before={since}", h)
    assert ids == [early.id]
