"""A newcomer's first minute: `make run` on a clean clone, offline, to the SSO dashboard.

The repository's HEAD is cloned into a temporary folder, and `make run` starts there with no
route out (see offline.py for how, and the weaker fallback). The bootstrap is the one step
skipped: the clone's `.venv` is a symlink to this checkout's (as the worktrees have it), and
`make -o .venv/.installed` tells make not to run pip for it; everything after it (.env, migrate,
the fake Heroku, load_demo_data, the worker, the server) runs as it does for a newcomer.

Then Chromium opens the portal, follows the login page's link to "Sign in as a Heroku customer",
and clicks through to a synced resource's dashboard, which must list the people synced from the
fake Heroku. The invitation link printed by the console e-mail must name the port served, whole
on one line, and open the invitation. Ctrl-C (SIGINT to make's process group, as a terminal
sends it) must then stop make and everything it started.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.newcomer.offline import Offline

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SERVE_TIMEOUT = 150.0  # a clean clone migrates a new SQLite database first
STOP_TIMEOUT = 30.0
SHOP = "5b3f0c2a-8d14-4e7b-a6c9-1e2f3a4b5c01"  # brightside-shop (addons/heroku/fake/demo.py)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_clone(folder: Path) -> Path:
    """Clone this repository's HEAD into FOLDER and give it this checkout's virtualenv."""
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    clone = folder / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", head], check=True)
    (clone / ".venv").symlink_to((REPO / ".venv").resolve())
    return clone


def session_processes(session: int) -> list[str]:
    """Return "pid command" of every live process in SESSION."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        state, _, _, sid = stat.rpartition(")")[2].split()[:4]
        if int(sid) == session and state != "Z":
            found.append(f"{entry.name} {command}")
    return found


def no_route_out() -> bool:
    """Return whether a connection to a public address fails at once (no route)."""
    try:
        socket.create_connection(("1.1.1.1", 443), timeout=2).close()
    except OSError:
        return True
    return False


def serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_until_serving(offline: Offline, make: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while not offline.call(lambda: serving(url)):
        if make.poll() is not None:
            pytest.fail(f"make run exited with {make.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"make run did not serve {url} in {SERVE_TIMEOUT} s:\n{log.read_text()}")
        time.sleep(0.5)


def printed_invitation_link(log: Path, site: str, timeout: float = 60.0) -> str:
    """Return the invitation link the worker's console e-mail printed (it sends it shortly)."""
    pattern = re.compile(rf"^({re.escape(site)}/invitations/\S+/)$", re.M)
    deadline = time.monotonic() + timeout
    while (found := pattern.search(log.read_text(errors="replace"))) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"no invitation link to {site} printed:\n{log.read_text()}")
        time.sleep(0.5)
    return found[1]


def walk_to_the_dashboard(
    playwright, offline: Offline, folder: Path, site: str, invitation: str
) -> None:
    browser = playwright.chromium.launch(
        executable_path=offline.browser_executable(CHROMIUM, folder),
        args=[*CHROMIUM_ARGS, *offline.browser_args()],
    )
    try:
        page = browser.new_page()
        page.goto(site + "/")
        page.get_by_role("link", name="Sign in as a Heroku customer").click()
        page.get_by_role("button", name="Open brightside-shop as casey@brightside.test").click()
        page.wait_for_url(f"{site}/dashboard/{SHOP}/")
        dashboard = page.content()
        for person in ("casey@brightside.test", "robin@brightside.test"):
            assert person in dashboard, f"{person} is not on the dashboard"
        # The link copied from the console opens the invitation (its page offers a login).
        page.goto(invitation)
        assert "not valid" not in page.content()
        assert page.get_by_role("link", name=re.compile("Log in", re.I)).count()
    finally:
        browser.close()


@pytest.fixture
def offline():
    network = Offline().start()
    yield network
    network.stop()


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_make_run_on_a_clean_clone_offline_reaches_a_synced_dashboard(
    offline, tmp_path, playwright
):
    print(f"offline by: {offline.mode}")
    if offline.namespace:
        assert offline.call(no_route_out)
    clone = clean_clone(tmp_path)
    port, fake_port = free_port(), free_port()
    site = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"
    env = offline.environment(
        {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    )
    args = ["make", "-o", ".venv/.installed", "run", f"PORT={port}", f"FAKE_PORT={fake_port}"]
    with log.open("wb") as output:
        make = subprocess.Popen(
            offline.command(args),
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make leads its own session, as in a terminal
        )
    try:
        started = time.monotonic()
        wait_until_serving(offline, make, f"{site}/demo/", log)
        print(f"make run served in {time.monotonic() - started:.0f} s")
        invitation = printed_invitation_link(log, site)
        walk_to_the_dashboard(playwright, offline, tmp_path, site, invitation)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        try:
            make.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        left = session_processes(make.pid)
        for line in left:
            os.kill(int(line.split()[0]), signal.SIGKILL)
    assert left == [], f"make run left processes behind after Ctrl-C:\n{log.read_text()}"
    assert not offline.call(lambda: serving(f"{site}/demo/"))
