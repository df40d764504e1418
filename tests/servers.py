"""Real PostgreSQL and Redis servers, each started as our own process on a free loopback port with
its data in a temporary folder, and stopped again (never a system service). The test fixtures
(tests/services.py) and the benchmark suite (bench/) both start theirs here.

`make services` installs them from Debian packages when they are missing."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

START_TIMEOUT_SECONDS = 15.0
INSTALL_HINT = ("`make services` installs it (as root, from Debian packages: "
                "apt-get install --no-install-recommends {package})")


class ServerMissing(RuntimeError):
    """A server binary (or the user it must run as) is not installed; the message says how."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if found is None:
        raise ServerMissing(f"redis-server is not installed: "
                            f"{INSTALL_HINT.format(package='redis-server')}")
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


@contextmanager
def running_redis(folder: Path) -> Iterator[str]:
    """A real Redis while the block runs: `redis://127.0.0.1:<port>/0`; its log in `folder`."""
    process, port = start_redis(redis_server_binary(), folder)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


# PostgreSQL: a throwaway cluster (initdb) tuned for speed over durability, trust authentication,
# listening on 127.0.0.1 and on a unix socket in its own folder. PostgreSQL refuses to run as root,
# so under root (as in CI) the cluster belongs to the `postgres` user the Debian package creates.
POSTGRES_SETTINGS = ("listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off",
                     "full_page_writes=off", "max_connections=200")
RAM_FOLDER = Path("/dev/shm")


def postgres_binaries() -> Path:
    """The folder holding `initdb` and `postgres`: Debian's newest /usr/lib/postgresql/<n>/bin,
    else the one `initdb` is found in on the PATH."""
    debian = {int(path.parents[1].name): path.parent
              for path in Path("/usr/lib/postgresql").glob("*/bin/postgres")
              if path.parents[1].name.isdigit()}
    if debian:
        return debian[max(debian)]
    initdb = shutil.which("initdb")
    if initdb is not None and (Path(initdb).parent / "postgres").exists():
        return Path(initdb).parent
    raise ServerMissing(f"PostgreSQL is not installed: {INSTALL_HINT.format(package='postgresql')}")


def run_as_postgres(folder: Path) -> dict[str, Any]:
    """Popen's arguments that run a process as `postgres` in `folder` (which it is given) when we
    are root, and as ourselves otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        shutil.chown(folder, "postgres", "postgres")
    except LookupError:
        raise ServerMissing("PostgreSQL does not run as root and there is no `postgres` user: "
                            + INSTALL_HINT.format(package="postgresql")) from None
    return {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": folder}


def start_postgres(binaries: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A fresh cluster in `folder`/data, accepting connections; retried if its port was taken."""
    as_postgres = run_as_postgres(folder)
    initdb = subprocess.run(
        [binaries / "initdb", "--pgdata", folder / "data", "--username", "postgres",
         "--auth", "trust", "--encoding", "UTF8", "--no-locale", "--no-sync"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, **as_postgres)
    if initdb.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{initdb.stderr[-2000:]}")
    log = folder / "postgres.log"
    for _ in range(3):
        port = free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [binaries / "postgres", "-D", folder / "data", "-p", str(port), "-k", folder,
                 *(f"--{setting}" for setting in POSTGRES_SETTINGS)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, **as_postgres)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            ready = subprocess.run([binaries / "pg_isready", "--quiet", "--host", "127.0.0.1",
                                    "--port", str(port)], check=False)
            if ready.returncode == 0:
                return process, port
            time.sleep(0.05)
        stop(process)
    raise RuntimeError(f"postgres did not start:\n{log.read_text()[-2000:]}")


@contextmanager
def running_postgres() -> Iterator[str]:
    """A real PostgreSQL server while the block runs:
    `postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres`, its maintenance database."""
    binaries = postgres_binaries()
    # Not under pytest's temporary folder, which is private to root while the server may be
    # `postgres`; in memory where there is /dev/shm (CREATE DATABASE: 30 ms there, 400 on disk).
    in_memory = RAM_FOLDER.is_dir() and os.access(RAM_FOLDER, os.W_OK)
    folder = Path(tempfile.mkdtemp(prefix="lotse-postgres-", dir=RAM_FOLDER if in_memory else None))
    try:
        process, port = start_postgres(binaries, folder)
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            process.send_signal(signal.SIGINT)  # fast shutdown: no waiting for clients
            stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
