"""People's own accounts: the proof that an e-mail address is theirs.

Sign-up, verification, login and passwords are django-allauth's flows (accounts.adapters); these
services record a proof that does not come through them: the demo data, or an operator who vouches
for an address.
"""

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import User


def _primary_address(user: User, *, verified: bool) -> EmailAddress:
    EmailAddress.objects.filter(user=user).exclude(email=user.email).update(primary=False)
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": verified, "primary": True}
    )
    fields = {"primary": True, "verified": address.verified or verified}
    if any(getattr(address, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(address, name, value)
        address.save(update_fields=list(fields))
    return address


@transaction.atomic
def mark_email_verified(*, user: User) -> EmailAddress:
    """Record USER's current e-mail address as proven (someone trusted vouches for it)."""
    return _primary_address(user, verified=True)


@transaction.atomic
def record_unverified_email(*, user: User) -> EmailAddress:
    """Record USER's current e-mail address, not proven yet (a verification link will prove it)."""
    return _primary_address(user, verified=False)
