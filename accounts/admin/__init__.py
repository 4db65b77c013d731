"""The operators' admin of the accounts app, one module per area.

Changes to companies, company users and invitations go through accounts.services, the same
functions the Company tab calls, so the same rules (last manager) and audit apply.
"""

from accounts.admin import companies, history, members, users  # noqa: F401  (registers them)
from accounts.admin.common import ReadOnlyAdminMixin

__all__ = ["ReadOnlyAdminMixin"]
