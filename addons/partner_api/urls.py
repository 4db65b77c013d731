"""URLs of the Add-on Partner API: the calls Heroku makes, with the manifest id and password."""

from django.urls import path

from addons.partner_api import views

urlpatterns = [
    path("heroku/resources", views.partner_resources, name="partner-resources"),
    path(
        "heroku/resources/<str:resource_uuid>",
        views.partner_resource,
        name="partner-resource",
    ),
]
