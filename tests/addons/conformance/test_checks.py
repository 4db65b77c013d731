"""The conformance check against portals played by `responses`: one that conforms (at once or
asynchronously), ones broken one answer at a time (the failing row is named), and portals that
cannot be reached or answer what Heroku cannot read."""

import pytest
import requests
import responses

from addons.conformance import checks
from addons.conformance.checks import Target, Waiter, run_conformance, running_fake
from addons.conformance.report import Outcome, Row, render_table, summary
from tests.addons.conformance.stub_portal import (
    ADDON,
    CLIENT_SECRET,
    PASSWORD,
    SSO_SALT,
    URL,
    StubPortal,
)

# No waiting: a stub portal does everything before it answers, so one look is enough.
TARGET = Target(
    url=URL,
    addon=ADDON,
    password=PASSWORD,
    sso_salt=SSO_SALT,
    client_secret=CLIENT_SECRET,
    grant_timeout=0,
    async_timeout=0,
)


@pytest.fixture
def fake():
    with running_fake() as fake:
        yield fake


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def outcomes(rows: list[Row]) -> dict[str, Outcome]:
    return {row.check: row.outcome for row in rows}


def run_against(fake, http, clock=None, **behaviour) -> list[Row]:
    StubPortal(fake_url=fake.url, **behaviour).install(http)
    waiter = Waiter(clock=clock, sleep=clock.sleep) if clock else Waiter()
    return run_conformance(TARGET, fake=fake, waiter=waiter)


def test_a_conforming_portal_passes_every_check(fake, http):
    rows = run_against(fake, http)
    assert [row.check for row in rows] == list(checks.CHECKS)
    assert outcomes(rows) == {name: Outcome.PASS for name in checks.CHECKS} | {
        checks.ASYNC: Outcome.SKIP
    }
    assert not any(row.failed for row in rows)


def test_an_asynchronous_portal_passes_once_heroku_is_told_in_order(fake, http):
    rows = run_against(fake, http, pending=True, deprovision_status=202)
    assert set(outcomes(rows).values()) == {Outcome.PASS}
    by_name = {row.check: row.detail for row in rows}
    assert by_name[checks.PROVISION] == "202: pending; the portal completes it later"
    assert by_name[checks.ASYNC] == "PATCH config, then POST actions/provision"
    assert by_name[checks.DEPROVISION] == "202, then POST actions/deprovision"


@pytest.mark.parametrize(
    ("behaviour", "failing", "detail"),
    [
        ({"pending": True, "actions_first": True}, checks.ASYNC, "came before the config"),
        ({"pending": True, "complete": False}, checks.ASYNC, "expected PATCH config, then POST"),
        ({"exchange": False}, checks.GRANT, "no exchange within 0 s"),
        ({"plan_change_status": 500}, checks.PLAN_CHANGE, "answered 500, not 200"),
        ({"accept_any_password": True}, checks.BAD_CREDENTIALS, "a wrong password answered 200"),
        ({"sso_refuse": True}, checks.SSO, "answered 403 (a wrong --sso-salt?)"),
        ({"sso_accept_any_token": True}, checks.SSO_REFUSED, "answered 302, not 403"),
        ({"deprovision_status": 500}, checks.DEPROVISION, "answered 500, not 204 or 202"),
        ({"provision_status": 422}, checks.PROVISION, "answered 422, not 200 or 202"),
        ({"provision_body": {"id": "r1"}}, checks.PROVISION, "200 without a config object"),
    ],
)
def test_a_broken_portal_fails_the_check_it_breaks(fake, http, behaviour, failing, detail):
    rows = run_against(fake, http, **behaviour)
    failed = [row for row in rows if row.outcome == Outcome.FAIL]
    assert [row.check for row in failed] == [failing]
    assert detail in failed[0].detail


def test_async_completion_is_awaited_on_the_injected_clock(fake, http, clock):
    target = Target(**{**TARGET.__dict__, "async_timeout": 5})
    StubPortal(fake_url=fake.url, pending=True, complete=False).install(http)
    rows = run_conformance(target, fake=fake, waiter=Waiter(clock=clock, sleep=clock.sleep))
    assert outcomes(rows)[checks.ASYNC] == Outcome.FAIL
    assert sum(clock.sleeps) == pytest.approx(5, abs=0.2)  # polled until the timeout, no longer


def test_a_refused_grant_exchange_names_the_client_secret(fake, http):
    target = Target(**{**TARGET.__dict__, "client_secret": "not the portal's"})
    StubPortal(fake_url=fake.url).install(http)
    rows = run_conformance(target, fake=fake)
    grant = next(row for row in rows if row.check == checks.GRANT)
    assert grant.outcome == Outcome.FAIL
    assert "--oauth-client-secret" in grant.detail
    assert {row.check: row.outcome for row in rows}[checks.SSO] == Outcome.NOT_RUN


# What Heroku cannot read, or cannot reach --------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (
            {"body": requests.ConnectionError("[Errno 111] Connection refused")},
            "cannot reach the portal (Connection refused)",
        ),
        ({"body": requests.ReadTimeout("read timed out")}, "no answer within 25 s"),
        ({"body": "<html>Oops</html>", "status": 200}, "a body that is not JSON: '<html>Oops"),
        ({"json": ["not", "an", "object"], "status": 200}, "JSON that is not an object"),
        (
            {"json": {"message": "Authentication failed."}, "status": 401},
            "refused the add-on id and password (--addon, --password)",
        ),
    ],
)
def test_a_provision_heroku_cannot_use_stops_the_run(fake, answer, detail):
    with responses.RequestsMock() as http:
        http.add(responses.POST, f"{URL}/heroku/resources", **answer)
        rows = run_conformance(TARGET, fake=fake)
    assert rows[0].outcome == Outcome.FAIL and detail in rows[0].detail
    assert {row.outcome for row in rows[1:]} == {Outcome.NOT_RUN}
    assert len(rows) == len(checks.CHECKS)


# The table ---------------------------------------------------------------------------------
def test_the_table_lines_up_and_the_summary_counts():
    rows = [
        Row("provision", Outcome.PASS, "200"),
        Row("plan change", Outcome.FAIL, "PUT answered 500"),
        Row("async", Outcome.SKIP, "provisioned at once"),
        Row("SSO", Outcome.NOT_RUN, "no grant"),
    ]
    assert render_table(rows) == (
        "check        result   detail\n"
        "-----------  -------  ------\n"
        "provision    pass     200\n"
        "plan change  FAIL     PUT answered 500\n"
        "async        skip     provisioned at once\n"
        "SSO          not run  no grant"
    )
    assert summary(rows) == "1 passed, 1 failed, 1 not run, 1 skipped."
    assert [row.failed for row in rows] == [False, True, False, True]
