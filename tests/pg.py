"""A throw-away PostgreSQL cluster for the tests, from Debian's packages (``.ci/setup`` installs them).

:func:`start_cluster` runs ``initdb`` in a throw-away folder, as the ``postgres`` user when the
tests run as root (``initdb`` refuses root), and starts the server on 127.0.0.1 on a free port
with its socket in that folder. As a normal user the folder is under the test's temporary folder;
as root it is a fresh ``ucc-pg-*`` folder in the system's temporary folder owned by ``postgres``
(pytest keeps ``/tmp/pytest-of-root`` at mode 0700, and any pytest run resets it, so the postgres
user could not reach a folder below it), removed at teardown; :class:`Cluster` stops it, starts it again
(the fault tests) and is stopped at teardown. :func:`skip_reason` says why PostgreSQL cannot be
used here (no ``initdb``/``pg_ctl`` and nothing that could install them), or None.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .ports import free_port

BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")
USER = "postgres"


def pg_bin(name: str) -> str | None:
    for folder in BIN_DIRS:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    return shutil.which(name)


def skip_reason() -> str | None:
    """Why no throw-away cluster can be started here, or None."""
    if not (pg_bin("initdb") and pg_bin("pg_ctl")):
        return "PostgreSQL is not installed (initdb and pg_ctl missing); .ci/setup installs it where apt-get runs as root"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam(USER)
        except KeyError:
            return "the tests run as root and there is no 'postgres' user to run initdb as"
    return None


def _as_owner(argv: list[str]) -> list[str]:
    """``argv`` run as the postgres user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", USER, "--", *argv]
    return ["su", USER, "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in argv)]


class Cluster:
    """One initdb'd cluster in ``folder``, on 127.0.0.1:``port``, trust authentication on loopback."""

    def __init__(self, folder: Path):
        self.owned = os.geteuid() == 0  # a folder of our own, outside pytest's (see the module)
        self.folder = Path(tempfile.mkdtemp(prefix="ucc-pg-")) if self.owned else Path(folder)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, argv: list[str], timeout: float = 60) -> None:
        out = subprocess.run(_as_owner(argv), capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({out.returncode}): {out.stderr[-2000:]}"
                               f"{self.log.read_text()[-2000:] if self.log.exists() else ''}")

    def init(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # the postgres user must own its folder
            shutil.chown(self.folder, USER, USER)
        self._run([pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", USER, "--no-sync",
                   "-E", "UTF8", "--locale", "C"], timeout=120)
        return self

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=16MB")
        self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30",
                   "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: open connections are cut, as when a database host goes away)."""
        self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop"])

    def running(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        if self.owned:
            shutil.rmtree(self.folder, ignore_errors=True)

    def wait_down(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.05)


def start_cluster(folder: Path) -> Cluster:
    cluster = Cluster(folder).init()
    cluster.start()
    return cluster


# --- fixtures (imported by the test modules that use them) --------------------------------------

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory):
    """One throw-away cluster for the session (about 2 s to make), stopped at the end."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    cluster = start_cluster(tmp_path_factory.mktemp("postgres"))
    yield cluster
    from app.state.postgres import close_all

    close_all()
    cluster.close()


def fresh_database(cluster: Cluster) -> str:
    """A new, empty database in ``cluster``; its URL."""
    import psycopg

    name = f"ucc_test_{os.getpid()}_{next(_databases)}"
    if not cluster.running():
        cluster.start()
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return cluster.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request):
    """The state store's URL for each backend: "" (SQLite files in the test's data folder) and a
    fresh PostgreSQL database; the process's pools are closed after the test."""
    if request.param == "sqlite":
        yield ""
        return
    cluster = request.getfixturevalue("pg_cluster")
    yield fresh_database(cluster)
    from app.state.postgres import close_all

    close_all()
