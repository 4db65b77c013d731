"""Whether a sync run is alive: a lock its process holds while it runs, which ends with it.

A run takes its liveness lock before it claims anything and gives it up after it has released
its claims. Nobody renews it and nobody needs to expire it: when the process dies (SIGKILL, OOM,
a crash), whoever keeps the lock lets it go at once.

- PostgreSQL: a session advisory lock on the run's own database connection, keyed by its claim
  id. The server releases it when the connection drops, which the kernel does when the process
  dies. Other runs read `pg_locks` to see which claim ids are still held.
- SQLite (one machine): an exclusive `flock` on a file named by the claim id, in a directory next
  to the database file. The kernel releases it when the process dies. Another run tries the same
  lock without waiting: if it gets it, the holder is dead.

A claim whose run's liveness lock is free belongs to a dead run and may be taken at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
from pathlib import Path

from django.db import connections, router

from addons.models import AddonResource

logger = logging.getLogger(__name__)

# The first key of every run's advisory lock ("SYNC"), so that other users of advisory locks in
# the same database (none today) cannot be mistaken for runs.
ADVISORY_NAMESPACE = 0x53594E43


CLAIM_ID = re.compile(r"[0-9a-f]{32}")


class LivenessUnavailable(Exception):
    """This run's liveness lock could not be taken (another live run holds the same key)."""


def for_database() -> RunLiveness:
    """Return the liveness locks of the database the access lists are written to."""
    connection = connections[router.db_for_write(AddonResource)]
    if connection.vendor == "postgresql":
        return AdvisoryLiveness(connection)
    return FileLiveness(connection)


class RunLiveness:
    """This run's liveness lock, and the liveness of other runs' claim ids."""

    def hold(self, claim_id: str) -> None:
        """Take the liveness lock of CLAIM_ID for this process; raise LivenessUnavailable."""
        raise NotImplementedError

    def release(self) -> None:
        """Give up the lock taken by `hold` (errors only log: the process's end frees it)."""
        raise NotImplementedError

    def dead_among(self, claim_ids: set[str]) -> set[str]:
        """Return the CLAIM_IDS whose runs are no longer alive.

        A value that is no claim id (a run makes them with uuid4().hex) has no live run.
        """
        wellformed = {claim_id for claim_id in claim_ids if CLAIM_ID.fullmatch(claim_id)}
        return (claim_ids - wellformed) | self._dead_among(wellformed)

    def _dead_among(self, claim_ids: set[str]) -> set[str]:
        raise NotImplementedError


class AdvisoryLiveness(RunLiveness):
    """PostgreSQL: a session advisory lock (ADVISORY_NAMESPACE, key of the claim id)."""

    def __init__(self, connection):
        self.connection = connection
        self.key: int | None = None

    @staticmethod
    def key_of(claim_id: str) -> int:
        """Return the advisory lock key of CLAIM_ID (31 bits of its hex, a positive int4)."""
        return int(claim_id[:8], 16) & 0x7FFFFFFF

    def hold(self, claim_id: str) -> None:
        key = self.key_of(claim_id)
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, key])
            if not cursor.fetchone()[0]:
                raise LivenessUnavailable(claim_id)
        self.key = key

    def release(self) -> None:
        if self.key is None:
            return
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, self.key])
        except Exception:
            logger.exception(
                "could not release the liveness lock %s; it ends with the session", self.key
            )
        self.key = None

    def _dead_among(self, claim_ids: set[str]) -> set[str]:
        if not claim_ids:
            return set()
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = %s AND objsubid = 2 AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                [ADVISORY_NAMESPACE],
            )
            live = {key for (key,) in cursor.fetchall()}
        return {claim_id for claim_id in claim_ids if self.key_of(claim_id) not in live}


class FileLiveness(RunLiveness):
    """SQLite: an exclusive flock on `<database>.sync-runs/<claim id>.lock`."""

    def __init__(self, connection):
        self.directory = lock_directory(connection.settings_dict["NAME"])
        self.path: Path | None = None
        self.fd: int | None = None

    def hold(self, claim_id: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{claim_id}.lock"
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LivenessUnavailable(claim_id) from None
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd is None:
            return
        # Unlinked before it is unlocked: a run that finds no file knows its holder has ended.
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.path = self.fd = None

    def _dead_among(self, claim_ids: set[str]) -> set[str]:
        return {claim_id for claim_id in claim_ids if not self._alive(claim_id)}

    def _alive(self, claim_id: str) -> bool:
        path = self.directory / f"{claim_id}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False  # released, or never held: a run holds its file before it claims
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            with contextlib.suppress(OSError):
                path.unlink()  # its holder died without cleaning up: clean up after it
            return False
        finally:
            os.close(fd)


def lock_directory(database_name) -> Path:
    """Return the directory of the liveness files of the SQLite database DATABASE_NAME."""
    name = str(database_name)
    if not name or name == ":memory:" or "mode=memory" in name:
        # Only this process can open an in-memory database, so only it has runs to check.
        return Path(tempfile.gettempdir()) / f"partner-portal-sync-runs-{os.getpid()}"
    path = Path(name.removeprefix("file:").split("?", 1)[0])
    return path.with_name(path.name + ".sync-runs")
