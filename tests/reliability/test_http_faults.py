"""The fault matrix of `sync_access` against the fake Heroku: one fault at a time, on 10 of 200
resources, after a clean first sync and a change of the truth upstream for 30 of them.

Each case checks what DESIGN.md promises: a faulted resource keeps exactly the list it had, is
marked failed with an error that names no secret, and is reported in `--json` failures (exit 1);
every other resource reaches the new truth in the same run; and once the fault clears, the next
run brings every list to the truth (exit 0).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from addons.models import AccessChange, AddonResource, SyncRun
from tests.builders import sso_form
from tests.reliability.conftest import (
    WORLD_SIZE,
    Matrix,
    emails_of,
    pick,
    stored_lists,
    sync_json,
)

pytestmark = pytest.mark.django_db

FAULTED = 10
CHANGED_ALSO = 20  # unfaulted resources whose truth changes too: they must reach it


def addon_path(matrix: Matrix, uuid: str) -> str:
    return f"/addons/{uuid}"


def app_path(matrix: Matrix, uuid: str) -> str:
    return f"/apps/{matrix.app_id(uuid)}"  # also matches its /collaborators


def collaborators_path(matrix: Matrix, uuid: str) -> str:
    return f"/apps/{matrix.app_id(uuid)}/collaborators"


@dataclass(frozen=True)
class HTTPFault:
    """A fault of the fake injected on one endpoint of each faulted resource."""

    kind: str
    endpoint: Callable[[Matrix, str], str]
    fragment: str  # what the reported error must say
    delay: float | None = None
    # A call that failed, or an answer refused because it cannot be true (pages that do not add
    # up); either way the list stays as it was.
    status: str = AddonResource.SyncStatus.FAILED

    def inject(self, matrix: Matrix, uuids: list[str]) -> None:
        extra = {"delay": self.delay} if self.delay is not None else {}
        for uuid in uuids:
            matrix.fake.inject(self.kind, match=self.endpoint(matrix, uuid), **extra)

    def clear(self, matrix: Matrix, uuids: list[str]) -> None:
        matrix.fake.clear_faults()


@dataclass(frozen=True)
class RefusedRefresh:
    """The access token answers 401 and its refresh is refused too (the refresh token is gone)."""

    kind: str = "401+refresh"
    fragment: str = "OAuth token refresh: HTTP 401"
    status: str = AddonResource.SyncStatus.FAILED

    def inject(self, matrix: Matrix, uuids: list[str]) -> None:
        for uuid in uuids:
            resource = AddonResource.objects.get(uuid=uuid)
            matrix.world.expire_token(resource.access_token)
            matrix.world.refresh_tokens[resource.refresh_token]["client_secret"] = "revoked"

    def clear(self, matrix: Matrix, uuids: list[str]) -> None:
        for uuid in uuids:
            resource = AddonResource.objects.get(uuid=uuid)
            matrix.world.refresh_tokens[resource.refresh_token]["client_secret"] = (
                resource.addon.oauth_client_secret
            )


FAULTS = [
    HTTPFault("500", addon_path, "HTTP 500"),
    HTTPFault("502", collaborators_path, "HTTP 502"),
    HTTPFault("503", app_path, "HTTP 503"),
    HTTPFault("reset", collaborators_path, "ConnectionError"),
    HTTPFault("timeout", addon_path, "ReadTimeout", delay=1.0),
    HTTPFault("malformed", app_path, "not JSON"),
    HTTPFault(
        "partial-no-next-range",
        collaborators_path,
        "without Next-Range",
        status=AddonResource.SyncStatus.REFUSED,
    ),
    HTTPFault(
        "content-range-mismatch",
        collaborators_path,
        "has Content-Range",
        status=AddonResource.SyncStatus.REFUSED,
    ),
    HTTPFault("429", addon_path, "HTTP 429 rate_limit"),
    RefusedRefresh(),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.kind for fault in FAULTS])
def test_a_fault_leaves_faulted_lists_as_they_were_and_the_next_run_heals(
    shared_matrix, settings, fault
):
    matrix = shared_matrix
    faulted = pick(matrix.uuids, FAULTED, seed=zlib.crc32(fault.kind.encode()))
    changed = faulted + pick(matrix.uuids, CHANGED_ALSO, seed=1, exclude=faulted)
    matrix.change_truth(changed, tag="fault")
    before = stored_lists()
    fault.inject(matrix, faulted)
    if fault.kind == "timeout":
        settings.HEROKU_API_TIMEOUT = 0.3  # the fake answers after 1 s

    code, report = sync_json()

    assert code == 1
    assert report["failed"] == FAULTED and report["synced"] == WORLD_SIZE - FAULTED
    assert {failure["uuid"] for failure in report["failures"]} == set(faulted)
    assert len(report["failures"]) == FAULTED
    for failure in report["failures"]:
        assert fault.fragment in failure["error"], failure
    after = stored_lists()
    for uuid in matrix.uuids:
        if uuid in faulted:
            assert after[uuid] == before[uuid], f"{uuid}: a faulted list changed"
        else:
            assert emails_of(after[uuid]) == matrix.truth(uuid), f"{uuid}: not at the truth"
    run = SyncRun.objects.order_by("-started_at").first()
    assert run.failed == FAULTED and {f["uuid"] for f in run.failures} == set(faulted)
    assert not AccessChange.objects.filter(sync_run=run, resource__uuid__in=faulted).exists()
    for resource in AddonResource.objects.filter(uuid__in=faulted):
        assert resource.sync_status == fault.status
        assert fault.fragment in resource.sync_error
        assert resource.sync_claimed_by == ""  # released: the next run may take it
        for secret in matrix.secrets_of(str(resource.uuid)):
            assert secret not in resource.sync_error
    if fault.kind in ("500", "502", "503", "reset", "timeout", "429"):
        # Retried, then given up: three attempts at the faulted endpoint of each resource.
        calls = Counter(path for path in matrix.fake.paths())
        for uuid in faulted:
            assert calls[fault.endpoint(matrix, uuid)] == 3, uuid
        assert matrix.sleeps, "the client retried without backing off"

    fault.clear(matrix, faulted)
    settings.HEROKU_API_TIMEOUT = 10.0
    code, report = sync_json()

    assert (code, report["failed"], report["synced"]) == (0, 0, WORLD_SIZE), report
    for uuid, rows in stored_lists().items():
        assert emails_of(rows) == matrix.truth(uuid), uuid
    assert not AddonResource.objects.exclude(sync_status=AddonResource.SyncStatus.OK).exists()


def test_a_404_on_the_addon_deprovisions_it_keeps_its_history_and_sso_denies_it(
    shared_matrix, client
):
    matrix = shared_matrix
    gone = pick(matrix.uuids, FAULTED, seed=404)
    changed = gone + pick(matrix.uuids, CHANGED_ALSO, seed=2, exclude=gone)
    matrix.change_truth(changed, tag="gone")
    before = stored_lists()
    for uuid in gone:
        matrix.world.remove_addon(uuid)

    code, report = sync_json()

    assert code == 1
    assert {failure["uuid"] for failure in report["failures"]} == set(gone)
    assert all("de-provisioned" in failure["error"] for failure in report["failures"])
    after = stored_lists()
    for uuid in matrix.uuids:
        if uuid in gone:
            assert after[uuid] == before[uuid], f"{uuid}: history of a gone add-on changed"
        else:
            assert emails_of(after[uuid]) == matrix.truth(uuid), uuid
    for resource in AddonResource.objects.filter(uuid__in=gone):
        assert resource.state == AddonResource.State.DEPROVISIONED
        assert resource.deprovisioned_at is not None
        assert resource.sync_status == AddonResource.SyncStatus.FAILED
        assert "404" in resource.sync_error and resource.access_token not in resource.sync_error
        # SSO refuses it, even to a person on its stored list, with a correctly signed login.
        grant = resource.grants.first()
        form = sso_form(
            resource, user_id=grant.heroku_user_id, email=grant.email, salt=resource.addon.sso_salt
        )
        response = client.post("/sso/login", form)
        assert response.status_code == 403
        assert "no longer installed" in response.content.decode()

    code, report = sync_json()  # the gone resources are no longer chosen

    assert (code, report["failed"], report["resources"]) == (0, 0, WORLD_SIZE - FAULTED), report
    after = stored_lists()
    for uuid in matrix.uuids:
        if uuid in gone:
            assert after[uuid] == before[uuid]
        else:
            assert emails_of(after[uuid]) == matrix.truth(uuid), uuid
