"""The lifecycle's services, for the rest of the portal and for a partner's own provisioner class:
every write of the add-on lifecycle goes through one of these."""

from addons.lifecycle.config import allowed_config_vars, check_config, update_config
from addons.lifecycle.deadline import alert_operators, expire_overdue_provisioning
from addons.lifecycle.provisioning import (
    StepResult,
    change_plan,
    complete_deprovisioning,
    complete_provisioning,
    result_of,
    start_deprovisioning,
    start_provisioning,
)
from addons.lifecycle.queue import enqueue_report
from addons.lifecycle.reporting import report_to_heroku
from addons.lifecycle.rotation import (
    complete_rotation,
    request_rotation,
    retire_due_credentials,
    rotate_due_credentials,
)
from addons.lifecycle.service_settings import (
    generate_service_secret,
    service_of,
    set_service_url,
)

__all__ = [
    "StepResult",
    "alert_operators",
    "allowed_config_vars",
    "change_plan",
    "check_config",
    "complete_deprovisioning",
    "complete_provisioning",
    "complete_rotation",
    "enqueue_report",
    "expire_overdue_provisioning",
    "generate_service_secret",
    "report_to_heroku",
    "result_of",
    "request_rotation",
    "retire_due_credentials",
    "rotate_due_credentials",
    "service_of",
    "set_service_url",
    "start_deprovisioning",
    "start_provisioning",
    "update_config",
]
