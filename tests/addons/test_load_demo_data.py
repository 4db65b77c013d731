import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from accounts import selectors
from accounts.models import CompanyUser, Invitation, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import Plan

pytestmark = pytest.mark.django_db

MODELS = [m for app in ("accounts", "addons") for m in apps.get_app_config(app).get_models()]


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in MODELS}


def test_loads_the_demo_and_is_idempotent(capsys):
    call_command("load_demo_data")
    first = row_counts()
    call_command("load_demo_data")
    assert row_counts() == first

    out = capsys.readouterr().out
    for login in ("admin@acme.test", "owner@acme.test", "support@acme.test", "dev@acme.test"):
        assert login in out
        # django-axes, the first backend, needs the request (it keys failures on the address).
        request = RequestFactory().post("/accounts/login/")
        credentials = {"username": login, "password": "portal-demo-password"}
        user = authenticate(request, **credentials)
        assert user is not None
        # Verified, so that the portal's login (which asks the unverified for a link) lets them in.
        assert selectors.has_verified_email(user)
    rights = {
        cu.user.email: cu.permissions
        for cu in CompanyUser.objects.filter(company__slug="acme").select_related("user")
    }
    assert rights == {
        "owner@acme.test": ALL_PERMISSIONS,
        "support@acme.test": {Permission.SUPPORT_TICKETS},
        "dev@acme.test": {Permission.MANAGE_MANIFESTS, Permission.OAUTH_SECRETS},
    }
    assert all(User.objects.get(email=e).has_joined_provider_program for e in rights)
    operator = User.objects.get(email="admin@acme.test")
    assert operator.is_staff and operator.is_superuser
    assert Invitation.objects.pending().get().email == "invitee@example.com"
    plans = {
        (p.slug, p.visibility, p.price_cents)
        for p in Plan.objects.filter(addon__slug="acme-search", addon__name="Acme Search")
    }
    assert plans == {("basic", "public", 0), ("test", "hidden", 0)}
