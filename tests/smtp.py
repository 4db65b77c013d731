"""A handler for a real SMTP server on loopback (aiosmtpd) that keeps the messages it receives."""

import email
import email.policy
import socket
import threading


class MessageCollector:
    """An aiosmtpd handler that keeps every message it is sent, parsed."""

    def __init__(self):
        self.messages = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        self.received.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
