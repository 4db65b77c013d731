"""Hostile input to Add-on SSO (`POST /sso/login`): never a 500, never a stray write.

Unsigned garbage is refused (403) and spends no token. A form signed with the right salt but with
odd unicode, huge or malformed values in the signed fields either logs in the one person the
access list names or is refused; it spends at most its own token and writes nothing else.
"""

from urllib.parse import urlencode

import hypothesis
import pytest
from hypothesis import strategies as st

from addons.models import AccessGrant, AddonResource, UsedSSOToken
from tests.builders import HEROKU_EMAIL, HEROKU_USER_ID, SSO_SALT, sso_form
from tests.hostile import HOSTILE_SETTINGS, field_removals, hostile_text, nasty_text

pytestmark = pytest.mark.django_db

FIELDS = [
    "resource_id",
    "timestamp",
    "user_scoped_resource_token",
    "resource_token",
    "email",
    "user_id",
    "app",
    "context_app",
    "nav-data",
]
form_values = hostile_text | st.lists(nasty_text, max_size=3) | st.sampled_from(["", " ", "0"])


def counts():
    return (
        UsedSSOToken.objects.count(),
        AccessGrant.objects.count(),
        AddonResource.objects.count(),
    )


def post_form(client, form: dict) -> object:
    # Lone surrogates cannot be encoded as UTF-8: send them as the bytes a broken client would.
    body = urlencode(form, doseq=True, encoding="utf-8", errors="surrogatepass").encode("ascii")
    return client.generic(
        "POST", "/sso/login", data=body, content_type="application/x-www-form-urlencoded"
    )


@pytest.fixture
def offline_heroku(monkeypatch):
    """Heroku cannot be reached: a person missing from the list is refused without a re-fetch."""
    monkeypatch.setattr(
        "addons.sso.services.refetch_access_list", lambda resource, timeout: (False, "off")
    )


@HOSTILE_SETTINGS
@hypothesis.given(
    changes=st.dictionaries(st.sampled_from([*FIELDS, "x"]), form_values, max_size=4),
    removals=field_removals(FIELDS),
)
def test_any_unsigned_change_is_refused_and_spends_nothing(
    client, resource, grant, offline_heroku, changes, removals
):
    form = sso_form(resource) | changes
    for name in removals:
        form.pop(name, None)
    hypothesis.assume(form != sso_form(resource))
    before = counts()

    response = post_form(client, form)

    if response.status_code == 302:
        # Only changes outside the signed fields (app, context_app, nav-data, unknown) pass.
        assert not set(changes) & {"resource_id", "timestamp", "email", "user_id"}
        assert counts()[0] == before[0] + 1
        client.cookies.clear()
    else:
        assert response.status_code in {400, 403}, response.status_code
        assert counts() == before


@HOSTILE_SETTINGS
@hypothesis.given(
    email=hostile_text | st.emails() | st.sampled_from([HEROKU_EMAIL.upper(), f" {HEROKU_EMAIL}"]),
    user_id=hostile_text | st.just(HEROKU_USER_ID),
)
def test_signed_odd_identities_log_in_only_the_listed_person(
    client, resource, grant, offline_heroku, email, user_id
):
    form = sso_form(resource, email=email, user_id=user_id, salt=SSO_SALT)
    tokens, grants, resources = counts()

    response = post_form(client, form)

    assert response.status_code in {302, 403}, response.status_code
    if response.status_code == 302:
        # The grant is bound to a Heroku user id, so the id decides, whatever the email says.
        assert user_id == HEROKU_USER_ID
    assert counts()[1:] == (grants, resources)
    assert counts()[0] in {tokens, tokens + 1}
    client.cookies.clear()


@HOSTILE_SETTINGS
@hypothesis.given(
    raw=st.binary(max_size=300)
    | st.sampled_from(
        [b"resource_id=%00", b"email=%ED%A0%80", b"%FF%FE=%FF", b"a=" + b"x" * 70_000]
    ),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "multipart/form-data", ""]
    ),
)
def test_any_bytes_with_any_content_type_are_refused(client, resource, grant, raw, content_type):
    before = counts()

    response = client.generic("POST", "/sso/login", data=raw, content_type=content_type)

    assert response.status_code in {400, 403}, response.status_code
    assert counts() == before
