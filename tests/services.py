"""Real servers for the tests, each started as our own process on a free loopback port with its
data in a temporary folder, and stopped at the end of the run (never a system service).

`make services` installs them from Debian packages when they are missing; `make test` runs it."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

START_TIMEOUT_SECONDS = 15.0
INSTALL_HINT = ("`make services` installs it (as root, from Debian packages: "
                "apt-get install --no-install-recommends redis-server)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if found is None:
        pytest.fail(f"redis-server is not installed: {INSTALL_HINT}", pytrace=False)
    return found


def start_redis(binary: str, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server without persistence, answering PING; retried if its port was taken."""
    log = folder / "redis.log"
    for _ in range(3):
        port = free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                 "--save", "", "--appendonly", "no", "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    if client.ping():
                        return process, port
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        stop(process)
    raise RuntimeError(f"redis-server did not start:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for the whole test run: `redis://127.0.0.1:<port>/0`."""
    binary = redis_server_binary()
    process, port = start_redis(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)
