from django.urls import path

from addons.demo import views

urlpatterns = [
    path("demo/", views.CustomerSignInView.as_view(), name="demo-customer-sign-in"),
]
