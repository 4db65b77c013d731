"""Queueing the lifecycle's django-q2 tasks: now (after commit), or once at a given time."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django_q.tasks import async_task, schedule

REPORT_TASK = "addons.lifecycle.tasks.report_to_heroku_task"


ROTATE_TASK = "addons.lifecycle.tasks.rotate_credentials_task"


RETIRE_TASK = "addons.lifecycle.tasks.retire_credentials_task"


LOG_LINE_TASK = "addons.lifecycle.tasks.write_log_line_task"


FIRST_DELAY, MAX_DELAY = 30, 1800  # seconds


def retry_delay(attempt: int) -> timedelta:
    """Return the wait before retry ATTEMPT + 1: 30 s doubling each time, at most 30 minutes."""
    return timedelta(seconds=min(FIRST_DELAY * 2 ** min(attempt, 16), MAX_DELAY))


def enqueue_report(resource_id: int, attempt: int = 0) -> None:
    """Queue the task that tells Heroku what is outstanding for resource RESOURCE_ID."""
    async_task(REPORT_TASK, resource_id, attempt, task_name=f"report-{resource_id}-{attempt}")


def enqueue_rotation(rotation_id: int, attempt: int = 0) -> None:
    """Queue asking the provisioner for rotation ROTATION_ID's new credentials."""
    async_task(ROTATE_TASK, rotation_id, attempt, task_name=f"rotate-{rotation_id}-{attempt}")


def enqueue_log_line(resource_id: int, message: str) -> None:
    """Queue writing MESSAGE into the log stream of resource RESOURCE_ID's app."""
    async_task(LOG_LINE_TASK, resource_id, message, task_name=f"log-line-{resource_id}")


def schedule_once(func: str, *args, at: datetime, label: str) -> None:
    """Run FUNC(*ARGS) once at AT (django-q2 looks about every 30 seconds)."""
    # Schedule names are unique: a retry of one episode must not collide with another's.
    schedule(func, *args, next_run=at, name=f"{label} ({secrets.token_hex(3)})"[:100])
