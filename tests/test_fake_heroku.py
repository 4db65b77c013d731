"""The fake must behave like Heroku, or tests against it prove nothing."""

import pytest
import requests

from addons.heroku.errors import OAuthError
from addons.heroku.oauth import OAuthClient

ACCEPT = {"Accept": "application/vnd.heroku+json; version=3"}


def get(fake, path, token, **headers):
    return requests.get(
        fake.url + path, headers={**ACCEPT, "Authorization": f"Bearer {token}", **headers}
    )


def test_lists_are_paged_with_next_range(fake_heroku):
    people = [f"p{i:04}@example.com" for i in range(2500)]
    uuid, token = fake_heroku.world.add_resource(
        team="t", collaborators=["a@example.com"], members=people
    )
    team_id = fake_heroku.world.app_of(uuid)["team"]["id"]
    seen, range_header = [], "email ..; max=1000"
    while True:
        response = get(fake_heroku, f"/teams/{team_id}/members", token, Range=range_header)
        seen += [m["email"] for m in response.json()]
        if response.status_code == 200:
            break
        assert response.status_code == 206
        range_header = response.headers["Next-Range"]
    assert sorted(seen) == people


def test_etag_answers_304(fake_heroku):
    uuid, token = fake_heroku.world.add_resource()
    first = get(fake_heroku, f"/addons/{uuid}", token)
    second = get(fake_heroku, f"/addons/{uuid}", token, **{"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304 and second.content == b""


def test_token_reads_only_its_own_resource(fake_heroku):
    mine, token = fake_heroku.world.add_resource()
    other, _ = fake_heroku.world.add_resource()
    assert get(fake_heroku, f"/addons/{mine}", token).status_code == 200
    assert get(fake_heroku, f"/addons/{other}", token).status_code == 403
    assert get(fake_heroku, f"/addons/{mine}", "nope").status_code == 401


def test_grant_exchange_is_single_use(fake_heroku):
    uuid, _ = fake_heroku.world.add_resource()
    code = fake_heroku.world.create_grant(uuid, "s3cret")
    tokens = OAuthClient().exchange_grant(code=code, client_secret="s3cret")
    assert get(fake_heroku, f"/addons/{uuid}", tokens.access_token).status_code == 200
    try:
        OAuthClient().exchange_grant(code=code, client_secret="s3cret")
    except OAuthError as exc:
        assert "s3cret" not in str(exc) and code not in str(exc)
    else:
        raise AssertionError("a used grant was accepted twice")
    refreshed = OAuthClient().refresh(refresh_token=tokens.refresh_token, client_secret="s3cret")
    assert refreshed.access_token != tokens.access_token


def test_injected_faults(fake_heroku):
    uuid, token = fake_heroku.world.add_resource()
    fake_heroku.inject("503", match="/addons/", times=1)
    assert get(fake_heroku, f"/addons/{uuid}", token).status_code == 503
    assert get(fake_heroku, f"/addons/{uuid}", token).status_code == 200


@pytest.mark.parametrize(
    "arguments", [["--port", "70000"], ["--port", "0"], ["--latency", "-1"], ["--resources", "-5"]]
)
def test_the_fake_heroku_command_refuses_bad_usage_with_status_2(arguments):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command("fake_heroku", *arguments)
    assert refused.value.returncode == 2
