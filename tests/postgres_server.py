"""A real PostgreSQL server for the tests: one per test session on 127.0.0.1, a fresh database per test.

Debian's server binaries (package `postgresql`, in /usr/lib/postgresql/*/bin) are started from a
data folder of their own under the system's temporary folder. PostgreSQL refuses to run as root,
so as root (as CI runs) initdb and the server run as the `postgres` system user. Connections
from 127.0.0.1 are trusted, except for the role `guarded`, which must give its password
(scram-sha-256), so that a failed sign-in can be tested. Tests skip, saying why, where there is no
server to start.

Import the fixtures into a test module that needs them (they are named `postgres`, the server,
and `pg_url`, a fresh database's URL):

    from tests.postgres_server import pg_url_fixture, postgres_fixture  # noqa: F401
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

GUARDED_ROLE, GUARDED_PASSWORD = "guarded", "right-horse-battery"
START_SECONDS = 30
HBA = f"""\
local all all trust
host all {GUARDED_ROLE} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


@dataclass(frozen=True, slots=True)
class PostgresServer:
    host: str
    port: int
    user: str  # the superuser

    def url(self, database: str = "postgres", *, user: str | None = None, password: str | None = None) -> str:
        login = user or self.user
        if password is not None:
            login += f":{password}"
        return f"postgresql://{login}@{self.host}:{self.port}/{database}"

    def admin(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, each on its own (CREATE DATABASE cannot be in a transaction)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as conn:
            for statement in statements:
                conn.execute(statement.encode())


def _binaries() -> Path | None:
    """The newest installed version's bin folder."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    found.sort(key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else -1)
    return found[-1] if found else None


def _as_owner(owner: pwd.struct_passwd | None) -> list[str]:
    """The prefix that runs a command as `owner` (none when we are not root)."""
    if owner is None:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running PostgreSQL as root needs setpriv (util-linux) to become the postgres user")
    return [setpriv, f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--clear-groups", "--"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(port: int) -> bool:
    import psycopg

    try:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.fixture(scope="session", name="postgres")
def postgres_fixture() -> Iterator[PostgresServer]:
    """The session's server, stopped (and its files removed) when the session ends."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    binaries = _binaries()
    if binaries is None:
        pytest.skip("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running PostgreSQL as root needs a postgres system user to run it as")
    prefix = _as_owner(owner)
    folder = Path(tempfile.mkdtemp(prefix="handlecheck-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if owner is not None:
        for path in (folder, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    server: subprocess.Popen[bytes] | None = None
    try:
        init = subprocess.run(
            [*prefix, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            capture_output=True, check=False,
        )  # fmt: skip
        if init.returncode != 0:
            pytest.skip(f"initdb failed: {init.stderr.decode(errors='replace').strip()[-300:]}")
        (data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
        for attempt in range(3):  # a free port may be taken by someone else before the server binds it
            port = _free_port()
            log = (folder / f"server-{attempt}.log").open("wb")
            server = subprocess.Popen(
                [*prefix, str(binaries / "postgres"), "-D", str(data), "-k", str(sockets), "-h", "127.0.0.1",
                 "-p", str(port), "-c", "fsync=off", "-c", "max_connections=50"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            log.close()
            deadline = time.monotonic() + START_SECONDS
            while server.poll() is None and time.monotonic() < deadline and not _ready(port):
                time.sleep(0.1)
            if server.poll() is None and _ready(port):
                break
            _stop(server)
            server = None
        if server is None:
            text = (folder / "server-2.log").read_text(errors="replace").strip()[-300:]
            pytest.skip(f"the PostgreSQL server would not start: {text}")
        found = PostgresServer("127.0.0.1", port, "postgres")
        found.admin(f"CREATE ROLE {GUARDED_ROLE} LOGIN PASSWORD '{GUARDED_PASSWORD}'")
        yield found
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """A fast shutdown (SIGINT), then a kill if it does not end."""
    with contextlib.suppress(ProcessLookupError):
        server.send_signal(2)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(name="pg_url")
def pg_url_fixture(postgres: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of the test's own, dropped after it."""
    name = f"hc_{uuid.uuid4().hex[:16]}"
    postgres.admin(f"CREATE DATABASE {name}")
    try:
        yield postgres.url(name)
    finally:
        postgres.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
