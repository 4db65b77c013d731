"""Signals through which other apps add to the accounts pages without accounts importing them."""

from django.dispatch import Signal

# Sent (sender=CompanyUser, company_user=…) when the revoke page is drawn; each receiver returns a
# sentence to show, or None. The add-ons app says which resources the person installed, and that
# they stay provisioned.
revocation_notices = Signal()
