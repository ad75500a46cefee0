"""A real Redis (Debian's `redis-server`) on 127.0.0.1, started by the tests, and a fleet of
real `handlecheck worker` processes around it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS is None, reason="needs redis-server (apt-get install redis-server)")
FLEET_KEY = "a-test-fleet-key-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """`start`, `stop` and `restart` one redis-server on a port of its own, keeping no data on
    disk: a restart loses everything it held, the hardest case for a fleet."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS is not None
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.skip("redis-server did not start")
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def fleet_env() -> dict[str, str]:
    return {**os.environ, "HANDLECHECK_BROKER_KEY": FLEET_KEY}


class Fleet:
    """`handlecheck worker` processes on one broker (this machine standing in for several)."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.workers: list[subprocess.Popen[bytes]] = []

    def start(self, count: int, *extra: Sequence[str], redeliver_after: float = 3.0) -> None:
        for n in range(count):
            argv = [sys.executable, "-m", "handlecheck", "worker", "--broker", self.server.url,
                    "--redeliver-after", str(redeliver_after), *(extra[n] if n < len(extra) else ())]  # fmt: skip
            self.workers.append(subprocess.Popen(argv, env=fleet_env(), stderr=subprocess.PIPE))
        client = self.server.client()
        deadline = time.monotonic() + 30
        while client.zcard("handlecheck:workers") < len(self.workers):
            if time.monotonic() > deadline:
                raise AssertionError("the workers did not start")
            time.sleep(0.1)
        client.close()

    def stop(self) -> list[str]:
        """Stop every worker with SIGTERM; what each said on stderr."""
        said = []
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                _, err = worker.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                _, err = worker.communicate()
            said.append(err.decode(errors="replace"))
        return said


@pytest.fixture
def fleet(broker: RedisServer) -> Iterator[Fleet]:
    workers = Fleet(broker)
    try:
        yield workers
    finally:
        workers.stop()
