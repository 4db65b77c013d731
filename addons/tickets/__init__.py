"""Support tickets: the services every path calls (dashboard, admin, intake API, portal pages),
who is told (`notifications`), the intake API, and the portal's ticket pages."""
