"""The demo's people: an operator, Acme Add-ons and its company users, and an invitation."""

from __future__ import annotations

from accounts import services
from accounts.models import Company, CompanyUser, User
from accounts.permissions import ALL_PERMISSIONS, Permission

DEMO_PASSWORD = "portal-demo-password"
OPERATOR_EMAIL = "admin@acme.test"
COMPANY_USERS = {
    "owner@acme.test": ("Olive Owner", ALL_PERMISSIONS),
    "support@acme.test": ("Sam Support", {Permission.SUPPORT_TICKETS}),
    "dev@acme.test": ("Dana Developer", {Permission.MANAGE_MANIFESTS, Permission.OAUTH_SECRETS}),
}
OWNER_EMAIL = "owner@acme.test"
SUPPORT_EMAIL = "support@acme.test"
INVITEE_EMAIL = "invitee@example.com"
COMPANY_SLUG = "acme"


def _user(email: str, name: str) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, name=name)
    # The demo's addresses do not exist, so no link could prove them: the demo vouches for
    # them, so that every demo login works at once.
    services.mark_email_verified(user=user)
    return services.join_provider_program(user=user)


def load_operator() -> User:
    """Create the demo operator (staff and superuser) unless it exists; return it."""
    operator = User.objects.filter(email__iexact=OPERATOR_EMAIL).first()
    if operator is None:
        operator = User.objects.create_superuser(
            OPERATOR_EMAIL, DEMO_PASSWORD, name="Opal Operator"
        )
    services.mark_email_verified(user=operator)
    return operator


def load_company() -> tuple[Company, CompanyUser]:
    """Create Acme Add-ons, its users and a pending invitation unless they exist.

    Return the company and the owner's membership, who holds every right and adds the others as
    they would in the Company tab.
    """
    owner = _user(OWNER_EMAIL, COMPANY_USERS[OWNER_EMAIL][0])
    company = Company.objects.filter(slug=COMPANY_SLUG).first()
    if company is None:
        company = services.create_company(name="Acme Add-ons", slug=COMPANY_SLUG, created_by=owner)
    membership = CompanyUser.objects.get(company=company, user=owner)
    actor = services.CompanyUserActor(membership)
    for email, (name, permissions) in COMPANY_USERS.items():
        user = _user(email, name)
        if not CompanyUser.objects.for_company(company).filter(user=user).exists():
            services.add_company_user(
                company=company, email=email, permissions=permissions, actor=actor
            )
    if not company.invitations.filter(email__iexact=INVITEE_EMAIL).pending().exists():
        services.invite_company_user(
            company=company,
            email=INVITEE_EMAIL,
            permissions={Permission.SUPPORT_TICKETS},
            actor=actor,
        )
    return company, membership
