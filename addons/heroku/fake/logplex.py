"""The fake's Logplex HTTP input: where an add-on writes lines into an app's log stream.

A provisioning request carries `log_input_url`; point it at `<fake>/log-input/<anything>` and
every line POSTed there (octet-counted syslog frames, `Content-Type: application/logplex-1`) is
kept in `FakeHeroku.log_lines`, readable through the control API (`/_fake/log-lines`).
"""

from __future__ import annotations

import re

# One syslog frame in RFC 6587 octet counting: "<length> <message>".
_FRAME_LENGTH = re.compile(rb"(\d{1,6}) ")


def parse_frames(body: bytes) -> list[str] | None:
    """Return the syslog messages of BODY, or None when it is not octet-counted frames."""
    messages, position = [], 0
    while position < len(body):
        match = _FRAME_LENGTH.match(body, position)
        if match is None:
            return None
        start = match.end()
        end = start + int(match[1])
        if end > len(body):
            return None
        messages.append(body[start:end].decode("utf-8", errors="replace"))
        position = end
    return messages or None


class LogplexRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    def _log_input(self, method: str, path: str, body: bytes):
        if method != "POST":
            return self._error(405, "method_not_allowed", "Use POST.")
        if self.headers.get("Content-Type") != "application/logplex-1":
            return self._error(415, "unsupported_media_type", "Use application/logplex-1.")
        messages = parse_frames(body)
        if messages is None:
            return self._error(400, "bad_request", "Expected octet-counted syslog frames.")
        count = self.headers.get("Logplex-Msg-Count")
        if count is not None and count != str(len(messages)):
            return self._error(400, "bad_request", "Logplex-Msg-Count does not match the body.")
        with self.fake.lock:
            self.fake.log_lines.extend({"path": path, "line": line} for line in messages)
        return self._send(204)
