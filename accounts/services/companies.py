"""Companies: the Provider Program, and creating, renaming and deleting a company."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from accounts import selectors
from accounts.exceptions import (
    CompanyInUseError,
    NoProviderAccountError,
    NotInProviderProgramError,
    UnverifiedEmailError,
)
from accounts.models import AuditEvent, Company, CompanyUser, User
from accounts.permissions import ALL_PERMISSIONS
from accounts.services.audit import audit
from portal.text import validate_one_line

logger = logging.getLogger(__name__)


def find_provider(email: str) -> User:
    """Return the person whose proven address is EMAIL and who joined the Provider Program.

    Raise NoProviderAccountError otherwise: an address nobody has proven is no "Heroku account
    associated with it", whoever signed up with it.
    """
    user = selectors.verified_provider(email)
    if user is None:
        raise NoProviderAccountError(email.strip())
    return user


def join_provider_program(*, user: User) -> User:
    """Record that USER joined the provider program (once; joining again changes nothing).

    Raise UnverifiedEmailError while USER's address is not proven.
    """
    if not selectors.has_verified_email(user):
        raise UnverifiedEmailError(user.email)
    if user.joined_provider_program_at is None:
        user.joined_provider_program_at = timezone.now()
        user.save(update_fields=["joined_provider_program_at"])
    return user


def _save_company(company: Company, **kwargs) -> None:
    """Save COMPANY, validated; a slug taken a moment ago by someone else is a ValidationError."""
    try:
        validate_one_line(company.name)  # shown in page titles, lists and e-mail subjects
    except ValidationError as refusal:
        raise ValidationError({"name": refusal.error_list}) from None
    company.full_clean()
    try:
        with transaction.atomic():
            company.save(**kwargs)
    except IntegrityError:
        raise ValidationError({"slug": "That slug is taken; choose another."}) from None


@transaction.atomic
def create_company(
    *, name: str, slug: str, created_by: User, first_manager: User | None = None
) -> Company:
    """Create a company whose first user, FIRST_MANAGER or else CREATED_BY, holds every right.

    An operator creating a company in the admin names its FIRST_MANAGER, a person who has joined the
    Provider Program; a provider creating their own company is its first manager.
    """
    first_manager = first_manager or created_by
    if not first_manager.has_joined_provider_program:
        if first_manager == created_by:
            raise NotInProviderProgramError("Join the Provider Program before creating a company.")
        raise NoProviderAccountError(first_manager.email)
    if not selectors.has_verified_email(first_manager):
        if first_manager == created_by:
            raise UnverifiedEmailError(first_manager.email)
        raise NoProviderAccountError(first_manager.email)
    company = Company(name=name.strip(), slug=slug)
    _save_company(company)
    CompanyUser.objects.create(
        company=company, user=first_manager, permissions=ALL_PERMISSIONS, added_by=created_by
    )
    audit(
        company=company,
        actor=created_by,
        action=AuditEvent.Action.COMPANY_CREATED,
        target=first_manager.email,
        name=company.name,
        slug=company.slug,
    )
    return company


@transaction.atomic
def rename_company(*, company: Company, name: str, slug: str, actor: User | None) -> Company:
    """Give COMPANY a new NAME and SLUG (the slug is in the Company tab's links)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = {"name": company.name, "slug": company.slug}
    after = {"name": name.strip(), "slug": slug}
    if after == before:
        return company
    company.name, company.slug = after["name"], after["slug"]
    _save_company(company, update_fields=["name", "slug"])
    audit(
        company=company,
        actor=actor,
        action=AuditEvent.Action.COMPANY_RENAMED,
        target=company.name,
        before=before,
        after=after,
    )
    return company


@transaction.atomic
def delete_company(*, company: Company, actor: User | None) -> None:
    """Delete COMPANY with its company users, invitations and audit trail.

    Raise CompanyInUseError, deleting nothing, while rows of another app protect the company (such
    as an add-on's resources, which are kept as history).

    The company's `AuditEvent` rows are deleted with it (CASCADE), so the record of its deletion
    cannot be one of them. It is kept where it outlives the company: an INFO line on this module's
    logger once the deletion commits (which company, who deleted it, what went with it), and, in
    the admin, where operators delete companies, the `LogEntry` the admin writes before calling
    this (its "Recent actions" and history).
    """
    company = Company.objects.select_for_update().get(pk=company.pk)
    went_with_it = {
        "company users": company.members.count(),
        "invitations": company.invitations.count(),
        "audit events": company.audit_events.count(),
    }
    record = "Company {!r} (slug {}, id {}) deleted by {}, with {}".format(
        company.name,
        company.slug,
        company.pk,
        actor.email if actor else "the system",
        ", ".join(f"{count} {name}" for name, count in went_with_it.items()),
    )
    try:
        with transaction.atomic():
            company.delete()
    except ProtectedError as exc:
        raise CompanyInUseError(company, exc.protected_objects) from None
    except RestrictedError as exc:
        raise CompanyInUseError(company, exc.restricted_objects) from None
    transaction.on_commit(lambda: logger.info(record))
