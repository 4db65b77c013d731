"""No self-escalation, as a table: every set of rights a company user may hold (all 64) against
every action that grants rights, at the service level.

For each set HELD and each action, the rights asked for are HELD itself and HELD with each right
it lacks added (for one's own rights, also with each right it has taken away): the largest grant
the rule allows and the smallest ones it refuses, around every set. Editing someone who holds
every right asks for HELD only: it takes away exactly the rights the actor lacks. Each
combination is one test, named by it, e.g.
`test_the_rule[add-holds tickets+users-grants oauth+tickets+users]`.

The rule (README, "Company users and their rights"):
- adding, inviting, or editing another person's rights needs "manage company users" (`users`),
  and every right added must be one the actor holds; removing another's rights needs only `users`;
- one's own rights may be lowered, never raised, with or without `users`;
- an invitation is accepted only while its sender could still send it.

An allowed action writes what it should; a refused one raises `NotPermittedError` and writes
nothing: no row, no audit entry, no e-mail. The world (a company, a company user for each of the
64 sets, two others to edit) is built once for the module, in a transaction rolled back at its
end; each test runs in a savepoint rolled back after it.
"""

from datetime import timedelta
from itertools import combinations

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from accounts import services
from accounts.exceptions import NotPermittedError
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification
from accounts.permissions import ALL_PERMISSIONS, Permission
from accounts.services.authority import check_change_of_rights, rights_to_offer
from tests.builders import make_provider

USERS = Permission.MANAGE_COMPANY_USERS
SHORT = {
    Permission.MANAGE_MANIFESTS: "manifests",
    Permission.SUPPORT_TICKETS: "tickets",
    Permission.OAUTH_SECRETS: "oauth",
    Permission.MARKETING_BILLING: "billing",
    Permission.INSTALL_PLANS: "plans",
    Permission.MANAGE_COMPANY_USERS: "users",
}
EVERY_SET = [
    frozenset(subset) for size in range(7) for subset in combinations(sorted(Permission), size)
]
NONE = frozenset()
NEW_EMAIL = "new-person@example.com"


def name(rights) -> str:
    return "+".join(sorted(SHORT[p] for p in rights)) or "none"


def asked_around(action: str, held: frozenset) -> list[frozenset]:
    """The edge of what the rule allows, on both sides: HELD, and HELD with one right more.

    For one's own rights, also HELD with one right fewer (lowering is what one may do).
    """
    one_more = [held | {p} for p in Permission if p not in held]
    if action == "edit own":
        return [held, *one_more, *(held - {p} for p in held)]
    if action == "edit another's (from every right)":
        return [held]  # takes away every right HELD lacks: removing needs no right but `users`
    return [held, *one_more]


def allowed(action: str, held: frozenset, asked: frozenset) -> bool:
    """The rule, stated once more, independently of the code under test."""
    if action == "edit own":
        return asked <= held
    if action == "edit another's (from every right)":
        return USERS in held  # removing rights needs only the right to manage users
    return USERS in held and asked <= held  # add, invite, edit from none, accept


class World:
    def __init__(self, password: str):
        self.company = Company.objects.create(name="Acme Add-ons", slug="acme")
        # Another manager, so that the last-manager rule never decides a case here.
        CompanyUser.objects.create(
            company=self.company, user=make_provider("owner@example.com", password)
        )
        self.by_rights = {
            held: CompanyUser.objects.create(
                company=self.company,
                user=make_provider(f"holds-{name(held)}@example.com", password),
                permissions=held,
            )
            for held in EVERY_SET
        }
        self.bare = CompanyUser.objects.create(
            company=self.company,
            user=make_provider("bare@example.com", password),
            permissions=NONE,
        )
        self.full = CompanyUser.objects.create(
            company=self.company, user=make_provider("full@example.com", password)
        )
        self.colleague = make_provider("colleague@example.com", password)


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """The company and its users, built once for this module and rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield World(password="rights table password")
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world, db):
    """The module's world; `db` rolls back what each test writes."""
    return module_world


def written() -> tuple:
    """What a refused action must leave as it was, in one query: rows, audit, e-mails."""
    members = CompanyUser._meta.db_table
    measures = [
        *(f"COUNT(*) FROM {m._meta.db_table}" for m in (Invitation, AuditEvent, Notification)),
        f"COUNT(*) FROM {members}",
        # Rights fit in 6 bits: this sum changes with any membership added, removed or changed.
        f"SUM(id * 64 + permissions) FROM {members}",
        f"SUM(user_id) FROM {members}",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT {m})" for m in measures))
        return (*cursor.fetchone(), len(mail.outbox))


# The actions: each prepares what it needs, then returns (the call, a check of its writes). ------
def add(world, actor, asked):
    def call():
        services.add_company_user(
            company=world.company, email=world.colleague.email, permissions=asked, actor=actor
        )

    def check():
        added = CompanyUser.objects.get(company=world.company, user=world.colleague)
        assert added.permissions == asked
        assert AuditEvent.objects.filter(action=AuditEvent.Action.USER_ADDED).count() == 1
        assert Notification.objects.filter(email=world.colleague.email).count() == 1

    return call, check


def invite(world, actor, asked):
    def call():
        services.invite_company_user(
            company=world.company, email=NEW_EMAIL, permissions=asked, actor=actor
        )

    def check():
        invitation = Invitation.objects.get(email=NEW_EMAIL)
        assert (invitation.permissions, invitation.invited_by) == (asked, actor.user)
        assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_SENT).count() == 1
        assert Notification.objects.filter(email=NEW_EMAIL).count() == 1

    return call, check


def edit(target_of):
    def action(world, actor, asked):
        target = target_of(world, actor)

        def call():
            services.set_company_user_permissions(
                company_user=target, permissions=asked, actor=actor
            )

        def check():
            target.refresh_from_db()
            assert target.permissions == asked

        return call, check

    return action


def accept_sent_by(world, actor, asked):
    """The colleague accepts an invitation ACTOR sent with ASKED (when they still could)."""
    invitation = Invitation.objects.create(
        company=world.company,
        email=world.colleague.email,
        permissions=asked,
        invited_by=actor.user,
        key="table",
        expires_at=timezone.now() + timedelta(days=1),
    )
    token = services.make_invitation_token(invitation)

    def call():
        services.accept_invitation(token=token, user=world.colleague)

    def check():
        added = CompanyUser.objects.get(company=world.company, user=world.colleague)
        assert (added.permissions, added.added_by) == (asked, actor.user)
        invitation.refresh_from_db()
        assert invitation.accepted_by == world.colleague

    return call, check


ACTIONS = {
    "add": add,
    "invite": invite,
    "edit another's (from none)": edit(lambda world, actor: world.bare),
    "edit another's (from every right)": edit(lambda world, actor: world.full),
    "edit own": edit(lambda world, actor: actor.membership),
    "accept one they sent": accept_sent_by,
}

CASES = [
    pytest.param(action, held, asked, id=f"{action}-holds {name(held)}-grants {name(asked)}")
    for action in ACTIONS
    for held in EVERY_SET
    for asked in asked_around(action, held)
]


@pytest.mark.parametrize(("action", "held", "asked"), CASES)
def test_the_rule(world, action, held, asked):
    actor = services.CompanyUserActor(world.by_rights[held])
    call, check = ACTIONS[action](world, actor, asked)
    if allowed(action, held, asked):
        call()
        check()
        return
    before = written()
    with pytest.raises(NotPermittedError):
        call()
    assert written() == before


def test_the_table_covers_every_set_of_rights_and_both_answers():
    assert len(EVERY_SET) == 64 == len(set(EVERY_SET))
    assert ALL_PERMISSIONS in EVERY_SET and NONE in EVERY_SET
    for action in ACTIONS:
        answers = {allowed(a, h, r) for a, h, r in (c.values for c in CASES) if a == action}
        assert answers == {True, False}, action


@pytest.mark.parametrize("held", EVERY_SET, ids=name)
def test_the_forms_offer_exactly_what_the_rule_allows(held):
    """`rights_to_offer` (what a form lets one tick) against the rule, for every starting set."""
    for own, before in [(True, held), *((False, before) for before in EVERY_SET)]:
        if not own and USERS not in held:
            continue  # the page itself is refused
        offered = rights_to_offer(held=held, before=before, own=own)
        check_change_of_rights(held=held, before=before, after=offered, own=own)
        for extra in set(Permission) - offered:
            with pytest.raises(NotPermittedError):
                check_change_of_rights(held=held, before=before, after=offered | {extra}, own=own)
