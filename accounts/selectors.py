"""Reads about people that more than one service needs: whose e-mail address is proven.

An address counts as a person's, and so as "a Heroku account associated with it", only once it
is proven: by the link the portal e-mails at sign-up (or at a later login), or by a Heroku login
whose account Heroku says is verified. Both leave a verified django-allauth `EmailAddress` row for
the person's current address.
"""

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet

from accounts.addresses import normalize_email
from accounts.models import User


def _verified_address():
    """A subquery: the user of the outer row has their current address verified."""
    return Exists(
        EmailAddress.objects.filter(
            user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True
        )
    )


def people_with_verified_email() -> QuerySet[User]:
    """Return the people whose current e-mail address is proven."""
    return User.objects.filter(_verified_address())


def has_verified_email(user: User) -> bool:
    """Return whether USER's current e-mail address is proven."""
    return people_with_verified_email().filter(pk=user.pk).exists()


def verified_provider(email: str) -> User | None:
    """Return the person whose proven address is EMAIL and who joined the Provider Program."""
    return (
        people_with_verified_email()
        .filter(email__iexact=normalize_email(email), joined_provider_program_at__isnull=False)
        .first()
    )
