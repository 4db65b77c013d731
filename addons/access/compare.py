"""Compare a fetched access list with the stored one: whether it can be true, and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from accounts.addresses import normalize_email
from addons.access.fetch import FetchResult
from addons.heroku.client import Person
from addons.models import AccessGrant, AddonResource


def refusal_reason(result: FetchResult) -> str:
    """Return why RESULT, a complete answer, cannot be the app's true access list; or "".

    Anything else Heroku answers completely is the truth, however many people it removes.
    """
    app = result.app
    if not result.people:
        return f"refused: Heroku listed nobody who may use the app {app.name}"
    if app.team_id and result.member_count == 0:
        return (
            f"refused: Heroku listed no members of the team {app.team_name or app.team_id}, "
            f"which owns the app {app.name}; a team has at least one"
        )
    if not app.team_id and not _owner_listed(result):
        owner = app.owner_email or app.owner_id or "(the answer names none)"
        return (
            f"refused: Heroku listed the collaborators of the personal app {app.name} "
            f"without its owner {owner}"
        )
    return ""


def _owner_listed(result: FetchResult) -> bool:
    """Return whether the owner of RESULT's app is among its people (by email or user id)."""
    owner_email = normalize_email(result.app.owner_email) if result.app.owner_email else ""
    owner_id = result.app.owner_id
    if owner_email and owner_email in result.people:
        return True
    return bool(owner_id) and any(
        person.heroku_user_id == owner_id for person in result.people.values()
    )


class StoredGrant(NamedTuple):
    """One row of a stored access list, as the diff compares it."""

    pk: int
    heroku_user_id: str
    sources: list[str]
    role: str

    def matches(self, person: Person) -> bool:
        """Return whether this row holds PERSON's user id, sources and role."""
        return (self.heroku_user_id, self.sources, self.role) == (
            person.heroku_user_id,
            list(person.sources),
            person.role,
        )


@dataclass(frozen=True)
class AccessDiff:
    """How a fetched access list differs from the stored one."""

    added: list[Person]  # people the stored list lacks
    removed: list[tuple[str, int]]  # (email, grant pk) of stored people no longer listed
    changed: list[AccessGrant]  # kept grants with a new user id, sources or role (unsaved)

    @classmethod
    def between(cls, stored: dict[str, StoredGrant], people: dict[str, Person]) -> AccessDiff:
        """Return the changes that turn the STORED list (by email) into PEOPLE (by email)."""
        return cls(
            added=[person for email, person in people.items() if email not in stored],
            removed=[(email, grant.pk) for email, grant in stored.items() if email not in people],
            changed=[
                AccessGrant(
                    pk=stored[email].pk,
                    heroku_user_id=person.heroku_user_id,
                    sources=list(person.sources),
                    role=person.role,
                )
                for email, person in people.items()
                if email in stored and not stored[email].matches(person)
            ],
        )

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def without_additions(self) -> AccessDiff:
        """Return this diff with its removals and changes only."""
        return AccessDiff(added=[], removed=self.removed, changed=self.changed)

    @property
    def signed(self) -> list[tuple[str, str]]:
        """Return the additions and removals as ("+" or "-", email) pairs."""
        return [("+", person.email) for person in self.added] + [
            ("-", email) for email, _ in self.removed
        ]


def stored_grants(resource: AddonResource) -> dict[str, StoredGrant]:
    """Return RESOURCE's stored access list by email."""
    rows = AccessGrant.objects.filter(resource_id=resource.pk).values_list(
        "pk", "email", "heroku_user_id", "sources", "role"
    )
    return {
        email: StoredGrant(pk, heroku_user_id, sources, role)
        for pk, email, heroku_user_id, sources, role in rows
    }
