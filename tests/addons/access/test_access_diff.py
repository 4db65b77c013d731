"""AccessDiff: how a fetched access list differs from the stored one (no database needed)."""

from addons.access.compare import AccessDiff, StoredGrant
from addons.heroku.client import COLLABORATOR, TEAM_MEMBER, Person


def person(email, *, user_id="", sources=(COLLABORATOR,), role="collaborator") -> Person:
    return Person(email, user_id, sources, role)


def stored(pk, *, user_id="", sources=(COLLABORATOR,), role="collaborator") -> StoredGrant:
    return StoredGrant(pk, user_id, list(sources), role)


def test_a_list_that_matches_the_stored_one_changes_nothing():
    people = {"a@example.com": person("a@example.com", user_id="u1")}
    diff = AccessDiff.between({"a@example.com": stored(7, user_id="u1")}, people)
    assert diff.empty
    assert (diff.added, diff.removed, diff.changed, diff.signed) == ([], [], [], [])


def test_new_people_are_added_and_people_no_longer_listed_are_removed():
    people = {email: person(email) for email in ("kept@example.com", "new@example.com")}
    current = {"kept@example.com": stored(1), "gone@example.com": stored(2)}

    diff = AccessDiff.between(current, people)

    assert not diff.empty
    assert diff.added == [people["new@example.com"]]
    assert diff.removed == [("gone@example.com", 2)]
    assert diff.changed == []
    assert diff.signed == [("+", "new@example.com"), ("-", "gone@example.com")]


def test_a_kept_person_whose_user_id_sources_or_role_changed_is_updated_in_place():
    people = {
        "role@example.com": person("role@example.com", role="admin"),
        "both@example.com": person("both@example.com", sources=(COLLABORATOR, TEAM_MEMBER)),
        "id@example.com": person("id@example.com", user_id="u9"),
    }
    current = {
        "role@example.com": stored(1),
        "both@example.com": stored(2),
        "id@example.com": stored(3),
    }

    diff = AccessDiff.between(current, people)

    assert not diff.empty and diff.signed == []  # no one added or removed: no history
    rows = {(g.pk, g.heroku_user_id, tuple(g.sources), g.role) for g in diff.changed}
    assert rows == {
        (1, "", (COLLABORATOR,), "admin"),
        (2, "", (COLLABORATOR, TEAM_MEMBER), "collaborator"),
        (3, "u9", (COLLABORATOR,), "collaborator"),
    }


def test_an_empty_fetch_removes_everyone():
    diff = AccessDiff.between({"a@example.com": stored(1), "b@example.com": stored(2)}, {})
    assert diff.added == [] and sorted(diff.removed) == [("a@example.com", 1), ("b@example.com", 2)]
