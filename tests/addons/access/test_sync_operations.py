"""What keeps sync running in production: the schedule, the system check, key rotation."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django_q.models import Schedule

from accounts.schedules import ensure_schedules
from addons.access.checks import check_sync_breaker, check_sync_interval
from addons.access.sync import sync_resource
from addons.models import AccessGrant, Addon, AddonResource
from addons.schedules import addon_schedules

pytestmark = pytest.mark.django_db


def test_migrate_installs_the_sync_schedule():
    schedule = Schedule.objects.get(name="sync_access")
    assert schedule.func == "addons.access.tasks.sync_access_task"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 5, -1)


def test_ensure_schedules_makes_the_sync_schedule_idempotent_and_follows_the_setting(settings):
    ensure_schedules(addon_schedules())
    ensure_schedules(addon_schedules())
    assert Schedule.objects.filter(name="sync_access").count() == 1
    settings.SYNC_INTERVAL = 120
    ensure_schedules(addon_schedules())
    assert Schedule.objects.get(name="sync_access").minutes == 2
    settings.SYNC_INTERVAL = 30  # django-q2 counts minutes: never less than one
    ensure_schedules(addon_schedules())
    assert Schedule.objects.get(name="sync_access").minutes == 1


@pytest.mark.parametrize(
    "interval,session_age,ids",
    [
        (300, 3600, []),
        (600, 3600, ["addons.W001"]),
        (200, 100, ["addons.W002"]),
        (900, 600, ["addons.W001", "addons.W002"]),
    ],
)
def test_sync_interval_check(settings, interval, session_age, ids):
    settings.SYNC_INTERVAL = interval
    settings.SSO_SESSION_AGE = session_age
    assert [warning.id for warning in check_sync_interval(None)] == ids


@pytest.mark.parametrize(
    "share,min_lists,hold,ids",
    [
        (0.5, 20, 1800, []),
        (1.0, 1, 0, []),
        (1.5, 20, 1800, ["addons.E001"]),
        (-0.1, 20, 1800, ["addons.E001"]),
        (0.5, 0, 1800, ["addons.E002"]),
        (0.5, 20, -1, ["addons.E003"]),
    ],
)
def test_sync_breaker_check(settings, share, min_lists, hold, ids):
    settings.SYNC_BREAKER_SHARE = share
    settings.SYNC_BREAKER_MIN_LISTS = min_lists
    settings.SYNC_BREAKER_HOLD = hold
    assert [error.id for error in check_sync_breaker(None)] == ids


def raw_column(model, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rotate_encryption_keys_then_sync_still_works(settings, fake_heroku, personal_resource):
    old_key, new_key = settings.FIELD_ENCRYPTION_KEY[0], Fernet.generate_key().decode()
    before = raw_column(AddonResource, "access_token", personal_resource.pk)

    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "addons.AddonResource: 1 rows re-encrypted" in out.getvalue()
    after = raw_column(AddonResource, "access_token", personal_resource.pk)
    assert after != before
    Fernet(new_key.encode()).decrypt(after.encode())  # now readable with the new key alone

    settings.FIELD_ENCRYPTION_KEY = [new_key]  # the old key is dropped
    resource = AddonResource.objects.get(pk=personal_resource.pk)
    assert Addon.objects.get().oauth_client_secret  # decrypts with the new key
    assert sync_resource(resource, trigger="cron").ok
    assert AccessGrant.objects.filter(resource=resource).count() == 3
