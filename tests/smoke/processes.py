"""Real processes for smoke tests: a throwaway PostgreSQL database, gunicorn and qcluster.

The processes run the production settings (`portal.settings`, DEBUG off) against a database of
their own, `portal_smoke_<random>`, created on the server of DATABASE_URL, migrated, and dropped
afterwards. pytest-django's `test_` database is not used: it lives inside the test run's
transactions, where another process cannot see it.

Fixtures (import them into a conftest.py)
    smoke_database_url  module; the URL of this module's migrated throwaway database (a copy of
                        one migrated once per session). Skips unless
                        DATABASE_URL is PostgreSQL; fails instead when E2E_REQUIRED=1.
    smoke_env           module; the environment the processes run in (see tests/production.py),
                        with static files collected to a temporary STATIC_ROOT. Pass it to
                        `manage(...)` to run a command against the same database.
    gunicorn_server     a `Server` running `gunicorn portal.wsgi` on a free loopback port, ready
                        to answer; `gunicorn_server.get(path, headers=...)` returns a `Response`.
    qcluster            a `RunningProcess` running `manage.py qcluster`, ready to take tasks.

The same processes in another environment (say, one pointing at a fake Heroku): the context
managers `running_gunicorn(env, log_dir)` and `running_qcluster(env, log_dir)`; and
`running_fake_heroku(log_dir, args=())` runs `python -m addons.heroku.fake`, a `Server` driven
through its control API with `.json(method, "/_fake/...", body)`; the fixture `fake_heroku_process`
(tests/smoke/conftest.py) runs it for one test.

Both process fixtures stop their process with SIGTERM at teardown and fail the test unless it
exits with status 0. Each process's output goes to a log file in the test's tmp_path; it is
printed at teardown, which pytest shows when the test fails.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import environ
import psycopg
import pytest
from psycopg import sql

from tests.production import BASE_DIR, manage, production_env

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 30.0


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    message: str,
    process: "RunningProcess | None" = None,
):
    """Poll CONDITION until it returns a true value and return it; fail after TIMEOUT seconds.

    When PROCESS exits while waiting, fail at once and show its log.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.popen.poll() is not None:
            pytest.fail(
                f"{process.name} exited with status {process.popen.returncode} while waiting: "
                f"{message}\n--- {process.name} log ---\n{process.log()}"
            )
        if time.monotonic() > deadline:
            log = f"\n--- {process.name} log ---\n{process.log()}" if process else ""
            pytest.fail(f"timed out after {timeout} s: {message}{log}")
        time.sleep(0.05)


@dataclass
class RunningProcess:
    """A process started by a fixture, its output captured to LOG_PATH."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """Return everything the process has written so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Send SIGTERM, wait for the process to exit and return its exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                # Leave nothing behind; the fixture reports the hang as a failure.
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
                pytest.fail(f"{self.name} ignored SIGTERM for {SHUTDOWN_TIMEOUT} s:\n{self.log()}")
        return self.popen.returncode


def start_process(name: str, args: list[str], *, env: dict[str, str], log_dir: Path):
    """Start ARGS in the repository with ENV, its stdout and stderr going to a log file."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        popen = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a stuck one can be killed whole
        )
    return RunningProcess(name=name, popen=popen, log_path=log_path)


def stop_and_check(process: RunningProcess) -> None:
    """Stop PROCESS, print its log (shown when the test fails) and fail unless it exited 0."""
    status = process.stop()
    print(f"--- {process.name} log ({process.log_path}) ---\n{process.log()}")
    if status != 0:
        pytest.fail(f"{process.name} exited with status {status} after SIGTERM", pytrace=False)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Server:
    """A running web server on loopback."""

    process: RunningProcess
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Response:
        """GET PATH without following redirects."""
        return self.request("GET", path, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send METHOD PATH, with JSON_BODY as JSON when given, without following redirects."""
        headers = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def json(self, method: str, path: str, json_body: object = None) -> object:
        """Send METHOD PATH and return the decoded JSON answer; fail unless it is a 200."""
        response = self.request(method, path, json_body=json_body)
        assert response.status == 200, f"{method} {path}: {response.status} {response.body!r}"
        return json.loads(response.body)


def free_port() -> int:
    """Return a loopback TCP port that nothing is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url and environ.Env.db_url_config(url)["ENGINE"] == "django.db.backends.postgresql":
        return url
    return None


def _server_connection(url: str) -> psycopg.Connection:
    """Connect to the maintenance database of the server that URL points at."""
    config = environ.Env.db_url_config(url)
    return psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="session")
def smoke_template(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database, migrated once, from which each module's database is
    copied; and the collected static files. Returns (its URL, STATIC_ROOT)."""
    url = _postgres_url()
    if url is None:
        reason = (
            "smoke tests need DATABASE_URL to point at PostgreSQL "
            f"(it is {os.environ.get('DATABASE_URL') or 'unset, so SQLite'})"
        )
        if os.environ.get("E2E_REQUIRED", "") not in ("", "0", "false"):
            pytest.fail(f"E2E_REQUIRED=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    static_root = str(tmp_path_factory.mktemp("staticfiles"))
    with _throwaway_database(url) as template_url:
        env = _smoke_env(template_url, static_root)
        for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
            result = manage(*command, env=env)
            assert result.returncode == 0, f"manage.py {command[0]} failed:\n{result.stderr}"
        yield template_url, static_root


@pytest.fixture(scope="module")
def smoke_database_url(smoke_template) -> Iterator[str]:
    """A migrated database of this module's own: the modules' worlds never meet (each makes
    its own company and add-on, some with the same slugs)."""
    template_url, _ = smoke_template
    with _throwaway_database(template_url, template=urlsplit(template_url).path[1:]) as url:
        yield url


@pytest.fixture(scope="module")
def smoke_env(smoke_database_url, smoke_template) -> dict[str, str]:
    return _smoke_env(smoke_database_url, smoke_template[1])


@contextmanager
def _throwaway_database(url: str, *, template: str | None = None) -> Iterator[str]:
    """Create a database on URL's server (a copy of TEMPLATE if given); drop it at the end."""
    name = f"portal_smoke_{secrets.token_hex(4)}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _server_connection(url) as connection:
        connection.execute(create)
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        with _server_connection(url) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _smoke_env(database_url: str, static_root: str) -> dict[str, str]:
    return production_env(
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=static_root,
        EMAIL_URL="consolemail://",  # no mail leaves the machine
    )


@contextmanager
def running_gunicorn(
    env: dict[str, str], log_dir: Path, *, port: int | None = None
) -> Iterator[Server]:
    """Run `gunicorn portal.wsgi` in ENV on PORT (default: a free loopback port) until the block
    ends."""
    port = port or free_port()
    process = start_process(
        "gunicorn",
        [
            *(sys.executable, "-m", "gunicorn", "portal.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-file", "-"),
            *("--access-logfile", "-", "--no-control-socket"),
        ],
        env=env,
        log_dir=log_dir,
    )
    server = Server(process=process, host="127.0.0.1", port=port)

    def answers() -> bool:
        try:
            return server.get("/admin/login/").status > 0
        except OSError:
            return False

    try:
        wait_until(answers, timeout=STARTUP_TIMEOUT, message="gunicorn answering", process=process)
        yield server
    finally:
        stop_and_check(process)


@contextmanager
def running_qcluster(env: dict[str, str], log_dir: Path) -> Iterator[RunningProcess]:
    """Run `manage.py qcluster` in ENV until the block ends."""
    process = start_process(
        "qcluster", [sys.executable, "manage.py", "qcluster"], env=env, log_dir=log_dir
    )
    try:
        wait_until(
            lambda: re.search(r"Q Cluster \S+ \[portal\] running", process.log()),
            timeout=STARTUP_TIMEOUT,
            message="qcluster logging that it is running",
            process=process,
        )
        yield process
    finally:
        stop_and_check(process)


@contextmanager
def running_fake_heroku(log_dir: Path, *, args: Sequence[str] = ()) -> Iterator[Server]:
    """Run the fake Heroku (addons.heroku.fake) as a process on a free loopback port.

    ARGS are more of its command-line arguments, e.g. `--resources 24` for a generated world.
    """
    port = free_port()
    process = start_process(
        "fake-heroku",
        [sys.executable, "-m", "addons.heroku.fake", "--port", str(port), *args],
        env=production_env(),
        log_dir=log_dir,
    )
    server = Server(process=process, host="127.0.0.1", port=port)

    def answers() -> bool:
        try:
            return server.get("/_fake/stats").status == 200
        except OSError:
            return False

    try:
        wait_until(
            answers, timeout=STARTUP_TIMEOUT, message="fake Heroku answering", process=process
        )
        yield server
    finally:
        stop_and_check(process)


@pytest.fixture
def gunicorn_server(smoke_env, tmp_path) -> Iterator[Server]:
    with running_gunicorn(smoke_env, tmp_path) as server:
        yield server


@pytest.fixture
def qcluster(smoke_env, tmp_path) -> Iterator[RunningProcess]:
    with running_qcluster(smoke_env, tmp_path) as process:
        yield process
