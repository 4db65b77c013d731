"""docs/openapi.yaml against the implementation: Schemathesis drives the Partner API and the ticket
intake in-process (the Django WSGI app) with valid credentials.

Every answer must be documented (status, content type, headers, body schema), no answer may be a
5xx, and a request that breaks the schema must be refused with a 4xx.
"""

from pathlib import Path

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from addons.models import AddonResource, Ticket
from tests.addons.partner_api.partner_api import basic_auth

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
app = get_wsgi_application()
schema = schemathesis.openapi.from_path(SCHEMA_PATH)
schema.app = app  # every request, probes included, goes to the WSGI app in-process
# Left out: "a schema-valid request must be accepted". Business rules refuse some of them with a
# documented 4xx: a plan that the add-on does not have (422), text with NUL (422), a uuid already
# used on another plan (409). Every other check runs, including "a schema-invalid request must be
# refused" and "no answer is a 5xx".
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]


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
def credentials(addon, provisioned_resource, intake_token):
    return {
        "partner": basic_auth(addon.slug, addon.api_password),
        "intake": f"Bearer {intake_token}",
        "addon": addon,
        "intake_addon": addon.slug,
        "resource_uuid": str(provisioned_resource.uuid),
    }


def aim(case, credentials):
    """Point a generated request at things that exist often enough for success paths to run."""
    if case.path_parameters and len(case.path_parameters.get("resource_uuid", "")) % 2 == 0:
        case.path_parameters["resource_uuid"] = credentials["resource_uuid"]
    body = case.body if isinstance(case.body, dict) else None
    if case.path == "/tickets/intake":
        if body is not None and isinstance(body.get("addon"), str):
            body["addon"] = credentials["intake_addon"]
        return {"Authorization": credentials["intake"]}
    if body is not None and isinstance(body.get("plan"), str) and len(body["plan"]) % 2 == 0:
        body["plan"] = "acme-search:pro" if case.method == "PUT" else "basic"
    return {"Authorization": credentials["partner"]}


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

    response = case.call_and_validate(
        app=wsgi_app, headers=headers, excluded_checks=EXCLUDED_CHECKS
    )

    if response.status_code >= 400:
        assert AddonResource.objects.count() == resources
        assert Ticket.objects.count() == tickets
