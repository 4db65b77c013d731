"""Every write to companies, their users and invitations. Views, the admin and commands call these.

The services that change company users and invitations take an `actor`, a `CompanyUserActor`
(the portal) or an `OperatorActor` (the admin), and apply the rights model of
`accounts.services.authority` to it.

Each service runs in one transaction, writes an `AuditEvent` and queues its emails in the outbox, so
a failed change leaves no row behind and sends no mail. Call them as `accounts.services.<name>`;
they live in one module per area: companies, members (company users) and invitations.
"""

from accounts.services.authority import Actor, CompanyUserActor, OperatorActor
from accounts.services.companies import (
    create_company,
    delete_company,
    find_provider,
    join_provider_program,
    rename_company,
)
from accounts.services.invitations import (
    INVITATION_TOKEN_SALT,
    accept_invitation,
    cancel_invitation,
    get_invitation_for_token,
    invitation_url,
    invite_company_user,
    make_invitation_token,
    resend_invitation,
)
from accounts.services.members import (
    add_company_user,
    revoke_company_user,
    set_company_user_permissions,
    set_ticket_notifications,
)
from accounts.services.people import mark_email_verified, record_unverified_email

__all__ = [
    "INVITATION_TOKEN_SALT",
    "Actor",
    "CompanyUserActor",
    "OperatorActor",
    "accept_invitation",
    "add_company_user",
    "cancel_invitation",
    "create_company",
    "delete_company",
    "find_provider",
    "get_invitation_for_token",
    "invitation_url",
    "invite_company_user",
    "join_provider_program",
    "make_invitation_token",
    "mark_email_verified",
    "record_unverified_email",
    "rename_company",
    "resend_invitation",
    "revoke_company_user",
    "set_company_user_permissions",
    "set_ticket_notifications",
]
