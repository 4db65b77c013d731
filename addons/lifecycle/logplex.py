"""Lines in the app's log stream, through the Logplex HTTP input of the resource's app.

Provisioning carries `log_input_url` when the manifest requires `log_input`. The portal POSTs one
octet-counted syslog frame to it (`Content-Type: application/logplex-1`) when provisioning
finishes and when credentials rotate; the line shows in `heroku logs` as
`<add-on id>[lifecycle]: <message>`. Writing a line is best effort: a failure is recorded as
the resource's lifecycle event and never fails what it reports on. The URL carries Logplex's
credentials, so it is stored encrypted and appears in no record or error (only its host).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import requests
from django.utils import timezone

from addons.heroku.session import USER_AGENT
from addons.lifecycle.events import Outcome, Step, record_event
from addons.models import AddonResource

LOG_LINE_TIMEOUT = 5.0


# local7.info, as Heroku's own examples use.
PRIORITY = 190


def syslog_frame(message: str, *, app_name: str, now: datetime, procid: str = "lifecycle") -> bytes:
    """Return MESSAGE as one RFC 5424 syslog message in RFC 6587 octet-counted framing."""
    line = " ".join(message.split())  # one line: no newline may split it
    stamp = now.isoformat(timespec="microseconds")
    payload = f"<{PRIORITY}>1 {stamp} host {app_name} {procid} - {line}".encode()
    return f"{len(payload)} ".encode() + payload


def write_log_line(*, resource_id: int, message: str, now: datetime | None = None) -> bool:
    """Write MESSAGE into the log stream of resource RESOURCE_ID's app; return True when it was."""
    resource = AddonResource.objects.select_related("addon").filter(pk=resource_id).first()
    if resource is None or not resource.log_input_url:
        return False
    url = resource.log_input_url
    host = urlsplit(url).hostname or "the log input"
    frame = syslog_frame(message, app_name=resource.addon.slug, now=now or timezone.now())
    try:
        response = requests.post(
            url,
            data=frame,
            headers={
                "Content-Type": "application/logplex-1",
                "Logplex-Msg-Count": "1",
                "User-Agent": USER_AGENT,
            },
            timeout=LOG_LINE_TIMEOUT,
        )
    except (requests.RequestException, ValueError) as exc:  # ValueError: a malformed URL
        record_event(resource, Step.LOG_LINE, Outcome.FAILED, f"{host}: {type(exc).__name__}")
        return False
    if not 200 <= response.status_code < 300:
        record_event(
            resource, Step.LOG_LINE, Outcome.FAILED, f"{host}: HTTP {response.status_code}"
        )
        return False
    record_event(resource, Step.LOG_LINE, Outcome.DONE, message)
    return True
