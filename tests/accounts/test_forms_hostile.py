"""Hostile input to the Company tab forms and the invitation link, through the views.

A manager posts the add-company-user and invite forms with odd unicode, huge strings, NUL bytes,
undecodable bytes and junk permissions: every answer is a redirect (exactly one complete new row),
a 400, a 403 (their own address: nobody adds or invites themselves) or a 409 (no new row in any
affected table), never a 500.
"""

from urllib.parse import quote, urlencode

import hypothesis
import pytest
from django.core.cache import cache
from hypothesis import strategies as st

from accounts.models import AuditEvent, CompanyUser, Invitation, Notification
from accounts.permissions import Permission
from tests.hostile import HOSTILE_SETTINGS, hostile_text, nasty_text

pytestmark = pytest.mark.django_db

emails = (
    st.emails()
    | hostile_text
    | st.builds(lambda local, domain: f"{local}@{domain}.example", nasty_text, nasty_text)
    | st.sampled_from(
        [
            "colleague@example.com",
            " COLLEAGUE@example.com ",
            "colleague@example.com\x00",
            "manager@example.com",
            "a@b",
            "user@xn--80ak6aa92e.com",
            "user@пример.рф",
            "\u202eem.elpmaxe@resu",
            "a" * 250 + "@example.com",
            "x@" + "a" * 300 + ".com",
        ]
    )
)
permissions = st.lists(
    st.sampled_from([*(p.value for p in Permission), "", "0", "-1"]) | hostile_text,
    max_size=8,
)
TABLES = (CompanyUser, Invitation, AuditEvent, Notification)


def counts():
    return {model.__name__: model.objects.count() for model in TABLES}


def form_body(email: str, perms: list[str]) -> bytes:
    # Lone surrogates cannot be encoded as UTF-8: send them as the bytes a broken client would.
    return urlencode(
        {"email": email, "permissions": perms}, doseq=True, encoding="utf-8", errors="surrogatepass"
    ).encode("ascii")


def post_form(client, url, email, perms):
    return client.generic(
        "POST", url, data=form_body(email, perms), content_type="application/x-www-form-urlencoded"
    )


@HOSTILE_SETTINGS
@hypothesis.given(email=emails, perms=permissions)
def test_any_invitation_form_invites_once_or_is_refused(
    manager_client, colleague, company, email, perms
):
    before = counts()

    response = post_form(manager_client, f"/company/{company.slug}/invitations/new/", email, perms)

    after = counts()
    hypothesis.event(f"status {response.status_code}")
    if response.status_code == 302:
        invitation = Invitation.objects.latest("pk")
        assert after["Invitation"] == before["Invitation"] + 1
        assert after["AuditEvent"] == before["AuditEvent"] + 1
        assert after["CompanyUser"] == before["CompanyUser"]
        assert invitation.email == invitation.email.strip().lower() and "@" in invitation.email
        assert "\x00" not in invitation.email
    else:
        assert response.status_code in {400, 403, 409}, response.status_code
        assert after == before


@HOSTILE_SETTINGS
@hypothesis.given(email=emails, perms=permissions)
def test_any_company_user_form_adds_once_or_is_refused(
    manager_client, colleague, company, email, perms
):
    before = counts()

    response = post_form(manager_client, f"/company/{company.slug}/users/add/", email, perms)

    after = counts()
    hypothesis.event(f"status {response.status_code}")
    if response.status_code == 302:
        added = CompanyUser.objects.latest("pk")
        assert added.user.email == "colleague@example.com"
        assert after["CompanyUser"] == before["CompanyUser"] + 1
        assert after["AuditEvent"] == before["AuditEvent"] + 1
        assert after["Invitation"] == before["Invitation"]
        added.delete()  # so that the next example may add the colleague again
    else:
        assert response.status_code in {400, 403, 409}, response.status_code
        assert after == before


@HOSTILE_SETTINGS
@hypothesis.given(token=hostile_text, method=st.sampled_from(["GET", "POST"]))
def test_any_invitation_token_is_refused(
    manager_client, colleague, pending_invitation, token, method
):
    hypothesis.assume(token.strip("/."))
    cache.clear()  # the per-IP limiter of bad tokens is tested on its own
    before = counts()

    response = manager_client.generic(method, f"/invitations/{quote(token, safe='')}/")

    assert response.status_code in {404, 410}, response.status_code
    assert counts() == before
    assert Invitation.objects.get().accepted_at is None
