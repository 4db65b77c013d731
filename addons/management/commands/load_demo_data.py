from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import Company, CompanyUser, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import Addon, Plan

DEMO_PASSWORD = "portal-demo-password"
OPERATOR_EMAIL = "admin@acme.test"
COMPANY_USERS = {
    "owner@acme.test": ("Olive Owner", ALL_PERMISSIONS),
    "support@acme.test": ("Sam Support", {Permission.SUPPORT_TICKETS}),
    "dev@acme.test": ("Dana Developer", {Permission.MANAGE_MANIFESTS, Permission.OAUTH_SECRETS}),
}
INVITEE_EMAIL = "invitee@example.com"


class Command(BaseCommand):
    help = "Load the demo company, its users, an invitation and an add-on. Safe to run again."

    def _user(self, email: str, name: str, **extra) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, name=name, **extra)
        # The demo's addresses do not exist, so no link could prove them: the demo vouches for
        # them, so that every demo login works at once.
        services.mark_email_verified(user=user)
        return services.join_provider_program(user=user)

    @transaction.atomic
    def handle(self, *args, **options):
        operator = User.objects.filter(email__iexact=OPERATOR_EMAIL).first()
        if operator is None:
            operator = User.objects.create_superuser(
                OPERATOR_EMAIL, DEMO_PASSWORD, name="Opal Operator"
            )
        services.mark_email_verified(user=operator)

        owner_email = next(iter(COMPANY_USERS))
        owner = self._user(owner_email, COMPANY_USERS[owner_email][0])
        company = Company.objects.filter(slug="acme").first()
        if company is None:
            company = services.create_company(name="Acme Add-ons", slug="acme", created_by=owner)
        # The owner, who holds every right, adds the others as they would in the Company tab.
        actor = services.CompanyUserActor(CompanyUser.objects.get(company=company, user=owner))
        for email, (name, permissions) in COMPANY_USERS.items():
            user = self._user(email, name)
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

        addon, _ = Addon.objects.get_or_create(
            slug="acme-search", defaults={"company": company, "name": "Acme Search"}
        )
        Plan.objects.get_or_create(
            addon=addon,
            slug="basic",
            defaults={"name": "Basic", "price_cents": 0, "visibility": Plan.Visibility.PUBLIC},
        )
        Plan.objects.get_or_create(
            addon=addon,
            slug="test",
            defaults={"name": "Test", "price_cents": 0, "visibility": Plan.Visibility.HIDDEN},
        )

        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Logins (password: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {OPERATOR_EMAIL}  operator: /admin/")
        for email, (_, permissions) in COMPANY_USERS.items():
            rights = ", ".join(sorted(p.value for p in permissions))
            self.stdout.write(f"  {email}  company user of Acme Add-ons: {rights}")
        self.stdout.write(f"Pending invitation: {INVITEE_EMAIL}")
