"""The resource page: who has access and why, the list's state and changes, and "Sync now"."""

import pytest
from django.urls import reverse

from accounts.models import CompanyUser
from accounts.permissions import Permission
from addons.models import AccessChange, AccessGrant, AddonResource
from tests.builders import make_provider

pytestmark = pytest.mark.django_db


def page(resource):
    return reverse("addons:resource-detail", args=[resource.addon.slug, resource.uuid])


def sync(resource):
    return reverse("addons:resource-sync", args=[resource.addon.slug, resource.uuid])


@pytest.fixture
def listed(resource):
    """Two people on `resource`'s access list, and one removed from it."""
    AccessGrant.objects.create(
        resource=resource,
        email="owner@customer.example",
        sources=[AccessGrant.Source.COLLABORATOR, AccessGrant.Source.TEAM_MEMBER],
        role="admin",
    )
    AccessGrant.objects.create(
        resource=resource, email="member@customer.example", sources=["team_member"], role="member"
    )
    AccessChange.objects.create(resource=resource, email="gone@customer.example", change="removed")
    return resource


def test_the_page_shows_who_has_access_why_and_the_changes(manager_client, listed):
    html = manager_client.get(page(listed)).content.decode()

    assert "Who has access" in html
    assert "owner@customer.example" in html and "Collaborator, Team member" in html
    assert "member@customer.example" in html and ">member<" in html
    assert "gone@customer.example removed" in html
    assert "Read from Heroku at" in html


@pytest.mark.parametrize("people", [1, 30])
def test_the_page_runs_a_fixed_number_of_queries(
    manager_client, resource, people, django_assert_max_num_queries
):
    AccessGrant.objects.bulk_create(
        AccessGrant(resource=resource, email=f"p{n}@customer.example", sources=["collaborator"])
        for n in range(people)
    )
    with django_assert_max_num_queries(14):
        assert manager_client.get(page(resource)).status_code == 200


def test_sync_now_queues_a_sync_and_says_so(manager_client, resource, queued):
    response = manager_client.post(sync(resource), follow=True)

    assert response.status_code == 200
    assert "A sync of this access list is queued" in response.content.decode()
    assert queued == [("addons.access.tasks.sync_chunk_task", [str(resource.uuid)], "portal")]


def test_sync_now_needs_the_support_tickets_right(client, company, manager, resource, password):
    developer = CompanyUser.objects.create(
        company=company,
        user=make_provider("dev@example.com", password),
        permissions={Permission.MANAGE_MANIFESTS},
    )
    client.force_login(developer.user)

    assert "Sync now" not in client.get(page(resource)).content.decode()
    assert client.post(sync(resource)).status_code == 403


def test_sync_now_refuses_a_resource_without_a_list(manager_client, resource, queued):
    AddonResource.objects.filter(pk=resource.pk).update(state=AddonResource.State.DEPROVISIONED)

    response = manager_client.post(sync(resource), follow=True)

    assert "Only a provisioned resource" in response.content.decode()
    assert queued == []
