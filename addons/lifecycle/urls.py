"""URLs of the lifecycle: the add-on service's API, and the pages of company users."""

from django.urls import path

from addons.lifecycle import api, views

addon = "addons/<slug:slug>/"

urlpatterns = [
    *[
        path(
            f"lifecycle/resources/<str:resource_uuid>/{report}",
            api.service_report,
            {"report": report},
            name=f"lifecycle-{report}",
        )
        for report in api.HANDLERS
    ],
    path(addon + "service/", views.ServiceSettingsView.as_view(), name="service"),
    path(addon + "service/secret/", views.ServiceSecretView.as_view(), name="service-secret"),
    path(
        addon + "resources/<uuid:resource_uuid>/rotate-credentials/",
        views.ResourceRotateView.as_view(),
        name="resource-rotate",
    ),
]
