"""docs/openapi.yaml against the implementation: Schemathesis drives the Partner API and the ticket
intake in-process (the Django WSGI app) with valid credentials.

Every check runs, both ways: every answer is documented (status, content type, headers, body
schema), no answer is a 5xx, a request that breaks the schema is refused with a 4xx, and a request
the schema allows is accepted. Two things a schema cannot know are filled in by `aim` (as
credentials are): the name of one of the add-on's plans, and one of its resources.

Two formats get strategies of their own (docs/reliability.md, "Hostile input"): `uri`, the URLs
Django's URLValidator reads (an http(s) or ftp(s) scheme and a host with a top-level domain;
Hypothesis' `urls()`), and `email`, addresses of printable ASCII (Hypothesis' `emails()`).
The character rules are patterns (portal/text.py), which the default generators follow.
"""

import re
from pathlib import Path

import hypothesis
import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import provisional
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

from addons.models import AddonResource, Ticket
from portal import text
from tests.addons.partner_api.partner_api import basic_auth

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
app = get_wsgi_application()
schemathesis.openapi.format("uri", provisional.urls().filter(lambda url: len(url) <= 500))
schemathesis.openapi.format("email", st.emails().filter(lambda address: len(address) <= 254))
schema = schemathesis.openapi.from_path(SCHEMA_PATH)
schema.app = app  # every request, probes included, goes to the WSGI app in-process
ADDON_PATTERN = r"^[-a-zA-Z0-9_]{1,60}$"  # IntakeRequest.addon: a slug of at most 60 characters


@pytest.fixture
def wsgi_app():
    """The WSGI app, sharing the test's database connection (and transaction) as Django's test
    client does: the handler would otherwise close the connection after each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(addon, provisioned_resource, intake_token, fake_heroku):
    """Credentials and names that exist; grant codes are exchanged with the loopback fake."""
    return {
        "partner": basic_auth(addon.slug, addon.api_password),
        "intake": f"Bearer {intake_token}",
        "addon": addon,
        "intake_addon": addon.slug,
        "resource_uuid": str(provisioned_resource.uuid),
    }


def aim(case, credentials):
    """Fill in what the schema cannot know: an existing plan, add-on and resource.

    A request the schema allows gets them always. One that breaks it keeps what it was generated
    with, except a value that is valid anyway (a well-formed resource uuid, a plan string), so that
    the checks after authentication and the resource look-up run too.
    """
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    # A case generated without valid credentials on purpose keeps what it was generated with.
    credentials_mutated = case.meta is not None and case.meta.is_negative_at(
        ParameterLocation.HEADER
    )
    # A negative case may carry any header, "Host" among them. Django answers a host that is not
    # in ALLOWED_HOSTS with its own 400 page before any view runs: that is the server's, not
    # the API's, and no description of the API can document it.
    for name in [name for name in case.headers or {} if name.lower() == "host"]:
        del case.headers[name]
    path_uuid = (case.path_parameters or {}).get("resource_uuid")
    if isinstance(path_uuid, str) and re.search(text.UUID_PATTERN, path_uuid):
        case.path_parameters["resource_uuid"] = credentials["resource_uuid"]
    body = case.body if isinstance(case.body, dict) else None
    if case.path == "/tickets/intake":
        addon = body.get("addon") if body is not None else None
        if isinstance(addon, str) and (positive or re.search(ADDON_PATTERN, addon)):
            body["addon"] = credentials["intake_addon"]
        if body is not None and positive and body.get("resource") is not None:
            body["resource"] = credentials["resource_uuid"]
        return {} if credentials_mutated else {"Authorization": credentials["intake"]}
    plan = body.get("plan") if body is not None else None
    if isinstance(plan, str) and (positive or re.search(text.ONE_LINE_TEXT_PATTERN, plan)):
        body["plan"] = "acme-search:pro" if case.method == "PUT" else "basic"
    return {} if credentials_mutated else {"Authorization": credentials["partner"]}


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_the_api_matches_docs_openapi_yaml(case, credentials, wsgi_app):
    resources, tickets = AddonResource.objects.count(), Ticket.objects.count()
    headers = aim(case, credentials)

    response = case.call_and_validate(app=wsgi_app, headers=headers)

    if response.status_code >= 400:
        assert AddonResource.objects.count() == resources
        assert Ticket.objects.count() == tickets


def test_the_character_rules_in_the_schema_are_portal_text():
    rules = yaml.safe_load(SCHEMA_PATH.read_text())["x-character-rules"]

    assert rules["storable"] == text.STORABLE_PATTERN
    assert rules["text"] == text.TEXT_PATTERN
    assert rules["one-line"] == text.ONE_LINE_PATTERN
    assert rules["one-line-text"] == text.ONE_LINE_TEXT_PATTERN
    assert rules["uuid"] == text.UUID_PATTERN
    assert rules["email"] == text.EMAIL_PATTERN
