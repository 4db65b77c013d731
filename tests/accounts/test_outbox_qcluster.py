"""End to end: a running `qcluster` sends a ticket email through SMTP on loopback.

The cluster runs in its own process against a temporary SQLite database (pytest-django's test
database is not visible to other processes), with the ORM broker and EMAIL_URL pointing at an
aiosmtpd server started by the test.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

DEADLINE = 90  # seconds for the cluster to start and deliver

CREATE_ESCALATED_TICKET = """
from django.utils import timezone
from accounts.models import Company, CompanyUser, User
from addons.models import Addon
from addons.tickets.services import TicketSource, open_ticket

company = Company.objects.create(name="Acme Add-ons", slug="acme")
now = timezone.now()
user = User.objects.create_user("watcher@example.com", "pw", joined_provider_program_at=now)
CompanyUser.objects.create(company=company, user=user)
addon = Addon.objects.create(company=company, slug="acme-db", name="Acme DB")
ticket = open_ticket(
    addon=addon, subject="Disk full", body="The disk is full.",
    requester_email="customer@example.org", source=TicketSource.INTAKE, escalate=True,
)
print(ticket.pk)
"""


@pytest.fixture
def cluster_env(tmp_path, smtp_server):
    """Environment for manage.py subprocesses: a temporary SQLite file, SMTP on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="true",
        SECRET_KEY="qcluster-test-secret",
        DATABASE_URL=f"sqlite:///{tmp_path / 'qcluster.sqlite3'}",
        EMAIL_URL=f"smtp://{smtp_server.hostname}:{smtp_server.port}",
        SITE_URL="http://portal.test",
        Q_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args, timeout=120):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_running_cluster_sends_the_ticket_email(cluster_env, smtp_server, tmp_path):
    manage(cluster_env, "migrate", "--no-input")
    log = open(tmp_path / "qcluster.log", "w")  # noqa: SIM115  (closed below)
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=cluster_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ticket_id = manage(cluster_env, "shell", "-c", CREATE_ESCALATED_TICKET).split()[-1]

        deadline = time.monotonic() + DEADLINE
        while not smtp_server.handler.messages:
            assert cluster.poll() is None, (tmp_path / "qcluster.log").read_text()
            remaining = deadline - time.monotonic()
            assert remaining > 0, (
                "no mail within the deadline:\n" + (tmp_path / "qcluster.log").read_text()
            )
            smtp_server.handler.received.wait(timeout=min(remaining, 1))
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
            pytest.fail("qcluster did not stop on SIGTERM")
        finally:
            log.close()

    # The cluster has stopped: whatever it sent, it sent exactly once.
    assert len(smtp_server.handler.messages) == 1
    recipients, message = smtp_server.handler.messages[0]
    assert recipients == ["watcher@example.com"]
    assert message["Subject"] == (
        f"[Acme DB] Ticket #{ticket_id} escalated to your support queue: Disk full"
    )
    assert f"http://portal.test/tickets/{ticket_id}/" in message.get_body(("plain",)).get_content()
    assert "The disk is full." in message.get_body(("html",)).get_content()
    status = manage(
        cluster_env,
        "shell",
        "-c",
        "from accounts.models import Notification; print(Notification.objects.get().status)",
    )
    assert status.split()[-1] == "sent"
