"""Two deliveries of one provisioning request at the same moment make one resource."""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection
from django.test import Client

from addons.models import AddonResource, PartnerAPICall
from tests.addons.partner_api.partner_api import Heroku, provision_body


def deliver(addon, body, answers):
    """Deliver BODY to ADDON's Partner API as Heroku would, on this thread's own database
    connection; add (status, answer) to ANSWERS."""
    try:
        response = Heroku(Client(), addon).provision(body)
        answers.append((response.status_code, response.json()))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_deliveries_make_one_resource_and_get_one_answer(addon, fake_heroku, queued):
    resource_uuid, _ = fake_heroku.world.add_resource()
    code = fake_heroku.world.create_grant(resource_uuid, addon.oauth_client_secret)
    body = provision_body(uuid.UUID(resource_uuid), code=code)
    start = threading.Barrier(2)
    answers, errors = [], []

    def deliver_together():
        try:
            start.wait()
            deliver(addon, body, answers)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=deliver_together) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert AddonResource.objects.filter(uuid=resource_uuid).count() == 1
    resource = AddonResource.objects.get(uuid=resource_uuid)
    # Only the delivery that created the row spent the single-use grant.
    assert fake_heroku.paths().count("/oauth/token") == 1
    assert resource.access_token and resource.grant_error == ""
    assert sorted(PartnerAPICall.objects.values_list("outcome", flat=True)) == [
        "provisioned; tokens stored",
        "repeated delivery: answered as before",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_unique_uuid_decides_a_race_the_first_look_missed(addon, queued):
    """The loser of a race sees no row at first, then hits the unique constraint.

    The race is played at the database: right after the loser has looked for the resource (and
    found none), the winner's whole delivery runs on another connection; then the loser goes on,
    and its insert meets the winner's row.
    """
    body = provision_body(uuid.uuid4())
    table = AddonResource._meta.db_table
    looks, lost_inserts, winner_answers = [], [], []

    def winner_delivers_after_the_first_look(execute, sql, params, many, context):
        if len(looks) == 1 and not winner_answers:
            winner = threading.Thread(target=deliver, args=(addon, body, winner_answers))
            winner.start()
            winner.join(timeout=30)
        if sql.startswith("SELECT") and table in sql:
            looks.append(sql)
        try:
            return execute(sql, params, many, context)
        except IntegrityError:
            if sql.startswith("INSERT") and table in sql:
                lost_inserts.append(sql)
            raise

    with connection.execute_wrapper(winner_delivers_after_the_first_look):
        loser = Heroku(Client(), addon).provision(body)

    [(status, answer)] = winner_answers
    assert len(lost_inserts) == 1  # the loser's first look missed the row, its insert lost
    assert len(looks) == 2  # the first look, then the one after the IntegrityError
    assert status == loser.status_code == 200
    assert loser.json() == answer  # the loser answers as the winner did
    assert AddonResource.objects.filter(uuid=body["uuid"]).count() == 1
