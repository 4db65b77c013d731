"""URLs of an add-on's settings pages: manifest, secrets, marketing and plans."""

from django.urls import path

from addons.manifests import views

addon = "addons/<slug:slug>/"

urlpatterns = [
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
