"""Live content reload on Telegram: the file watcher, SIGHUP (`lotse content reload`) and `/reload`
from an admin, each reported to the admins (ADMIN_IDS) with every `path:line: problem`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import Message as TelegramMessage

from bot.channels.telegram import staff
from bot.channels.telegram.render import Message
from bot.channels.telegram.sender import Blocked, Sender
from bot.channels.telegram.staff_messages import topic_of
from bot.config import Settings
from bot.core import telegram_html
from bot.core.content.problems import Problem
from bot.core.telegram_html import escape
from bot.handoff.outbox import OutboxWorker
from bot.ops.content_store import ContentStore, Outcome, ReloadResult
from bot.ops.content_watch import changes
from bot.ops.pidfile import PidFile

log = logging.getLogger(__name__)
router = Router(name="admin")


def report(result: ReloadResult) -> str:
    """The result for an admin, in Telegram HTML: what is live now and every problem found."""
    live = result.live
    size = f"{len(live.entries)} FAQ entries, {len(live.flows)} flows"
    if result.outcome is Outcome.APPLIED:
        head = (f"✓ Content reloaded: version <code>{live.version}</code> is live ({size}; "
                f"before: <code>{result.previous_version}</code>).")
    elif result.outcome is Outcome.UNCHANGED:
        head = f"✓ Content unchanged: version <code>{live.version}</code> is live ({size})."
    else:
        head = (f"✗ The content has {len(result.errors)} error(s) and did not go live; "
                f"version <code>{live.version}</code> stays live. Fix these and save again "
                f"(<code>lotse content check</code> shows the same list):")
    lines = [escape(str(p)) for p in (*result.errors, *result.warnings)]
    return head + ("\n\n" + "\n".join(lines) if lines else "")


class Reloads:
    """Runs reloads for every trigger and tells the admins what came of them."""

    def __init__(self, store: ContentStore, sender: Sender, settings: Settings) -> None:
        self.store = store
        self.sender = sender
        self.admin_ids = settings.ADMIN_IDS
        self.staff_chat_id = settings.STAFF_CHAT_ID
        self._rejected: tuple[Problem, ...] = ()
        """The errors last reported, until good content is back."""
        self._tasks: set[asyncio.Task[None]] = set()

    def may_reload(self, message: TelegramMessage) -> bool:
        """An admin, in a private chat with the bot or in the staff group."""
        return (message.from_user is not None and message.from_user.id in self.admin_ids and
                (message.chat.type == ChatType.PRIVATE or message.chat.id == self.staff_chat_id))

    async def reload_and_tell_admins(self, trigger: str) -> None:
        """A reload nobody asked for in a chat (files changed, SIGHUP): the admins hear of a new
        version, of new errors (not of the same ones again) and that the files are good again."""
        try:
            result = await self.store.reload()
        except Exception:  # the watcher must survive whatever the loader runs into
            log.exception("content reload failed trigger=%s", trigger)
            return
        log.info("content reload trigger=%s outcome=%s", trigger, result.outcome.value)
        if result.outcome is Outcome.REJECTED:
            if result.problems == self._rejected:
                return
            self._rejected = result.problems
        elif result.outcome is Outcome.UNCHANGED and not self._rejected:
            return
        else:
            self._rejected = ()
        for admin in sorted(self.admin_ids):
            await self.tell(admin, report(result))

    async def tell(self, chat_id: int, text: str) -> None:
        """`text` to an admin's private chat, paced and retried (the Sender); best effort."""
        try:
            for part in telegram_html.split(text):
                await self.sender.send(chat_id, Message(part))
        except (Blocked, TelegramAPIError) as exc:  # even after retries: the watcher goes on
            log.warning("admin=%s not reachable (has the admin started the bot?): %s",
                        chat_id, type(exc).__name__)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def watch(self, interval: float) -> None:
        async for _ in changes(self.store.root, interval):
            await self.reload_and_tell_admins("files")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _admin_asks(message: TelegramMessage, reloads: Reloads | None = None) -> bool:
    return reloads is not None and reloads.may_reload(message)


@router.message(Command("reload"), _admin_asks)
async def on_reload(message: TelegramMessage, reloads: Reloads, outbox: OutboxWorker) -> None:
    """The report goes where the admin asked: in the staff group as a prompt (`staff.say`: an
    outbox row, paced with the group and retried), in a private chat through the Sender."""
    assert message.from_user is not None
    log.info("content reload trigger=/reload admin=%s", message.from_user.id)
    result = await reloads.store.reload()
    if message.chat.id == reloads.staff_chat_id:
        await staff.say(outbox, topic_of(message), report(result))
    else:
        await reloads.tell(message.chat.id, report(result))


def install(dispatcher: Dispatcher, settings: Settings, store: ContentStore, bot: Bot) -> None:
    """Reloading for a serving dispatcher: `/reload`, the file watcher (every
    CONTENT_WATCH_SECONDS, unless 0), and SIGHUP to the pid in PID_FILE."""
    reloads = Reloads(store, dispatcher["sender"], settings)
    dispatcher["reloads"] = reloads
    pid_file = PidFile(settings.PID_FILE)

    @dispatcher.startup()
    async def start_reloading() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: reloads.spawn(
            reloads.reload_and_tell_admins("SIGHUP")))
        pid_file.hold()
        if settings.CONTENT_WATCH_SECONDS > 0:
            reloads.spawn(reloads.watch(settings.CONTENT_WATCH_SECONDS))

    @dispatcher.shutdown()
    async def stop_reloading() -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        pid_file.release()
        await reloads.stop()
