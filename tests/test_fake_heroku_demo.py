"""The fake's demo world: what `make run` serves, and what load_demo_data provisions."""

import pytest
import requests
from django.core.management import CommandError, call_command

from addons.heroku.fake import FakeHeroku
from addons.heroku.fake.demo import DEMO_ACCOUNTS, DEMO_RESOURCES, demo_user_id, demo_world

ACCEPT = {"Accept": "application/vnd.heroku+json; version=3"}


@pytest.fixture
def demo_fake():
    world = demo_world(oauth_client_id="portal-demo", oauth_client_secret="portal-demo-secret")
    with FakeHeroku(world) as fake:
        yield fake


def test_the_demo_world_holds_the_demo_resources_and_their_people(demo_fake):
    listed = requests.get(f"{demo_fake.url}/_fake/world", timeout=5).json()
    assert {item["uuid"] for item in listed} == {r["resource_uuid"] for r in DEMO_RESOURCES}
    team_app = DEMO_RESOURCES[2]["resource_uuid"]
    assert demo_fake.world.expected_emails(team_app) == {
        "jordan@northwind.test",
        "alex@northwind.test",
        "morgan@northwind.test",
    }
    personal = DEMO_RESOURCES[0]["resource_uuid"]
    assert demo_fake.world.expected_emails(personal) == {
        "casey@brightside.test",
        "robin@brightside.test",
    }


def test_demo_people_keep_their_heroku_user_ids_across_restarts():
    first, second = demo_world(), demo_world()
    resource = DEMO_RESOURCES[0]["resource_uuid"]
    ids = [
        {c["user"]["email"]: c["user"]["id"] for c in w.collaborators[w.app_of(resource)["id"]]}
        for w in (first, second)
    ]
    assert ids[0] == ids[1]
    assert ids[0]["casey@brightside.test"] == demo_user_id("casey@brightside.test")


def test_a_grant_of_the_demo_world_reads_its_collaborators(demo_fake):
    resource = DEMO_RESOURCES[0]["resource_uuid"]
    code = requests.post(
        f"{demo_fake.url}/_fake/grants",
        json={"resource": resource, "client_secret": "addon-secret"},
        timeout=5,
    ).json()["code"]
    tokens = requests.post(
        f"{demo_fake.url}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "client_secret": "addon-secret"},
        timeout=5,
    ).json()
    app = demo_fake.world.app_of(resource)
    answer = requests.get(
        f"{demo_fake.url}/apps/{app['id']}/collaborators",
        headers={**ACCEPT, "Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert {c["user"]["email"] for c in answer.json()} == {
        "casey@brightside.test",
        "robin@brightside.test",
    }


def test_the_demo_people_can_log_in_with_heroku(demo_fake):
    assert set(demo_fake.world.heroku_accounts) == set(DEMO_ACCOUNTS)
    page = requests.post(
        f"{demo_fake.url}/oauth/authorize",
        data={
            "client_id": "portal-demo",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:8123/accounts/heroku/login/callback/",
            "email": "owner@acme.test",
            "decision": "allow",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert page.status_code == 302
    assert page.headers["Location"].startswith("http://127.0.0.1:8123/accounts/heroku/")


def test_the_demo_world_has_no_oauth_client_without_both_halves():
    assert demo_world(oauth_client_id="portal-demo").oauth_clients == {}


def test_the_fake_heroku_command_refuses_demo_with_a_generated_world():
    with pytest.raises(CommandError) as refused:
        call_command("fake_heroku", "--demo", "--resources", "5")
    assert refused.value.returncode == 2
