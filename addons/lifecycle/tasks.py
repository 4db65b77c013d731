"""django-q2 tasks of the add-on lifecycle: each takes ids and calls a service."""

from __future__ import annotations

import logging

from django.utils import timezone

from addons.lifecycle import deadline, logplex, reporting, rotation
from addons.lifecycle.queue import enqueue_report

logger = logging.getLogger(__name__)


def report_to_heroku_task(resource_id: int, attempt: int = 0) -> str:
    """Tell Heroku what resource RESOURCE_ID has outstanding (config, provision, deprovision)."""
    return reporting.report_to_heroku(resource_id=resource_id, attempt=attempt)


def rotate_credentials_task(rotation_id: int, attempt: int = 0) -> str:
    """Ask the provisioner for the new credentials of rotation ROTATION_ID."""
    return rotation.issue_credentials(rotation_id=rotation_id, attempt=attempt)


def retire_credentials_task(rotation_id: int) -> str:
    """Retire the credentials that rotation ROTATION_ID replaced, once its window is over."""
    return rotation.retire_credentials(rotation_id=rotation_id)


def write_log_line_task(resource_id: int, message: str) -> bool:
    """Write MESSAGE into the app's log stream of resource RESOURCE_ID."""
    return logplex.write_log_line(resource_id=resource_id, message=message)


def lifecycle_sweep_task() -> dict:
    """Run the lifecycle's periodic duties now (the "lifecycle_sweep" schedule)."""
    return run_sweep()


def rotate_due_credentials_task() -> int:
    """Rotate credentials older than CREDENTIAL_ROTATION_DAYS (schedule "rotate_credentials")."""
    return rotation.rotate_due_credentials()


def run_sweep(*, now=None) -> dict:
    """Fail overdue provisionings, retire due credentials and resume stalled reports, as of NOW."""
    now = now or timezone.now()
    failed = deadline.expire_overdue_provisioning(now=now)
    retired = rotation.retire_due_credentials(now=now)
    stalled = reporting.stalled(now=now)
    for resource_id in stalled:
        enqueue_report(resource_id)
    return {
        "failed": [str(resource.uuid) for resource in failed],
        "retired": retired,
        "resumed": len(stalled),
    }
