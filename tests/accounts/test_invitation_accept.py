import html
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import CompanyUser, User
from tests.builders import make_provider

pytestmark = pytest.mark.django_db


def accept_url(token: str) -> str:
    return reverse("accounts:invitation-accept", args=[token])


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_get_shows_a_confirm_page_and_does_not_consume(client, invitee, invitation_token):
    client.force_login(invitee)
    for _ in range(2):  # a mail scanner following the link twice changes nothing
        response = client.get(accept_url(invitation_token))
        assert response.status_code == 200
        assert "Accept the invitation" in text(response)
    assert not CompanyUser.objects.filter(user=invitee).exists()


def test_accept_by_post(client, invitee, invitation_token, pending_invitation):
    client.force_login(invitee)
    response = client.post(accept_url(invitation_token))
    assert response.url == pending_invitation.company.get_absolute_url()
    assert CompanyUser.objects.filter(user=invitee, company=pending_invitation.company).exists()
    assert client.get(response.url).status_code == 200


def test_anonymous_is_offered_login_and_signup_that_come_back(client, invitation_token):
    page = text(client.get(accept_url(invitation_token)))
    next_param = quote(accept_url(invitation_token), safe="/")
    assert f"{reverse('account_login')}?next={next_param}" in page
    assert f"{reverse('account_signup')}?next={next_param}" in page
    response = client.post(accept_url(invitation_token))
    assert response.url.startswith(reverse("account_login"))


def test_the_full_path_from_signup_through_verification_and_joining(
    client, invitation_token, pending_invitation, mailoutbox
):
    url = accept_url(invitation_token)
    response = client.post(
        reverse("account_signup"),
        {
            "email": "invitee@example.com",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
            "next": url,
        },
    )
    assert response.url == reverse("account_email_verification_sent")
    (verification,) = mailoutbox
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/confirm-email/\S+/)", verification.body)
    assert client.post(link[1]).url == url  # the link logs the person in and brings them back
    page = text(client.get(url))
    assert "Join the Provider Program" in page
    assert client.post(reverse("accounts:join-provider-program"), {"next": url}).url == url
    assert client.post(url).status_code == 302
    user = User.objects.get(email="invitee@example.com")
    assert CompanyUser.objects.get(user=user).permissions == pending_invitation.permissions


def test_accepting_outside_the_program_is_a_403(client, invitation_token, password):
    user = make_provider("invitee@example.com", password, joined=False)
    client.force_login(user)
    response = client.post(accept_url(invitation_token))
    assert response.status_code == 403
    assert not CompanyUser.objects.filter(user=user).exists()


def test_another_person_cannot_use_the_link(client, colleague, invitation_token):
    client.force_login(colleague)
    assert "but you are logged in as colleague@example.com" in text(
        client.get(accept_url(invitation_token))
    )
    assert client.post(accept_url(invitation_token)).status_code == 403
    assert not CompanyUser.objects.filter(user=colleague).exists()


def test_reused_link_is_a_410(client, invitee, invitation_token):
    client.force_login(invitee)
    client.post(accept_url(invitation_token))
    for method in (client.get, client.post):
        response = method(accept_url(invitation_token))
        assert response.status_code == 410
        assert "already been accepted" in text(response)


def test_expired_link_is_a_410(client, invitee, invitation_token):
    client.force_login(invitee)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(accept_url(invitation_token))
    assert response.status_code == 410
    assert "expired" in text(response)
    assert not CompanyUser.objects.filter(user=invitee).exists()


def test_cancelled_link_is_a_410(client, manager, invitee, pending_invitation, invitation_token):
    services.cancel_invitation(
        invitation=pending_invitation, actor=services.CompanyUserActor(manager)
    )
    client.force_login(invitee)
    response = client.post(accept_url(invitation_token))
    assert response.status_code == 410
    assert "cancelled" in text(response)


def test_resent_invitation_voids_the_old_link(
    client, manager, invitee, pending_invitation, invitation_token
):
    services.resend_invitation(
        invitation=pending_invitation, actor=services.CompanyUserActor(manager)
    )
    client.force_login(invitee)
    assert client.post(accept_url(invitation_token)).status_code == 410
    pending_invitation.refresh_from_db()
    new_token = services.make_invitation_token(pending_invitation)
    assert client.post(accept_url(new_token)).status_code == 302


@pytest.mark.parametrize("token", ["garbage", "eyJpZCI6MX0:bad:signature", "a" * 300])
def test_a_forged_link_is_a_404(client, invitee, token):
    client.force_login(invitee)
    assert client.get(accept_url(token)).status_code == 404
    assert client.post(accept_url(token)).status_code == 404


def test_a_link_to_a_deleted_invitation_is_a_404(client, invitee, invitation_token):
    from accounts.models import Invitation

    Invitation.objects.all().delete()
    client.force_login(invitee)
    assert client.post(accept_url(invitation_token)).status_code == 404
