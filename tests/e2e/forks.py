"""Fast starts: one fork server for the whole test run imports the bot once and forks a fresh
`python -m bot run` process for every start of every test.

Importing aiogram and the bot takes about six seconds of CPU, which every cold start of the
process would spend again (over a minute for a crash test's twenty restarts, minutes for the e2e
tests together). A forked child is still a separate process with its own pid, environment,
working folder and log: it runs `bot/__main__.py` as `python -m bot` would (runpy), loads the
content and migrates the database itself, and exits as any Python process exits (SystemExit's
code, a traceback and 1 for an uncaught exception). SIGTERM, SIGINT and SIGKILL reach it as they
would reach any bot process. What it shares with the server is what a cold start would compute
the same way: the imported modules.

Each start is one connection to the server's Unix socket: the request (argv, environment,
working folder, log file) as one JSON line; the server answers `started <pid>`, and
`exited <code>` when the child ends. A connection closed before its child ended (a test that
stopped without cleaning up) gets its child killed; end of the server's input (the test run
ended) kills every child left and ends the server. `tests/e2e/harness.py` starts every
`BotProcess` here unless told not to; the benchmark's processes start cold."""
from __future__ import annotations

import asyncio
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

SERVER = r"""
import json, os, runpy, select, signal, socket, sys

import bot.channels.telegram.app, bot.cli, bot.core.content.loader, bot.storage.migrate  # noqa

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(64)
wake_read, wake_write = os.pipe()
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select through the wakeup fd
pending = {}  # connection -> bytes of its request read so far
children = {}  # pid -> connection (None once the test let go of it)


def child(request):
    '''In the forked child: become `python -m bot <argv>`; never returns.'''
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for connection in (listener, *pending, *children.values()):
        if connection is not None:
            connection.close()
    os.close(wake_read)
    os.close(wake_write)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.path[0] = os.getcwd()  # as `python -m` puts it
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    sys.argv = ["-m", *request["argv"]]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
    raise SystemExit(0)


def tell(connection, line):
    try:
        connection.sendall(line.encode() + b"\n")
    except OSError:
        pass


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is not None:
            tell(connection, f"exited {os.waitstatus_to_exitcode(status)}")
            connection.close()


os.write(1, b"ready\n")
while True:
    watched = [c for c in children.values() if c is not None]
    readable, _, _ = select.select([0, listener, wake_read, *pending, *watched], [], [])
    if wake_read in readable:
        os.read(wake_read, 4096)
    reap()
    if 0 in readable and not os.read(0, 64):  # end of input: the test run is over
        break
    if listener in readable:
        pending[listener.accept()[0]] = b""
    forked = set()
    for connection in [c for c in readable if c in pending]:
        data = connection.recv(1 << 20)
        if not data:
            del pending[connection]
            connection.close()
            continue
        pending[connection] += data
        if not pending[connection].endswith(b"\n"):
            continue
        request = json.loads(pending.pop(connection))
        pid = os.fork()
        if pid == 0:
            child(request)
        children[pid] = connection
        forked.add(connection)
        tell(connection, f"started {pid}")
    for pid, connection in list(children.items()):
        if connection in readable and connection not in forked and not connection.recv(64):
            os.kill(pid, signal.SIGKILL)  # the test let go of it: reaped as any other
            connection.close()
            children[pid] = None

for pid in children:
    os.kill(pid, signal.SIGKILL)
for pid in list(children):
    os.waitpid(pid, 0)
"""


class ForkedChild:
    """One forked process, with the part of `asyncio.subprocess.Process` tests use."""

    def __init__(self, pid: int, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._writer = writer
        self._watch = asyncio.create_task(self._ended(reader))

    async def _ended(self, reader: asyncio.StreamReader) -> None:
        line = (await reader.readline()).decode().split()
        self.returncode = int(line[1]) if line[:1] == ["exited"] else -signal.SIGKILL
        self._writer.close()

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    async def wait(self) -> int:
        await asyncio.shield(self._watch)
        assert self.returncode is not None
        return self.returncode


class ForkServer:
    """The server process: started once, on first use, with the environment every start shares
    (what the interpreter reads only when it starts: PYTHONPATH, PYTHONUNBUFFERED …); ended when
    the test run ends."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="lotse-forks-"))
        self.socket = self.folder / "fork.sock"
        self.log = self.folder / "server.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER, str(self.socket)], cwd=self.folder,
                env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        if self.process.stdout.readline() != b"ready\n":
            raise RuntimeError(f"fork server did not start:\n{self.log.read_text()[-3000:]}")

    async def fork(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path,
                   timeout: float = 10.0) -> ForkedChild:
        """A child running `python -m bot <argv>`."""
        if self.process.poll() is not None:
            raise RuntimeError(f"fork server exited:\n{self.log.read_text()[-3000:]}")
        reader, writer = await asyncio.open_unix_connection(str(self.socket))
        request = {"argv": argv, "env": env, "cwd": str(cwd), "log": str(log)}
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        try:
            line = (await asyncio.wait_for(reader.readline(), timeout)).decode().split()
        except TimeoutError:
            line = []
        if line[:1] != ["started"]:
            writer.close()
            raise RuntimeError(f"fork server did not fork:\n{self.log.read_text()[-3000:]}")
        return ForkedChild(int(line[1]), reader, writer)

    def close(self) -> None:
        """End of input: the server kills what is left and exits."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for path in (self.socket, self.log):
            path.unlink(missing_ok=True)
        self.folder.rmdir()


_server: ForkServer | None = None


def fork_server(environment: dict[str, str]) -> ForkServer:
    """The run's fork server, started (with `environment`) on the first call."""
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = ForkServer(environment)
        atexit.register(_server.close)
    return _server
