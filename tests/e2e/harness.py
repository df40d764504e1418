"""The real `lotse run` process against the fake Bot API: start, stop with SIGTERM, kill -9."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Self

from tests.e2e.forks import ForkedChild, fork_server
from tests.fake_bot_api import FakeBotApi

REPO = Path(__file__).resolve().parents[2]


def base_environment() -> dict[str, str]:
    """This run's environment less every setting of the bot, with this checkout's code first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(
        ("BOT_", "TELEGRAM_", "DATABASE_", "STAFF_", "ADMIN_", "WEBHOOK_", "REDIS_", "LOG_",
         "METRICS_", "WEB_"))}
    # this checkout's code, even when an editable install points at another one
    env.update(PYTHONPATH=os.pathsep.join(filter(None, (str(REPO), env.get("PYTHONPATH")))),
               PYTHONUNBUFFERED="1")
    return env


class BotProcess:
    """One Lotse process; its database and log live in `folder`, so a restart keeps the state.
    `forked` (the default): every start forks `python -m bot run` from the run's fork server,
    which imported the bot once (`tests.e2e.forks`), instead of spending seconds on the imports
    again; `forked=False` starts a cold `python` (the benchmark's processes)."""

    command: tuple[str, ...] = ("-m", "bot", "run")
    """What Python runs (the benchmark runs its echo bot the same way, never forked)."""

    def __init__(self, api: FakeBotApi, folder: Path, forked: bool = True,
                 **settings: str) -> None:
        self.api = api
        self.folder = folder
        self.settings = settings
        self.process: asyncio.subprocess.Process | ForkedChild | None = None
        self.log = folder / "lotse.log"
        self.forked = forked and self.command == BotProcess.command

    def environment(self) -> dict[str, str]:
        env = base_environment()
        env.update(BOT_TOKEN=self.api.token, TELEGRAM_API_BASE=self.api.base_url,
                   DATABASE_URL=f"sqlite:///{self.folder / 'lotse.sqlite3'}",
                   CONTENT_ROOT=str(REPO), LOG_LEVEL="INFO",
                   PID_FILE=str(self.folder / "lotse.pid"),
                   THROTTLE_BURST="1000",  # scripted people are faster than any person types
                   # and read faster: pacing is tested where a test sets Telegram's limits
                   SEND_PER_CHAT_PER_SECOND="20")
        env.update(self.settings)
        return env

    async def start(self, timeout: float = 30.0) -> None:
        """Start `python -m bot run` (`command`) and wait until it polls for updates (or, in
        webhook mode, has set its webhook)."""
        # the last calls before serving (a long poll is recorded only when it returns)
        ready = "setWebhook" if "WEBHOOK_URL" in self.settings else "getMe"
        polls = len(self.api.calls_to(ready))
        if self.forked:
            self.process = await fork_server(base_environment()).fork(
                list(self.command[2:]), self.environment(), self.folder, self.log)
        else:
            with self.log.open("ab") as log:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable, *self.command, cwd=self.folder, env=self.environment(),
                    stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        await self.api.wait_until(lambda: len(self.api.calls_to(ready)) > polls or self.exited,
                                  timeout=timeout)
        if self.exited:
            raise RuntimeError(f"lotse exited:\n{self.log.read_text()[-3000:]}")

    @property
    def exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as systemd sends it; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and not self.exited:
            await self.kill()
