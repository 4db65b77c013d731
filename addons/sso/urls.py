"""URLs of Add-on SSO and the resource dashboard."""

from django.urls import path

from addons.sso import views

urlpatterns = [
    path("sso/login", views.sso_login, name="sso-login"),
    path("dashboard/<uuid:resource_uuid>/", views.DashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/<uuid:resource_uuid>/rotate-credentials",
        views.DashboardRotateView.as_view(),
        name="dashboard-rotate",
    ),
    path(
        "dashboard/<uuid:resource_uuid>/tickets/new",
        views.DashboardTicketCreateView.as_view(),
        name="dashboard-ticket-create",
    ),
]
