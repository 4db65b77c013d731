"""The add-ons app's URLs, one list per area, all in the `addons` namespace."""

from django.urls import path

from addons import views
from addons.access.webhooks import urls as webhook_urls
from addons.demo import urls as demo_urls
from addons.lifecycle import urls as lifecycle_urls
from addons.manifests import urls as manifest_urls
from addons.partner_api import urls as partner_api_urls
from addons.sso import urls as sso_urls
from addons.tickets import urls as ticket_urls

app_name = "addons"

addon = "addons/<slug:slug>/"

urlpatterns = [
    path("company/<slug:slug>/", views.CompanyHomeView.as_view(), name="company-home"),
    path("addons/", views.AddonListView.as_view(), name="list"),
    path(addon, views.AddonDetailView.as_view(), name="detail"),
    path(
        addon + "resources/<uuid:resource_uuid>/",
        views.ResourceDetailView.as_view(),
        name="resource-detail",
    ),
    path(
        addon + "resources/<uuid:resource_uuid>/sync/",
        views.ResourceSyncView.as_view(),
        name="resource-sync",
    ),
    *manifest_urls.urlpatterns,
    *ticket_urls.urlpatterns,
    *partner_api_urls.urlpatterns,
    *sso_urls.urlpatterns,
    *lifecycle_urls.urlpatterns,
    *webhook_urls.urlpatterns,
    *demo_urls.urlpatterns,
]
