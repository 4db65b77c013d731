"""A company's name is one line of text (portal/text.py), on every path: service, portal, admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Company
from tests.accounts.test_admin import COMPANY_INLINES

pytestmark = pytest.mark.django_db

BAD_NAMES = ["Acme\nAdd-ons", "Acme\tAdd-ons", "\x1b[31mAcme", "snO-ddA \u202eemcA", "Acme\ud800"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_services_refuse_a_name_that_is_not_one_line(provider, company, name):
    with pytest.raises(ValidationError) as refusal:
        services.create_company(name=name, slug="beta", created_by=provider)
    assert list(refusal.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as refusal:
        services.rename_company(company=company, name=name, slug="acme", actor=None)
    assert list(refusal.value.message_dict) == ["name"]

    assert list(Company.objects.values_list("name", flat=True)) == ["Acme Add-ons"]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", BAD_NAMES[:4])
def test_the_company_form_refuses_it_on_the_name(client, provider, password, name):
    client.force_login(provider)

    response = client.post(reverse("accounts:company-create"), {"name": name, "slug": "beta"})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not Company.objects.exists()


@pytest.mark.parametrize("name", BAD_NAMES[:4])
def test_the_admin_refuses_it_on_the_name(operator_client, company, name):
    url = reverse("admin:accounts_company_change", args=[company.pk])

    response = operator_client.post(url, {"name": name, "slug": "acme", **COMPANY_INLINES})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert Company.objects.get().name == "Acme Add-ons"
