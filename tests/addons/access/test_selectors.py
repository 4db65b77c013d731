"""Access-list reads: who may use a resource, and which resources a person may use."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from addons.access.selectors import people_of, resource_with_uuid, resources_of
from addons.models import AccessGrant, AddonResource

pytestmark = pytest.mark.django_db


def grant(resource, email, *, sources=("collaborator",), role="collaborator") -> AccessGrant:
    return AccessGrant.objects.create(
        resource=resource, email=email, sources=list(sources), role=role
    )


@pytest.fixture
def listed_resource(resource):
    """`resource`, synced just now, with three people on its list."""
    for email in ("zoe@example.com", "amy@example.com", "max@example.com"):
        grant(resource, email)
    return resource


@pytest.fixture
def deprovisioned_resource(other_resource):
    """`other_resource`, de-provisioned, with amy@example.com still on its list (history)."""
    grant(other_resource, "amy@example.com")
    AddonResource.objects.filter(pk=other_resource.pk).update(
        state=AddonResource.State.DEPROVISIONED
    )
    return other_resource


def test_resource_with_uuid_finds_the_resource_or_none(resource):
    assert resource_with_uuid(str(resource.uuid)) == resource
    assert resource_with_uuid(str(uuid.uuid4())) is None
    assert resource_with_uuid("not-a-uuid") is None


def test_people_of_a_resource_by_email_with_its_freshness(listed_resource):
    data = people_of(resource_with_uuid(str(listed_resource.uuid)))

    assert data["resource"] == str(listed_resource.uuid)
    assert (data["addon"], data["app"], data["state"]) == (
        "acme-search",
        "happy-app",
        "provisioned",
    )
    assert data["fresh"] is True and data["last_synced_at"]
    emails = [person["email"] for person in data["people"]]
    assert emails == ["amy@example.com", "max@example.com", "zoe@example.com"]
    assert all(person["sources"] == ["collaborator"] for person in data["people"])


def test_a_list_older_than_access_list_max_age_is_not_fresh(listed_resource, settings):
    old = timezone.now() - timedelta(seconds=settings.ACCESS_LIST_MAX_AGE + 1)
    AddonResource.objects.filter(pk=listed_resource.pk).update(last_synced_at=old)
    assert people_of(AddonResource.objects.get(pk=listed_resource.pk))["fresh"] is False


def test_resources_of_an_email_are_matched_case_insensitively_without_deprovisioned_ones(
    listed_resource, deprovisioned_resource
):
    data = resources_of("  AMY@Example.COM ")

    assert data["email"] == "amy@example.com"
    assert [row["resource"] for row in data["resources"]] == [str(listed_resource.uuid)]
    assert data["resources"][0]["app"] == "happy-app"


def test_resources_of_an_email_on_no_list_is_empty(listed_resource):
    assert resources_of("nobody@example.com")["resources"] == []


def test_the_reads_take_one_query_however_long_the_list(listed_resource, other_resource):
    for i in range(30):
        grant(listed_resource, f"p{i}@example.com")
        grant(other_resource, f"p{i}@example.com")
    resource = AddonResource.objects.select_related("addon").get(pk=listed_resource.pk)

    with CaptureQueriesContext(connection) as queries:
        people_of(resource)
    assert len(queries) == 1

    with CaptureQueriesContext(connection) as queries:
        assert len(resources_of("p7@example.com")["resources"]) == 2
    assert len(queries) == 1
