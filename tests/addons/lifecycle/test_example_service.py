"""docs/example_service.py, the example the docs give partners, does what they say: it answers
the portal's signed events, refuses forged and repeated ones, and completes a pending provisioning
through the portal's API (a live server here, so that it can call back)."""

import importlib.util
import json
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from addons.models import AddonResource, AddonService, Plan
from tests.addons.lifecycle.conftest import PARTNER_SECRET
from tests.addons.partner_api.partner_api import provision_body
from tests.partner_service import sign

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "example_service.py"


@pytest.fixture
def example(live_server):
    """The example service, running on loopback, calling back to the live portal."""
    spec = importlib.util.spec_from_file_location("example_service", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.settings.update(secret=PARTNER_SECRET, portal_url=live_server.url, build_seconds=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), module.Events)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    module.url = f"http://127.0.0.1:{server.server_address[1]}/heroku/events"
    yield module
    server.shutdown()
    server.server_close()


@pytest.fixture
def example_addon(addon, example):
    AddonService.objects.create(addon=addon, url=example.url, signing_secret=PARTNER_SECRET)
    Plan.objects.create(addon=addon, slug="dedicated", name="Dedicated", price_cents=90000)
    return addon


def test_the_example_provisions_at_once_and_answers_a_repeat_alike(heroku, example_addon, example):
    resource_uuid = uuid.uuid4()
    first = heroku.provision(provision_body(resource_uuid))
    assert first.status_code == 200, first.content
    assert first.json()["config"]["ACME_SEARCH_URL"].startswith(
        f"https://db.example.com/{resource_uuid}?key="
    )
    assert heroku.provision(provision_body(resource_uuid)).json() == first.json()


def test_the_example_builds_a_dedicated_database_and_reports_it(
    heroku, example_addon, heroku_addon, grant_code, fake_heroku
):
    body = provision_body(heroku_addon, plan="acme-search:dedicated", code=grant_code)
    response = heroku.provision(body)
    assert response.status_code == 202, response.content

    # The portal records "provisioned" once Heroku has answered the provision action, a moment
    # after the fake has seen it: wait for both.
    def done() -> bool:
        writes = fake_heroku.writes_of(str(heroku_addon))
        state = AddonResource.objects.get(uuid=heroku_addon).state
        return len(writes) >= 2 and state == "provisioned"

    deadline = time.monotonic() + 15
    while not done():
        assert time.monotonic() < deadline, "the example never reported its database built"
        time.sleep(0.05)
    assert fake_heroku.writes_of(str(heroku_addon)) == [
        f"PATCH /addons/{heroku_addon}/config",
        f"POST /addons/{heroku_addon}/actions/provision",
    ]
    assert AddonResource.objects.get(uuid=heroku_addon).state == "provisioned"


def test_the_example_refuses_forged_old_and_repeated_events(example):
    body = json.dumps({"type": "resource.deprovision", "resource": {"uuid": "x"}}).encode()
    post = lambda headers: requests.post(example.url, data=body, headers=headers, timeout=5)  # noqa: E731
    assert post(sign("not-the-secret-the-example-checks", body)).status_code == 401
    assert post(sign(PARTNER_SECRET, body, timestamp=int(time.time()) - 400)).status_code == 401
    headers = sign(PARTNER_SECRET, body)
    assert post(headers).status_code == 404  # genuine: but it knows no resource "x"
    assert post(headers).status_code == 401  # the same event again
