"""E-mail addresses in one normalised form, so that every comparison and lookup agrees."""


def normalize_email(address: str) -> str:
    """Return ADDRESS as the portal stores and compares it: trimmed and lower-cased.

    Heroku treats addresses case-insensitively, and so does everything here: logins, company
    users, invitations, access lists, tickets and the outbox all go through this function.
    """
    return address.strip().lower()
