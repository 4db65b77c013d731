"""No route out: a network namespace with only loopback, or, where none can be made, dead proxies.

With `unshare` and `nsenter` (as root), `Offline.start()` makes a network namespace whose only
interface is loopback (brought up here), held open by a `sleep`. Commands run in it through
`nsenter --net=…` (`command()`), the test's own probes in a thread that joins it (`call()`), and
the browser through a wrapper (`browser_executable()`), so that make, the portal, the fake
Heroku and Chromium all see 127.0.0.1 and nothing else.

Without them the fallback is weaker, and says so (`mode`): every proxy variable points at a
closed port, pip may not use an index, and Chromium gets a dead proxy. A program that ignores
proxies could still reach the network then; DNS is not blocked.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def _loopback_up() -> None:
    """Bring this thread's namespace's loopback interface up (a new namespace has it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


class Offline:
    def __init__(self):
        self.holder: subprocess.Popen | None = None
        self.mode = ""

    @property
    def namespace(self) -> str | None:
        return f"/proc/{self.holder.pid}/ns/net" if self.holder else None

    def start(self) -> Offline:
        if shutil.which("unshare") and shutil.which("nsenter"):
            holder = subprocess.Popen(
                ["unshare", "--net", "sleep", "900"],
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            if self._entered(holder):
                self.holder = holder
                self.call(_loopback_up)
                self.mode = "a network namespace with only loopback (unshare --net)"
                return self
            holder.kill()
            holder.wait()
        self.mode = f"proxies at a closed port ({DEAD_PROXY}) and PIP_NO_INDEX; DNS not blocked"
        return self

    @staticmethod
    def _entered(holder: subprocess.Popen, timeout: float = 5.0) -> bool:
        """Return whether HOLDER now lives in a network namespace of its own."""
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + timeout
        while holder.poll() is None and time.monotonic() < deadline:
            try:
                if os.readlink(f"/proc/{holder.pid}/ns/net") != ours:
                    return True
            except OSError:
                pass
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait()

    def environment(self, env: dict[str, str]) -> dict[str, str]:
        """Return ENV for a process that must not reach the network."""
        blocked = {"PIP_NO_INDEX": "1", "NO_PROXY": "127.0.0.1,localhost"}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            blocked[name] = blocked[name.lower()] = DEAD_PROXY
        blocked["no_proxy"] = blocked["NO_PROXY"]
        return {**env, **blocked}

    def command(self, args: list[str]) -> list[str]:
        """Return ARGS run inside the namespace (as they are, without one)."""
        if self.namespace is None:
            return args
        return ["nsenter", f"--net={self.namespace}", "--", *args]

    def call(self, function):
        """Return FUNCTION() called from a thread inside the namespace (its sockets are there)."""
        if self.namespace is None:
            return function()
        outcome: dict = {}

        def run():
            try:
                with open(self.namespace) as namespace:
                    os.setns(namespace.fileno(), os.CLONE_NEWNET)
                outcome["value"] = function()
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def browser_executable(self, chromium: Path, folder: Path) -> str:
        """Return a Chromium that runs inside the namespace (Playwright talks to it by pipe)."""
        if self.namespace is None:
            return str(chromium)
        wrapper = folder / "chromium-offline"
        wrapper.write_text(f'#!/bin/sh\nexec nsenter --net={self.namespace} -- {chromium} "$@"\n')
        wrapper.chmod(0o755)
        return str(wrapper)

    def browser_args(self) -> list[str]:
        if self.namespace is None:
            return [f"--proxy-server={DEAD_PROXY}", "--proxy-bypass-list=127.0.0.1"]
        return []
