from django.contrib import admin
from django.urls import include, path

from accounts.urls import root_urlpatterns as account_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(account_urlpatterns)),
    path("", include("accounts.urls")),
    path("", include("addons.urls")),
]
