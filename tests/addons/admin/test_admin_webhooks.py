"""The admin says which resources have no healthy webhook subscription (schedule only)."""

import pytest
from django.urls import reverse

from addons.models import WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(make_resource):
    """Three resources: one subscribed, one refused by Heroku, one never subscribed."""
    healthy = make_resource(app_name="hooked-app")
    refused = make_resource(app_name="refused-app")
    bare = make_resource(app_name="bare-app")
    WebhookSubscription.objects.create(resource=healthy, status="active", secret="s")
    WebhookSubscription.objects.create(
        resource=refused, status="refused", error="HTTP 403 forbidden: not a partner"
    )
    return healthy, refused, bare


def test_the_resource_list_shows_each_subscription_s_health(operator_client, fleet):
    html = operator_client.get(reverse("admin:addons_addonresource_changelist")).content.decode()
    assert "refused (schedule only)" in html
    assert "HTTP 403 forbidden: not a partner" in html  # the reason, as the badge's title
    assert "none (schedule only)" in html
    assert ">active<" in html
    assert 'name="s"' not in html and "secret" not in html.lower()


@pytest.mark.parametrize(("value", "expected"), [("healthy", {0}), ("unhealthy", {1, 2})])
def test_the_list_filters_by_subscription_health(operator_client, fleet, value, expected):
    url = reverse("admin:addons_addonresource_changelist") + f"?webhook={value}"
    response = operator_client.get(url)
    shown = {r.pk for r in response.context["cl"].result_list}
    assert shown == {fleet[i].pk for i in expected}
