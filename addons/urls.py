from django.urls import path

from addons import views

app_name = "addons"

urlpatterns = [
    # Tickets
    path("tickets/", views.TicketListView.as_view(), name="ticket-list"),
    path("tickets/intake", views.TicketIntakeView.as_view(), name="ticket-intake"),
    path("tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket-detail"),
]
