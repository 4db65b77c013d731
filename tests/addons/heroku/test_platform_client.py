"""The Platform API client, call by call, against `responses` (no network, no real sleeping).

Retries are tested in test_retries.py, over HTTP to the fake Heroku: `responses` replaces the
adapter's `send`, so urllib3's Retry would not run here as it does in production.
"""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone
from responses import matchers

from addons.access.fetch import FetchJob, fetch_access_list
from addons.heroku.cache import ResponseCache, StoredResponse
from addons.heroku.client import PlatformClient, ResourceCredentials
from addons.heroku.errors import (
    AccessDenied,
    AddonGone,
    MalformedResponse,
    NotFound,
    PagesDoNotAddUp,
    TokenRejected,
)
from addons.heroku.pacing import MAX_SPACING

API = "https://api.heroku.test"
ID = "https://id.heroku.test"
UUID = "8a1e3c7e-0c1f-4c4e-9c86-1f1f8f7e0b11"
APP = "app-1"
ACCESS, REFRESH, SECRET = "access-tok-123", "refresh-tok-456", "client-secret-789"


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def platform_client(settings, clock):
    settings.HEROKU_ID_URL = ID
    # jitter=1.0 makes each back-off its full, predictable value.
    return PlatformClient(
        base_url=API, timeout=7, sleep=clock.sleep, clock=clock, jitter=lambda: 1.0
    )


@pytest.fixture
def credentials():
    return ResourceCredentials(
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_at=timezone.now() + timedelta(hours=8),
        client_secret=SECRET,
    )


def addon_json():
    return {"id": UUID, "app": {"id": APP, "name": "my-app"}, "state": "provisioned"}


def collaborator(email, role="collaborator", id=None):
    """A collaborator as Heroku lists it; its `id` (the field the list is paged by) is its email
    unless given."""
    return {"id": id or email, "user": {"email": email, "id": f"id-{email}"}, "role": role}


def assert_no_secret(exc):
    for secret in (ACCESS, REFRESH, SECRET):
        assert secret not in str(exc) and secret not in repr(exc)


def test_sends_heroku_headers_and_a_timeout(api, platform_client, credentials):
    api.get(
        f"{API}/addons/{UUID}",
        json=addon_json(),
        match=[
            matchers.header_matcher(
                {
                    "Accept": "application/vnd.heroku+json; version=3",
                    "Authorization": f"Bearer {ACCESS}",
                }
            )
        ],
    )
    addon = platform_client.fetch_addon(UUID, credentials=credentials)
    assert addon.app_id == APP and addon.app_name == "my-app"
    request = api.calls[0].request
    assert request.headers["User-Agent"].startswith("partner-portal/")
    assert request.req_kwargs["timeout"] == 7


def test_follows_206_and_next_range_to_the_end(api, platform_client, credentials):
    url = f"{API}/apps/{APP}/collaborators"
    ranges = ["id ..; max=1000", "id ]a..; max=1000", "id ]b..; max=1000"]
    pages = [
        [collaborator("a@x.io", id="a")],
        [collaborator("b@x.io", id="b")],
        [collaborator("C@x.io", id="c")],
    ]
    for i, (range_, page) in enumerate(zip(ranges, pages, strict=True)):
        last = i == len(pages) - 1
        api.get(
            url,
            json=page,
            status=200 if last else 206,
            headers={} if last else {"Next-Range": ranges[i + 1]},
            match=[matchers.header_matcher({"Range": range_})],
        )
    people = platform_client.fetch_collaborators(APP, credentials=credentials)
    assert [p.email for p in people] == ["a@x.io", "b@x.io", "c@x.io"]


def test_team_members_are_paged_by_email(api, platform_client, credentials):
    api.get(
        f"{API}/teams/t1/members",
        json=[{"email": "M@x.io", "role": "admin", "user": {"email": "M@x.io", "id": "u1"}}],
        match=[matchers.header_matcher({"Range": "email ..; max=1000"})],
    )
    (member,) = platform_client.fetch_team_members("t1", credentials=credentials)
    assert (member.email, member.heroku_user_id, member.role) == ("m@x.io", "u1", "admin")


def test_206_without_next_range_is_an_error(api, platform_client, credentials):
    api.get(f"{API}/apps/{APP}/collaborators", json=[collaborator("a@x.io")], status=206)
    with pytest.raises(MalformedResponse, match="without Next-Range"):
        platform_client.fetch_collaborators(APP, credentials=credentials)


def test_a_repeating_next_range_is_an_error_not_a_loop(api, platform_client, credentials):
    url = f"{API}/apps/{APP}/collaborators"
    page = [collaborator("a@x.io", id="a")]
    api.get(url, json=page, status=206, headers={"Next-Range": "id ]a..; max=1000"})
    api.get(url, json=page, status=206, headers={"Next-Range": "id ]a..; max=1000"})
    with pytest.raises(PagesDoNotAddUp, match="repeats"):
        platform_client.fetch_collaborators(APP, credentials=credentials)


def page_of(*ids, status=206, next_range=None, content_range=None):
    """A page of collaborators with these IDS, its status and its paging headers."""
    headers = {}
    if next_range is None and status == 206:
        next_range = f"id ]{ids[-1]}..; max=1000"
    if next_range:
        headers["Next-Range"] = next_range
    if content_range is None and ids:
        content_range = f"id {ids[0]}..{ids[-1]}; max=1000"
    if content_range:
        headers["Content-Range"] = content_range
    return {
        "json": [collaborator(f"{i}@x.io", id=i) for i in ids],
        "status": status,
        "headers": headers,
    }


@pytest.mark.parametrize(
    "pages,fragment",
    [
        # The next page would start after "c", but this one ended at "b": "c" would be skipped.
        (
            [page_of("a", "b", next_range="id ]c..; max=1000")],
            "ends at 'b' but names Next-Range 'id ]c..; max=1000'",
        ),
        # The next page starts at "b" itself (no "]"): it would repeat it.
        (
            [page_of("a", "b", next_range="id b..; max=1000")],
            "ends at 'b' but names Next-Range",
        ),
        # Next-Range on another field than the list is paged by.
        (
            [page_of("a", next_range="email ]a..; max=1000")],
            "names Next-Range 'email ]a..; max=1000'",
        ),
        # The second page holds an item the first one held.
        ([page_of("a", "b"), page_of("b", "c", status=200)], "overlaps the pages before it"),
        # Content-Range says the page starts elsewhere than its first item.
        ([page_of("a", "b", status=200, content_range="id 0..b; max=1000")], "has Content-Range"),
        (
            [page_of("a", "b", status=200, content_range="email a..b; max=1000")],
            "not a range of id",
        ),
        # A truncated page with nothing in it.
        (
            [page_of(status=206, next_range="id ]a..; max=1000")],
            "206 Partial Content with no items",
        ),
        # An item without the field the pages are ranged by.
        (
            [
                {
                    "json": [{"user": {"email": "a@x.io"}}],
                    "status": 206,
                    "headers": {"Next-Range": "id ]a..; max=1000"},
                }
            ],
            "without id",
        ),
    ],
    ids=[
        "skip",
        "inclusive",
        "field",
        "overlap",
        "content-range",
        "content-range-field",
        "empty-206",
        "no-id",
    ],
)
def test_pages_that_do_not_add_up_are_refused(api, platform_client, credentials, pages, fragment):
    url = f"{API}/apps/{APP}/collaborators"
    for page in pages:
        api.get(url, **page)
    with pytest.raises(PagesDoNotAddUp) as caught:
        platform_client.fetch_collaborators(APP, credentials=credentials)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"GET /apps/{APP}/collaborators: page ")


def test_a_page_larger_than_the_max_asked_is_refused(api, platform_client, credentials):
    ids = [f"{i:04}" for i in range(1001)]
    api.get(f"{API}/apps/{APP}/collaborators", **page_of(*ids, status=200))
    with pytest.raises(PagesDoNotAddUp, match="holds 1001 items, more than the max=1000"):
        platform_client.fetch_collaborators(APP, credentials=credentials)


def test_consistent_pages_with_content_ranges_add_up(api, platform_client, credentials):
    url = f"{API}/apps/{APP}/collaborators"
    api.get(url, **page_of("a", "b"))
    api.get(url, **page_of("c", status=200))
    people = platform_client.fetch_collaborators(APP, credentials=credentials)
    assert [p.email for p in people] == ["a@x.io", "b@x.io", "c@x.io"]


def test_a_single_page_without_paging_headers_needs_no_range_field(
    api, platform_client, credentials
):
    api.get(f"{API}/apps/{APP}/collaborators", json=[{"user": {"email": "a@x.io"}}])
    assert len(platform_client.fetch_collaborators(APP, credentials=credentials)) == 1


def test_stores_the_etag_and_reuses_the_body_on_304(api, platform_client, credentials):
    url = f"{API}/addons/{UUID}"
    api.get(url, json=addon_json(), headers={"ETag": '"v1"'})
    api.get(url, status=304, match=[matchers.header_matcher({"If-None-Match": '"v1"'})])
    first = ResponseCache()
    platform_client.fetch_addon(UUID, credentials=credentials, cache=first)
    stored = first.changed[f"/addons/{UUID}"]
    assert stored.etag == '"v1"'

    second = ResponseCache(first.changed)
    addon = platform_client.fetch_addon(UUID, credentials=credentials, cache=second)
    assert addon.app_id == APP
    assert second.changed == {} and second.unused() == set()


def test_a_304_page_keeps_its_stored_next_range(api, platform_client, credentials):
    url = f"{API}/apps/{APP}/collaborators"
    first_page = "id ..; max=1000"
    cache = ResponseCache(
        {
            f"/apps/{APP}/collaborators {first_page}": StoredResponse(
                '"p1"', '[{"id": "a", "user": {"email": "a@x.io"}}]', 206, "id ]a..; max=1000"
            )
        }
    )
    api.get(url, status=304, match=[matchers.header_matcher({"Range": first_page})])
    api.get(
        url,
        json=[collaborator("b@x.io")],
        headers={"ETag": '"p2"'},
        match=[matchers.header_matcher({"Range": "id ]a..; max=1000"})],
    )
    people = platform_client.fetch_collaborators(APP, credentials=credentials, cache=cache)
    assert [p.email for p in people] == ["a@x.io", "b@x.io"]
    assert list(cache.changed) == [f"/apps/{APP}/collaborators id ]a..; max=1000"]


def test_401_refreshes_the_token_once_then_retries(api, platform_client, credentials):
    url = f"{API}/addons/{UUID}"
    api.get(url, status=401, json={"id": "unauthorized", "message": "Invalid credentials"})
    api.post(
        f"{ID}/oauth/token",
        json={"access_token": "new-access", "refresh_token": "new-refresh", "expires_in": 28800},
        match=[
            matchers.urlencoded_params_matcher(
                {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_secret": SECRET}
            )
        ],
    )
    api.get(
        url,
        json=addon_json(),
        match=[matchers.header_matcher({"Authorization": "Bearer new-access"})],
    )
    platform_client.fetch_addon(UUID, credentials=credentials)
    assert credentials.refreshed is not None
    assert credentials.refreshed.refresh_token == "new-refresh"
    assert "new-access" not in repr(credentials)


def test_401_whose_refresh_fails_is_token_rejected(api, platform_client, credentials):
    api.get(f"{API}/addons/{UUID}", status=401, json={"id": "unauthorized"})
    api.post(f"{ID}/oauth/token", status=401, json={"id": "unauthorized", "message": "nope"})
    with pytest.raises(TokenRejected) as caught:
        platform_client.fetch_addon(UUID, credentials=credentials)
    assert_no_secret(caught.value)
    assert credentials.refreshed is None


def test_401_again_after_a_refresh_fails_without_another_refresh(api, platform_client, credentials):
    url = f"{API}/addons/{UUID}"
    api.get(url, status=401, json={"id": "unauthorized"})
    api.post(
        f"{ID}/oauth/token",
        json={"access_token": "new-access", "refresh_token": "new-refresh", "expires_in": 28800},
    )
    api.get(url, status=401, json={"id": "unauthorized"})
    with pytest.raises(TokenRejected):
        platform_client.fetch_addon(UUID, credentials=credentials)
    assert len(api.calls) == 3
    assert credentials.refreshed is not None  # the caller still stores the new tokens


def test_a_token_about_to_expire_is_refreshed_before_the_call(api, platform_client, credentials):
    credentials.expires_at = timezone.now() + timedelta(seconds=30)
    api.post(
        f"{ID}/oauth/token",
        json={"access_token": "new-access", "refresh_token": "new-refresh", "expires_in": 28800},
    )
    platform_client.refresh_if_expiring(credentials)
    assert credentials.access_token == "new-access"
    assert credentials.expires_at > timezone.now() + timedelta(hours=7)


def test_no_refresh_is_made_for_a_fresh_token(api, platform_client, credentials):
    platform_client.refresh_if_expiring(credentials)
    assert len(api.calls) == 0


def test_403_is_access_denied(api, platform_client, credentials):
    api.get(f"{API}/apps/{APP}", status=403, json={"id": "forbidden", "message": "no access"})
    with pytest.raises(AccessDenied, match="403 forbidden"):
        platform_client.fetch_app(APP, credentials=credentials)


def test_an_addon_answer_needs_its_app_but_not_its_state(api, platform_client, credentials):
    api.get(f"{API}/addons/{UUID}", json={"id": UUID, "app": {"id": APP, "name": "my-app"}})
    api.get(f"{API}/addons/{UUID}", json={"id": UUID, "state": "provisioned"})
    assert platform_client.fetch_addon(UUID, credentials=credentials).app_id == APP
    with pytest.raises(MalformedResponse, match="lacks app"):
        platform_client.fetch_addon(UUID, credentials=credentials)


def test_404_on_the_addon_means_it_is_gone(api, platform_client, credentials):
    api.get(f"{API}/addons/{UUID}", status=404, json={"id": "not_found"})
    with pytest.raises(AddonGone):
        platform_client.fetch_addon(UUID, credentials=credentials)


def test_404_elsewhere_is_not_found_but_not_gone(api, platform_client, credentials):
    api.get(f"{API}/apps/{APP}", status=404, json={"id": "not_found"})
    with pytest.raises(NotFound) as caught:
        platform_client.fetch_app(APP, credentials=credentials)
    assert not isinstance(caught.value, AddonGone)


def test_a_low_ratelimit_remaining_spaces_the_next_requests(
    api, platform_client, credentials, clock
):
    url = f"{API}/addons/{UUID}"
    api.get(url, json=addon_json(), headers={"RateLimit-Remaining": "0"})
    api.get(url, json=addon_json(), headers={"RateLimit-Remaining": "4000"})
    api.get(url, json=addon_json())
    for _ in range(3):
        platform_client.fetch_addon(UUID, credentials=credentials)
    # The first request reserved no spacing; after "0 left" the next waits the full spacing;
    # after "4000 left" the spacing is gone again.
    assert clock.sleeps == [MAX_SPACING]


def test_the_delays_grow_as_ratelimit_remaining_falls(api, platform_client, credentials, clock):
    url = f"{API}/addons/{UUID}"
    remaining = ["4000", "299", "200", "100", "0"]
    for left in remaining:
        api.get(url, json=addon_json(), headers={"RateLimit-Remaining": left})
    api.get(url, json=addon_json())
    for _ in range(len(remaining) + 1):
        platform_client.fetch_addon(UUID, credentials=credentials)
    # Above LOW_WATER no request waits; below it, the very next request waits for the spacing
    # the latest answer asked for: longer the less is left, up to MAX_SPACING when the pool is
    # empty (one request per 0.8 s, Heroku's refill rate of 75 a minute).
    delays = clock.sleeps
    assert len(delays) == len(remaining) - 1  # nothing before the first, nor after "4000"
    assert all(a < b for a, b in zip(delays, delays[1:], strict=False)), delays
    assert delays[-1] == MAX_SPACING


def test_malformed_json_is_an_error_not_a_crash(api, platform_client, credentials):
    api.get(f"{API}/addons/{UUID}", body='{"id": "trunc', content_type="application/json")
    with pytest.raises(MalformedResponse, match="not JSON"):
        platform_client.fetch_addon(UUID, credentials=credentials)


def test_json_of_the_wrong_shape_is_malformed(api, platform_client, credentials):
    api.get(f"{API}/apps/{APP}/collaborators", json=[{"user": None}])
    with pytest.raises(MalformedResponse):
        platform_client.fetch_collaborators(APP, credentials=credentials)


def test_error_messages_never_carry_tokens(api, platform_client, credentials):
    api.get(
        f"{API}/addons/{UUID}",
        status=422,
        json={"id": "invalid_params", "message": "bad request"},
    )
    with pytest.raises(Exception) as caught:
        platform_client.fetch_addon(UUID, credentials=credentials)
    assert_no_secret(caught.value)
    assert "access-tok" not in repr(credentials)


class _Resource:
    uuid = UUID


def test_no_request_is_made_without_an_access_token(api, platform_client):
    job = FetchJob(
        resource=_Resource(), credentials=ResourceCredentials(access_token=""), cache=None
    )
    result = fetch_access_list(platform_client, job)
    assert "no OAuth access token" in result.error and result.people is None


def test_a_personal_app_makes_no_team_members_call(api, platform_client, credentials):
    api.get(f"{API}/addons/{UUID}", json=addon_json())
    api.get(f"{API}/apps/{APP}", json={"id": APP, "name": "my-app", "team": None})
    api.get(f"{API}/apps/{APP}/collaborators", json=[collaborator("Owner@x.io", "owner")])
    job = FetchJob(resource=_Resource(), credentials=credentials, cache=ResponseCache())
    result = fetch_access_list(platform_client, job)
    assert result.error == ""
    assert list(result.people) == ["owner@x.io"]
    assert len(api.calls) == 3
