"""Lines in the app's log stream: written through the Logplex HTTP input when provisioning
finishes and when credentials rotate; a failure to write never fails what it reports."""

import uuid
from datetime import UTC, datetime

import pytest

from addons.lifecycle.logplex import syslog_frame, write_log_line
from addons.models import LifecycleEvent
from tests.addons.partner_api.partner_api import provision_body

pytestmark = pytest.mark.django_db


def test_a_line_is_one_octet_counted_syslog_frame():
    frame = syslog_frame(
        "Acme Search is\nprovisioned.",
        app_name="acme-search",
        now=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    )
    line = b"<190>1 2026-01-01T12:00:00.000000+00:00 host acme-search lifecycle - "
    line += b"Acme Search is provisioned."
    assert frame == str(len(line)).encode() + b" " + line


def test_provisioning_writes_a_line_into_the_apps_log(
    heroku, fake_heroku, log_input_url, django_capture_on_commit_callbacks
):
    resource_uuid = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(provision_body(resource_uuid, log_input_url=log_input_url))
    assert response.status_code == 200
    [entry] = fake_heroku.log_lines
    assert entry["path"] == "/log-input/app"
    assert entry["line"].endswith(
        "host acme-search lifecycle - Acme Search is provisioned on the basic plan."
    )
    event = LifecycleEvent.objects.get(step="log_line")
    assert event.outcome == "done"
    # Logplex's credentials travel as basic auth, as requests sends a URL's user info.
    [request] = [r for r in fake_heroku.requests if r[1] == "/log-input/app"]
    assert request[2]["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("failure", ["500", "refused"])
def test_a_failure_to_write_is_recorded_and_fails_nothing(
    heroku, fake_heroku, log_input_url, failure, django_capture_on_commit_callbacks
):
    if failure == "500":
        fake_heroku.inject("500", match="/log-input/")
    else:
        log_input_url = "https://token:secret@127.0.0.1:9/logs"  # nothing listens there
    resource_uuid = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(provision_body(resource_uuid, log_input_url=log_input_url))
    assert response.status_code == 200
    event = LifecycleEvent.objects.get(step="log_line")
    assert event.outcome == "failed"
    assert "secret" not in event.detail and "token" not in event.detail
    assert "127.0.0.1" in event.detail


def test_no_line_without_a_log_input_url(provisioned_resource):
    assert write_log_line(resource_id=provisioned_resource.pk, message="hello") is False
    assert not LifecycleEvent.objects.exists()
