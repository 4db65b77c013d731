"""Hostile input to the Company tab's other forms and actions, through the views.

(Adding and inviting a company user, and invitation links: tests/accounts/test_forms_hostile.py.)
Every answer is a redirect after a complete write, or a 4xx with nothing written; never a 500.
"""

import hypothesis
import pytest
from django.urls import reverse
from hypothesis import strategies as st

from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification, User
from accounts.permissions import Permission
from tests.hostile import (
    FORM_SETTINGS,
    assert_text_rules,
    form_changes,
    form_values,
    post_form,
    rows,
)

pytestmark = pytest.mark.django_db

TABLES = (Company, CompanyUser, Invitation, AuditEvent, Notification, User)


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["name", "slug"]))
def test_any_company_form_creates_one_whole_company_or_is_refused(client, provider, changes):
    client.force_login(provider)
    before = rows(*TABLES)

    response = post_form(
        client, "/provider/companies/new/", {"name": "Beta", "slug": "beta"} | changes
    )

    if response.status_code == 302:
        company = Company.objects.latest("pk")
        assert CompanyUser.objects.get(company=company).user == provider
        assert AuditEvent.objects.filter(company=company).count() == 1
        assert_text_rules({"name": company.name, "slug": company.slug}, one_line=("name", "slug"))
        company.delete()  # so that the next example may create "beta" again
    else:
        assert response.status_code in {400, 403}, response.status_code
        assert rows(*TABLES) == before


@FORM_SETTINGS
@hypothesis.given(
    permissions=st.lists(st.sampled_from([p.value for p in Permission]) | form_values)
)
def test_any_permissions_form_sets_valid_rights_or_is_refused(
    manager_client, company, supporter, permissions
):
    url = f"/company/{company.slug}/users/{supporter.pk}/permissions/"
    before = rows(*TABLES)

    response = post_form(manager_client, url, {"permissions": permissions})

    supporter.refresh_from_db()
    if response.status_code == 302:
        assert supporter.permissions <= set(Permission)
    else:
        assert response.status_code in {400, 409}, response.status_code
        assert rows(*TABLES) == before


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["enabled"]))
def test_any_ticket_notifications_form_sets_a_boolean(manager_client, company, manager, changes):
    response = post_form(manager_client, f"/company/{company.slug}/ticket-notifications/", changes)

    assert response.status_code == 302, response.status_code
    manager.refresh_from_db()
    assert manager.notify_on_ticket_events in {True, False}


ACTIONS = [
    "/provider/join/",
    "/company/acme/users/{supporter}/revoke/",
    "/company/acme/invitations/{invitation}/resend/",
    "/company/acme/invitations/{invitation}/cancel/",
]


@FORM_SETTINGS
@hypothesis.given(action=st.sampled_from(ACTIONS), changes=form_changes(["next", "confirm"]))
def test_actions_without_fields_ignore_what_else_is_posted(
    manager_client, company, supporter, pending_invitation, action, changes
):
    url = action.format(supporter=supporter.pk, invitation=pending_invitation.pk)

    response = post_form(manager_client, url, changes)

    # Done (302), or already done by an earlier example: gone (404) or no longer possible (409).
    assert response.status_code in {302, 404, 409}, response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith("/")  # "next" never leads off the site


@pytest.mark.parametrize("next_url", ["0", "login", "signup", "a.b"])
def test_a_next_that_is_not_a_path_of_the_site_leads_home(client, provider, next_url):
    """Django's redirect() reads a string without "/" or "." as a view name: "0" was a 500."""
    client.force_login(provider)

    response = client.post(reverse("accounts:join-provider-program"), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == reverse("provider-home")
