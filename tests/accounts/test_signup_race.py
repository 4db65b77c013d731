"""Many simultaneous sign-ups for one address create one account; the others get the form error
"already exists", never a server error.

Real threads, each with its own database connection, against a file database (SQLite) or
PostgreSQL (DATABASE_URL=postgres://…). Each sign-up first checks that the address is free; the
test holds every request at a barrier right after that check, so that all of them have passed it
before any of them writes: the race the database's unique constraint must settle.
"""

import html
import threading

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.forms import SignupForm
from accounts.models import User

SIGNUPS = 8
TAKEN = "An account with this email address already exists."
# One address, typed as people type it.
TYPINGS = ["race@example.com", "RACE@example.com", " Race@Example.com ", "race@EXAMPLE.COM"]


@pytest.fixture
def all_checked_before_any_write(monkeypatch):
    """Hold each sign-up after its check that the address is free, until all have checked."""
    barrier = threading.Barrier(SIGNUPS, timeout=30)
    check = SignupForm.validate_unique_email

    def checked_then_wait(self, value):
        value = check(self, value)
        barrier.wait()
        return value

    monkeypatch.setattr(SignupForm, "validate_unique_email", checked_then_wait)
    return barrier


@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_for_one_address_make_one_account(
    all_checked_before_any_write, mailoutbox
):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        "file:memorydb"
    ):
        pytest.skip("in-memory SQLite cannot be shared between threads")
    answers: list[tuple[int, str]] = []

    def sign_up(number: int):
        from django.db import connection as thread_connection

        client = Client(raise_request_exception=False)
        try:
            response = client.post(
                reverse("account_signup"),
                {
                    "email": TYPINGS[number % len(TYPINGS)],
                    "password1": "a long passphrase 1",
                    "password2": "a long passphrase 1",
                },
                REMOTE_ADDR=f"10.0.0.{number}",
            )
            answers.append((response.status_code, html.unescape(response.content.decode())))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(SIGNUPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in answers)
    assert statuses == [302] + [400] * (SIGNUPS - 1), statuses
    assert all(TAKEN in body for status, body in answers if status == 400)
    assert User.objects.get().email == "race@example.com"
    assert EmailAddress.objects.get().email == "race@example.com"
    assert [message.to for message in mailoutbox] == [["race@example.com"]]
