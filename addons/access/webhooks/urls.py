"""The add-on webhook receiver's URL (in the `addons` namespace)."""

from django.urls import path

from addons.access.webhooks import views

urlpatterns = [
    path(
        "heroku/webhooks/<uuid:public_id>",
        views.receive_webhook,
        name="heroku-webhook",
    ),
]
