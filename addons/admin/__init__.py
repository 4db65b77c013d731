"""The add-ons app's admin, one module per area. Every write goes through that area's services."""

from addons.admin import access, addons, lifecycle, partner_api, tickets  # noqa: F401
