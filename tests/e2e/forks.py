"""Fast restarts for crash tests: a fork server that imports the bot once and forks a fresh
`lotse run` process for every start.

Importing aiogram and the bot takes seconds of CPU; twenty restarts of a cold process would not
fit in a test. A forked child is still a separate process with its own pid that runs the real
`bot.cli.main(["run"])` from the start, and SIGKILL ends it as it would end any bot process."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

SERVER = """
import os, select, sys
import bot.channels.telegram.app, bot.cli, bot.core.content.loader, bot.storage.migrate

log = sys.argv[1]

def say(line):
    os.write(1, line.encode() + b"\\n")

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        say(f"exited {pid} {os.waitstatus_to_exitcode(status)}")

say("ready")
while True:
    ready, _, _ = select.select([0], [], [], 0.05)
    reap()
    if not ready:
        continue
    if not os.read(0, 64):  # one request at a time; end of input ends the server
        break
    pid = os.fork()
    if pid == 0:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        code = 1
        try:
            code = bot.cli.main(["run"])
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    say(f"started {pid}")
"""


class ForkedChild:
    """One forked `lotse run`, with the part of `asyncio.subprocess.Process` tests use."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.Event()

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        try:
            await asyncio.wait_for(self._exited.wait(), 10.0)
        except TimeoutError:
            raise RuntimeError(f"no exit reported for pid {self.pid}") from None
        assert self.returncode is not None
        return self.returncode

    def _ended(self, code: int) -> None:
        self.returncode = code
        self._exited.set()


class ForkServer:
    """The server process; `fork()` starts a child with the server's environment and cwd."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self._children: dict[int, ForkedChild] = {}
        self._started: asyncio.Queue[ForkedChild] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def start(self, env: dict[str, str], cwd: Path, timeout: float) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", SERVER, str(self.log), cwd=cwd, env=env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if line != b"ready\n":
            raise RuntimeError(f"fork server did not start:\n{self.log.read_text()[-3000:]}")
        self._reader = asyncio.create_task(self._read())

    async def fork(self, timeout: float = 10.0) -> ForkedChild:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"fork\n")
        await self.process.stdin.drain()
        try:
            return await asyncio.wait_for(self._started.get(), timeout)
        except TimeoutError:
            raise RuntimeError(f"fork server did not fork (exit code "
                               f"{self.process.returncode})") from None

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            word, pid, *rest = raw.decode().split()
            if word == "started":
                child = self._children.setdefault(int(pid), ForkedChild(int(pid)))
                await self._started.put(child)
            elif word == "exited":
                self._children.setdefault(int(pid), ForkedChild(int(pid)))._ended(int(rest[0]))

    async def close(self) -> None:
        if self.process is None:
            return
        for child in self._children.values():
            child.kill()
        if self.process.stdin is not None:
            self.process.stdin.close()
        await self.process.wait()
        if self._reader is not None:
            self._reader.cancel()
