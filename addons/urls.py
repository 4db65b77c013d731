from django.urls import path

from addons import sso_views, views

app_name = "addons"

urlpatterns = [
    # Tickets
    path("tickets/", views.TicketListView.as_view(), name="ticket-list"),
    path("tickets/intake", views.TicketIntakeView.as_view(), name="ticket-intake"),
    path("tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket-detail"),
]

# Add-on Partner API (issue 4): the calls Heroku makes, basic auth with the manifest id/password.
urlpatterns += [
    path("heroku/resources", views.partner_resources, name="partner-resources"),
    path(
        "heroku/resources/<str:resource_uuid>",
        views.partner_resource,
        name="partner-resource",
    ),
]

# The add-on's settings pages (issue 4).
addon = "addons/<slug:slug>/"
urlpatterns += [
    path("addons/", views.AddonListView.as_view(), name="list"),
    path(addon, views.AddonDetailView.as_view(), name="detail"),
    path(
        addon + "resources/<uuid:resource_uuid>/",
        views.ResourceDetailView.as_view(),
        name="resource-detail",
    ),
    path(addon + "manifest/", views.ManifestView.as_view(), name="manifest"),
    path(addon + "manifest/import/", views.ManifestImportView.as_view(), name="manifest-import"),
    path(addon + "manifest/export/", views.ManifestExportView.as_view(), name="manifest-export"),
    path(
        addon + "manifest/password/",
        views.PasswordRegenerateView.as_view(),
        name="password-regenerate",
    ),
    path(addon + "oauth-secret/", views.OAuthSecretView.as_view(), name="oauth-secret"),
    path(
        addon + "oauth-secret/reset/",
        views.OAuthSecretResetView.as_view(),
        name="oauth-secret-reset",
    ),
    path(addon + "marketing/", views.MarketingBillingView.as_view(), name="marketing"),
    path(addon + "plans/", views.PlanInstallView.as_view(), name="plans"),
]

# Add-on SSO and the resource dashboard (addons.sso, addons.sso_views).
urlpatterns += [
    path("sso/login", sso_views.sso_login, name="sso-login"),
    path("dashboard/<uuid:resource_uuid>/", sso_views.DashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/<uuid:resource_uuid>/tickets/new",
        sso_views.DashboardTicketCreateView.as_view(),
        name="dashboard-ticket-create",
    ),
]
