"""The character rules (portal/text.py, accounts.addresses) on the SSO form and the dashboard."""

import pytest
from django.urls import reverse

from addons.models import Ticket, TicketEvent, UsedSSOToken
from tests.builders import SSO_SALT, sso_form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "subject", ["Slow\nreally", "Slow\tqueries", "\x1b[31mSlow", "olS \u202ew"]
)
def test_the_dashboard_form_refuses_a_subject_that_is_not_one_line(sso_client, resource, subject):
    url = reverse("addons:dashboard-ticket-create", args=[resource.uuid])

    response = sso_client.post(url, {"subject": subject, "body": "It is slow."})

    assert response.status_code == 400
    assert response.context["form"].errors["subject"]
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


@pytest.mark.parametrize(
    "email",
    ["u\u200b@example.com", "u@exa\u00admple.com", "u@example.com\u202e", "u@exa\x01mple.com"],
)
def test_a_signed_look_alike_email_is_refused_before_a_token_is_spent(
    client, resource, grant, email
):
    response = client.post("/sso/login", sso_form(resource, email=email, salt=SSO_SALT))

    assert response.status_code == 403
    assert not UsedSSOToken.objects.exists()


@pytest.mark.parametrize("field", ["app", "context_app"])
def test_an_app_name_is_one_line(client, resource, grant, field):
    response = client.post("/sso/login", sso_form(resource) | {field: "my-app\x1b[2J"})

    assert response.status_code == 403
    assert not UsedSSOToken.objects.exists()
