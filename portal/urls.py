from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from accounts.urls import root_urlpatterns as account_urlpatterns

# The admin is the operators' side of the portal: it says so, not "Django administration".
admin.site.site_header = "Partner Portal administration"
admin.site.site_title = "Partner Portal admin"
admin.site.index_title = "Operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path(
        "favicon.ico", lambda request: HttpResponsePermanentRedirect(static("portal/favicon.svg"))
    ),
    path("", include(account_urlpatterns)),
    path("", include("accounts.urls")),
    path("", include("addons.urls")),
]
