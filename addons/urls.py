from django.urls import path

from addons import sso_views

app_name = "addons"

urlpatterns = []

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
