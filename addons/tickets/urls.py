"""URLs of the portal's ticket pages and the ticket intake API (in the `addons` namespace)."""

from django.urls import path

from addons.tickets import views

urlpatterns = [
    path("tickets/", views.TicketListView.as_view(), name="ticket-list"),
    path("tickets/intake", views.TicketIntakeView.as_view(), name="ticket-intake"),
    path("tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket-detail"),
]
