"""ClaimLease: a run's claim on its resources, renewed every third of the lease, then released."""

from datetime import timedelta

import pytest
from django.utils import timezone

from addons.access.claims import ClaimLease
from addons.models import AddonResource

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=120)


@pytest.fixture
def lease(clock):
    """A lease of 120 s on an injected clock."""
    return ClaimLease(length=LEASE, clock=clock)


@pytest.fixture
def claimed_resource(lease, resource):
    """`resource`, claimed by `lease` a while ago: its claim ends in 10 s."""
    lease.claim([resource.pk], free_before=timezone.now())
    ends_soon = timezone.now() + timedelta(seconds=10)
    AddonResource.objects.filter(pk=resource.pk).update(sync_claimed_until=ends_soon)
    return AddonResource.objects.get(pk=resource.pk)


@pytest.fixture
def resource_of_another_run(other_resource):
    """`other_resource`, held by another run whose claim ends in 10 s."""
    AddonResource.objects.filter(pk=other_resource.pk).update(
        sync_claimed_by="another-run", sync_claimed_until=timezone.now() + timedelta(seconds=10)
    )
    return AddonResource.objects.get(pk=other_resource.pk)


def claim_of(resource) -> tuple[str, object]:
    resource.refresh_from_db()
    return resource.sync_claimed_by, resource.sync_claimed_until


def test_two_leases_have_their_own_claim_ids():
    assert ClaimLease(length=LEASE).claim_id != ClaimLease(length=LEASE).claim_id


def test_a_claim_takes_only_resources_whose_lease_ended_before(lease, resource, other_resource):
    started = timezone.now()
    AddonResource.objects.filter(pk=other_resource.pk).update(
        sync_claimed_by="",
        sync_claimed_until=started + timedelta(seconds=1),  # released since
    )

    lease.claim([resource.pk, other_resource.pk], free_before=started)

    claimed_by, claimed_until = claim_of(resource)
    assert claimed_by == lease.claim_id
    assert timezone.now() + LEASE - timedelta(seconds=5) < claimed_until <= timezone.now() + LEASE
    assert claim_of(other_resource)[0] == ""


def test_the_lease_is_not_renewed_before_a_third_of_it_has_passed(lease, clock, claimed_resource):
    before = claim_of(claimed_resource)
    clock.now += LEASE.total_seconds() / 3 - 0.1
    assert lease.renew_if_due() is False
    assert claim_of(claimed_resource) == before


def test_the_lease_is_renewed_once_a_third_of_it_has_passed_and_then_not_again_at_once(
    lease, clock, claimed_resource, resource_of_another_run
):
    others = claim_of(resource_of_another_run)
    clock.now += LEASE.total_seconds() / 3

    assert lease.renew_if_due() is True

    claimed_by, claimed_until = claim_of(claimed_resource)
    assert claimed_by == lease.claim_id
    assert claimed_until > timezone.now() + LEASE - timedelta(seconds=5)
    assert claim_of(resource_of_another_run) == others  # another run's claim is its own
    assert lease.renew_if_due() is False  # the next renewal is due a third of a lease later
    clock.now += LEASE.total_seconds() / 3
    assert lease.renew_if_due() is True


def test_release_frees_this_runs_resources_only(lease, claimed_resource, resource_of_another_run):
    others = claim_of(resource_of_another_run)

    lease.release()

    claimed_by, claimed_until = claim_of(claimed_resource)
    assert claimed_by == "" and claimed_until <= timezone.now()
    assert claim_of(resource_of_another_run) == others


def test_renew_every_is_a_third_of_the_lease(lease):
    assert lease.renew_every == 40.0


def test_the_lease_lasts_sync_claim_lease_by_default(settings):
    settings.SYNC_CLAIM_LEASE = 90
    assert ClaimLease().length == timedelta(seconds=90)
