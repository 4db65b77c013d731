from django.urls import path

from addons import views

app_name = "addons"

urlpatterns = []

# Add-on Partner API (issue 4): the calls Heroku makes, basic auth with the manifest id/password.
urlpatterns += [
    path("heroku/resources", views.partner_resources, name="partner-resources"),
    path(
        "heroku/resources/<str:resource_uuid>",
        views.partner_resource,
        name="partner-resource",
    ),
]
