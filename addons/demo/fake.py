"""The demo's Heroku: the loopback fake's control API, as `load_demo_data` plays Heroku with it.

The fake is never imported (an import contract keeps it out of the portal): it is a separate
process (`python manage.py fake_heroku --demo`), reached over HTTP at HEROKU_API_URL.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
START_HINT = (
    "Start it with `python manage.py fake_heroku --demo` (`make run` starts it for you) and "
    "point HEROKU_API_URL and HEROKU_ID_URL at it, e.g. http://127.0.0.1:5050."
)


class FakeHerokuUnavailable(Exception):
    """The demo's fake Heroku is not at HEROKU_API_URL; the message says what to start."""


class DemoHeroku:
    """The fake Heroku at URL, through its control API under /_fake/."""

    def __init__(self, url: str, *, timeout: float = 5.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def call(self, route: str, **data):
        """Return the JSON answer of the control ROUTE given DATA."""
        answer = self.session.post(f"{self.url}/_fake/{route}", json=data, timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()

    def wait_until_serving(self, *, wait: float) -> None:
        """Return once the fake answers, trying for up to WAIT seconds; raise if it never does."""
        if urlsplit(self.url).hostname not in LOOPBACK:
            raise FakeHerokuUnavailable(
                f"HEROKU_API_URL is {self.url}, not the loopback fake Heroku that the demo data "
                f"needs (the demo never calls the real Heroku). {START_HINT}"
            )
        deadline = time.monotonic() + wait
        while True:
            try:
                self.call("stats")
                return
            except requests.HTTPError:
                raise FakeHerokuUnavailable(
                    f"{self.url} answers, but it is not the fake Heroku. {START_HINT}"
                ) from None
            except (requests.ConnectionError, requests.Timeout, ValueError):
                if time.monotonic() >= deadline:
                    raise FakeHerokuUnavailable(
                        f"No fake Heroku answers at {self.url}. {START_HINT}"
                    ) from None
                time.sleep(0.2)

    def resources(self) -> list[dict]:
        """Return the add-on resources of the fake's world, as Heroku would describe them."""
        return [self.call("addon", resource=item["uuid"])["addon"] for item in self.call("world")]

    def grant_code(self, resource_uuid: str, *, client_secret: str) -> str:
        """Return a new OAuth grant for RESOURCE_UUID, as Heroku sends one at provisioning."""
        return self.call("grants", resource=resource_uuid, client_secret=client_secret)["code"]
