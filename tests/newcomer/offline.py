"""No route out: a network namespace with only loopback, or, where none can be made, dead proxies.

With `unshare` and `nsenter` (root, or user namespaces), `Offline.start()` makes a network
namespace whose only interface is loopback, held open by a `sleep`. Commands run in it through
`nsenter --net=…` (`command()`), the test's own probes in a thread that joins it (`call()`), and
the browser through a wrapper (`browser_executable()`), so that make, the portal, the fake
Heroku and Chromium all see 127.0.0.1 and nothing else.

Without them the fallback is weaker, and says so (`mode`): every proxy variable points at a
closed port, pip may not use an index, and Chromium gets a dead proxy. A program that ignores
proxies could still reach the network then; DNS is not blocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there


class Offline:
    def __init__(self):
        self.holder: subprocess.Popen | None = None
        self.mode = ""

    @property
    def namespace(self) -> str | None:
        return f"/proc/{self.holder.pid}/ns/net" if self.holder else None

    def start(self) -> Offline:
        if all(shutil.which(tool) for tool in ("unshare", "nsenter", "ip")):
            holder = subprocess.Popen(
                ["unshare", "--net", "sh", "-c", "ip link set lo up && echo up && exec sleep 900"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            if holder.stdout.readline().strip() == b"up":
                self.holder = holder
                self.mode = "a network namespace with only loopback (unshare --net)"
                return self
            holder.kill()
            holder.wait()
        self.mode = f"proxies at a closed port ({DEAD_PROXY}) and PIP_NO_INDEX; DNS not blocked"
        return self

    def stop(self) -> None:
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait()
            self.holder.stdout.close()

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
