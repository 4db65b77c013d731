"""Every form of the accounts app where a person types an e-mail address refuses look-alike
addresses (invisible, format or control characters) by name, writes nothing, and compares what it
accepts in the one normalised form (accounts.addresses)."""

import html
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification, User
from accounts.permissions import Permission

pytestmark = pytest.mark.django_db

LOOKALIKE = "colleague\u200b@example.com"  # a zero-width space after "colleague"
NAMED = "invisible or control characters (U+200B)"


def text(response) -> str:
    return html.unescape(response.content.decode())


@dataclass
class Form:
    """One form with an address field: who posts it, where, and with what besides the address."""

    url: Callable[[], str]
    field: str
    data: dict
    login: str  # the fixture name of who posts it: "anonymous", "manager" or "operator"


RIGHTS = [Permission.SUPPORT_TICKETS.value]
FORMS = {
    "sign-up": Form(
        lambda: reverse("account_signup"),
        "email",
        {"password1": "a long passphrase 1", "password2": "a long passphrase 1"},
        "anonymous",
    ),
    "password reset": Form(lambda: reverse("account_reset_password"), "email", {}, "anonymous"),
    "change of one's address": Form(
        lambda: reverse("account_email"), "email", {"action_add": ""}, "manager"
    ),
    "company tab: add": Form(
        lambda: reverse("accounts:company-user-add", args=["acme"]),
        "email",
        {"permissions": RIGHTS},
        "manager",
    ),
    "company tab: invite": Form(
        lambda: reverse("accounts:invitation-create", args=["acme"]),
        "email",
        {"permissions": RIGHTS},
        "manager",
    ),
    "admin: add a company user": Form(
        lambda: reverse("admin:accounts_company_add_user", args=[Company.objects.get().pk]),
        "email",
        {"permissions": RIGHTS},
        "operator",
    ),
    "admin: invite a company user": Form(
        lambda: reverse("admin:accounts_company_add_user", args=[Company.objects.get().pk]),
        "email",
        {"permissions": RIGHTS, "invite": ""},
        "operator",
    ),
    "admin: a company's first manager": Form(
        lambda: reverse("admin:accounts_company_add"),
        "first_manager",
        {"name": "Beta", "slug": "beta"},
        "operator",
    ),
    "admin: add a person": Form(
        lambda: reverse("admin:accounts_user_add"),
        "email",
        {"usable_password": "true", "password1": "a long pass 12", "password2": "a long pass 12"},
        "operator",
    ),
}


def state() -> dict:
    models = (User, EmailAddress, CompanyUser, Invitation, AuditEvent, Notification, Company)
    return {model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in models}


@pytest.fixture
def poster(client, request, company, manager, colleague):
    def log_in(who: str):
        if who != "anonymous":
            client.force_login(request.getfixturevalue(who) if who == "operator" else manager.user)
        return client

    return log_in


@pytest.mark.parametrize("name", FORMS)
def test_a_lookalike_address_is_refused_by_name_and_writes_nothing(poster, name, mailoutbox):
    form = FORMS[name]
    client = poster(form.login)
    before = state()

    response = client.post(form.url(), {form.field: LOOKALIKE, **form.data})

    assert response.status_code in (200, 400), (name, response.status_code)
    assert NAMED in text(response), name
    assert state() == before, name
    assert mailoutbox == [], name


@pytest.mark.parametrize(
    "name", ["company tab: add", "admin: add a company user", "admin: a company's first manager"]
)
def test_an_address_in_another_form_finds_the_same_person(poster, name, colleague):
    form = FORMS[name]
    client = poster(form.login)
    response = client.post(form.url(), {form.field: "  COLLEAGUE@Example.com ", **form.data})
    assert response.status_code == 302, text(response)
    assert CompanyUser.objects.filter(user=colleague).exists()


def test_the_login_form_compares_the_address_in_its_one_form(client, colleague, password):
    response = client.post(
        reverse("account_login"), {"login": " COLLEAGUE@example.COM ", "password": password}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)
