"""The resource dashboard: what it shows, who may see it, and when its SSO session ends."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from addons.models import AccessGrant, AddonResource, Ticket, TicketEvent
from addons.sso.sessions import SESSION_KEY
from tests.builders import HEROKU_EMAIL, sso_form

pytestmark = pytest.mark.django_db


def dashboard_url(resource):
    return reverse("addons:dashboard", args=[resource.uuid])


def ticket_url(resource):
    return reverse("addons:dashboard-ticket-create", args=[resource.uuid])


def assert_session_ended(client, response, text):
    assert response.status_code == 403
    assert text in response.content.decode()
    assert SESSION_KEY not in client.session


def test_url_names(resource):
    assert dashboard_url(resource) == f"/dashboard/{resource.uuid}/"
    assert ticket_url(resource) == f"/dashboard/{resource.uuid}/tickets/new"


def test_the_dashboard_shows_the_resource_and_who_can_access_it(sso_client, resource):
    AccessGrant.objects.create(
        resource=resource,
        email="lead@example.com",
        sources=[AccessGrant.Source.COLLABORATOR, AccessGrant.Source.TEAM_MEMBER],
        role="admin",
    )
    response = sso_client.get(dashboard_url(resource))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("happy-app", "Basic", "Provisioned", "ACME_SEARCH_URL"):
        assert text in page
    assert "https://search.acme.example/happy" in page
    assert "Who can access this add-on" in page
    assert HEROKU_EMAIL in page and "lead@example.com" in page
    assert "Collaborator, Team member" in page
    assert f'href="{ticket_url(resource)}"' in page
    assert "Open a support ticket" in page


def test_the_dashboard_shows_no_account_controls(sso_client, resource):
    page = sso_client.get(dashboard_url(resource)).content.decode().lower()
    for control in ("log out", "logout", "password", "sign up", "log in", 'href="/admin/'):
        assert control not in page


def test_the_dashboard_query_count_does_not_grow_with_the_list(
    sso_client, resource, django_assert_num_queries
):
    # session, resource (with add-on and plan), grant re-check, latest credential rotation,
    # the person's tickets, list count, list page
    with django_assert_num_queries(7):
        sso_client.get(dashboard_url(resource))
    AccessGrant.objects.bulk_create(
        AccessGrant(resource=resource, email=f"p{i}@example.com", sources=["team_member"])
        for i in range(30)
    )
    with django_assert_num_queries(7):
        response = sso_client.get(dashboard_url(resource))
    assert "p29@example.com" in response.content.decode()


def test_the_dashboard_lists_the_persons_own_tickets_on_this_resource_only(
    sso_client, resource, provisioned_resource
):
    def ticket(subject, *, on, email):
        return Ticket.objects.create(
            addon=resource.addon, resource=on, subject=subject, requester_email=email
        )

    ticket("Mine here", on=resource, email=HEROKU_EMAIL.upper())
    ticket("Someone else's here", on=resource, email="other@example.com")
    ticket("Mine elsewhere", on=provisioned_resource, email=HEROKU_EMAIL)

    page = sso_client.get(dashboard_url(resource)).content.decode()

    assert "Your support tickets" in page
    assert "Mine here" in page
    assert "Someone else's here" not in page and "Mine elsewhere" not in page


def test_a_long_access_list_is_shown_a_page_at_a_time(sso_client, resource):
    AccessGrant.objects.bulk_create(
        AccessGrant(resource=resource, email=f"p{i:03}@example.com", sources=["team_member"])
        for i in range(150)
    )
    first = sso_client.get(dashboard_url(resource)).content.decode()
    assert "p000@example.com" in first and "p120@example.com" not in first
    assert "151 people" in first and "Page 1 of 2" in first
    second = sso_client.get(dashboard_url(resource) + "?page=2").content.decode()
    assert "p120@example.com" in second and "p000@example.com" not in second


def test_a_portal_login_is_not_a_dashboard_session(client, resource, grant):
    user = User.objects.create_user(HEROKU_EMAIL, "pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.get(dashboard_url(resource))
    assert response.status_code == 403
    assert "Open the add-on from" in response.content.decode()


def test_no_session_at_all_is_refused(client, resource):
    assert client.get(dashboard_url(resource)).status_code == 403


@pytest.mark.urls("tests.addons.portal_probe_urls")
def test_an_sso_session_is_not_a_portal_or_admin_login(sso_client, resource):
    response = sso_client.get(dashboard_url(resource))
    assert not response.wsgi_request.user.is_authenticated
    admin = sso_client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    portal = sso_client.get("/probe/portal-page/")
    assert portal.status_code == 302 and portal["Location"].startswith(reverse("account_login"))


def test_an_sso_login_ends_a_portal_login_in_the_same_browser(client, resource, grant):
    user = User.objects.create_user("staff@example.com", "pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.post("/sso/login", sso_form(resource))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_session_for_one_resource_cannot_open_another(sso_client, resource, other_resource):
    AccessGrant.objects.create(resource=other_resource, email=HEROKU_EMAIL)
    assert sso_client.get(dashboard_url(other_resource)).status_code == 403
    assert sso_client.get(ticket_url(other_resource)).status_code == 403
    # The session for the first resource is untouched.
    assert sso_client.get(dashboard_url(resource)).status_code == 200


def test_the_session_expires_after_sso_session_age(sso_client, resource, time_machine, settings):
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.SSO_SESSION_AGE + 1))
    response = sso_client.get(dashboard_url(resource))
    assert response.status_code == 403
    assert SESSION_KEY not in sso_client.session


def test_the_session_age_is_checked_on_every_request(sso_client, resource, time_machine, settings):
    """Even while the session row itself lives on, started_at bounds the SSO session."""
    start = timezone.now()
    time_machine.move_to(start + timedelta(seconds=599), tick=False)
    settings.SSO_SESSION_AGE = 600
    assert sso_client.get(dashboard_url(resource)).status_code == 200
    time_machine.move_to(start + timedelta(seconds=601), tick=False)
    assert_session_ended(sso_client, sso_client.get(dashboard_url(resource)), "expired")


def test_removal_from_the_list_ends_the_session(sso_client, resource, grant):
    assert sso_client.get(dashboard_url(resource)).status_code == 200
    grant.delete()  # what the next sync does when Heroku no longer lists the person
    response = sso_client.get(dashboard_url(resource))
    assert_session_ended(sso_client, response, "no longer a collaborator or team member")
    grant.save()  # coming back on the list does not revive an ended session
    assert sso_client.get(dashboard_url(resource)).status_code == 403


@pytest.mark.parametrize(
    "state", [AddonResource.State.DEPROVISIONED, AddonResource.State.PROVISIONING]
)
def test_deprovisioning_ends_the_session(sso_client, resource, state):
    AddonResource.objects.filter(pk=resource.pk).update(state=state)
    response = sso_client.get(dashboard_url(resource))
    assert_session_ended(sso_client, response, "no longer installed")


def test_a_deleted_resource_ends_the_session(sso_client, resource):
    resource.grants.all().delete()
    resource.delete()
    assert_session_ended(sso_client, sso_client.get(dashboard_url(resource)), "no longer installed")


# Support tickets from the dashboard ------------------------------------------------------------


def test_the_ticket_form_renders(sso_client, resource):
    response = sso_client.get(ticket_url(resource))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="subject"' in page and 'name="body"' in page


def test_the_ticket_form_needs_an_sso_session(client, resource):
    assert client.get(ticket_url(resource)).status_code == 403
    assert client.post(ticket_url(resource), {"subject": "s", "body": "b"}).status_code == 403
    assert not Ticket.objects.exists()


def test_a_ticket_is_opened_as_the_sso_user_and_reaches_the_support_queue(
    sso_client, resource, manager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sso_client.post(ticket_url(resource), {"subject": "Slow", "body": "It is slow."})
    assert response.status_code == 302 and response["Location"] == dashboard_url(resource)
    ticket = Ticket.objects.get()
    assert (ticket.addon, ticket.resource) == (resource.addon, resource)
    assert (ticket.subject, ticket.requester_email) == ("Slow", HEROKU_EMAIL)
    assert ticket.escalated_at is not None
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED, body="It is slow.").exists()
    # The company user who handles tickets hears of it; the requester gets no copy of their own.
    assert [m.to for m in mailoutbox] == [[manager.user.email]]
    assert f"#{ticket.pk}" in mailoutbox[0].subject
    assert f"Ticket #{ticket.pk} opened" in sso_client.get(dashboard_url(resource)).content.decode()


def test_an_incomplete_ticket_is_not_opened(sso_client, resource):
    response = sso_client.post(ticket_url(resource), {"subject": "", "body": ""})
    assert response.status_code == 400
    assert not Ticket.objects.exists()
