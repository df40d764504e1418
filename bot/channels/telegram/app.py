"""Serving Lotse on Telegram: long polling, or a webhook server when WEBHOOK_URL is set.

Updates are acknowledged to Telegram only once handled (polling: `polling.Poller`; webhook: the
answer comes after handling), so a crash never loses one; they are de-duplicated by update_id, one
person's updates are handled in order (in this process and, with REDIS_URL, across instances:
`bot.shared`), and SIGTERM stops intake, lets the updates in hand finish, and exits cleanly."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, TelegramObject, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.channels.telegram import admin, monitoring, staff, staff_translation, throttle, users
from bot.channels.telegram.order import InOrder
from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.people import People
from bot.channels.telegram.polling import SHUTDOWN_GRACE_SECONDS, Poller
from bot.channels.telegram.retry import RetrySafeCalls
from bot.channels.telegram.sender import Sender
from bot.channels.telegram.staff_gate import StaffGate
from bot.channels.telegram.staff_group import StaffGroup
from bot.channels.telegram.voice import Listening, VoiceNotes
from bot.channels.web.app import web_workspace
from bot.channels.web.desk import WebDesk
from bot.channels.web.live import Live
from bot.clock import utcnow
from bot.config import Settings
from bot.core.commands import offered
from bot.core.content.model import Content
from bot.handoff.delivery import Halt, StaffChannel
from bot.handoff.outbox import POLL_SECONDS, OutboxWorker
from bot.ops import metrics
from bot.ops.content_store import ContentStore
from bot.ops.retention import purge_regularly
from bot.semantic.layer import Semantic
from bot.services.conversation import Conversations
from bot.shared.setup import Shared
from bot.shared.updates import ProcessedUpdates
from bot.storage.leadership import Leadership
from bot.storage.repository import Storage
from bot.storage.state_redis import redacted
from bot.translation.setup import translator_from_settings
from bot.voice import setup as voice_setup

log = logging.getLogger(__name__)


class Dedupe(BaseMiddleware):
    """Handles each update_id to the end once, however often Telegram (or a restart) delivers
    it. An update is recorded as processed only after its handling ended, so one cut off by a
    crash is handled again when it comes again; handlers get its key as `update_key`, which
    keys its case, relays and replies (`bot.services.replay`). A delivery that comes while the same update is in hand is
    skipped."""

    def __init__(self, processed: ProcessedUpdates) -> None:
        self.processed = processed
        self._in_hand: set[int] = set()

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        update_id = event.update_id
        if update_id in self._in_hand or await self.processed.update_processed(update_id):
            log.info("duplicate update=%s ignored", update_id)
            metrics.DUPLICATE_UPDATES.inc()
            return None
        self._in_hand.add(update_id)
        data["update_key"] = f"telegram:{update_id}"
        try:
            result = await handler(event, data)
            await self.processed.mark_update_processed(update_id)
            return result
        finally:
            self._in_hand.discard(update_id)


class InFlight(BaseMiddleware):
    """Keeps track of the updates being handled, so that shutdown can let them finish."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self.tasks.discard(task)

    async def finish(self) -> None:
        others = self.tasks - {asyncio.current_task()}
        if others:
            log.info("waiting for %d update(s) in hand", len(others))
            await asyncio.wait(others, timeout=SHUTDOWN_GRACE_SECONDS)


def make_bot(settings: Settings, *, retried: bool = True) -> Bot:
    """The Bot for `settings`; with `retried` its start-up calls survive 429 and 5xx
    (`RetrySafeCalls`), without it every call is tried once (`lotse doctor` reports, it does not
    wait for Telegram to recover)."""
    assert settings.BOT_TOKEN is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base))
    if retried:
        session.middleware(RetrySafeCalls())
    return Bot(settings.BOT_TOKEN, session=session, default=DefaultBotProperties(
        parse_mode=ParseMode.HTML, link_preview_is_disabled=True))


def make_outbox(storage: Storage, bot: Bot, content: Callable[[], Content],
                staff_chat_id: int | None, per_minute: int = 20,
                clock: Callable[[], dt.datetime] = utcnow, *, pacer: Pacer | None = None,
                poll_seconds: float = POLL_SECONDS,
                leadership: Leadership | None = None,
                no_group: StaffChannel | None = None) -> OutboxWorker:
    """The outbox worker delivering on Telegram: to the staff group `staff_chat_id` (without
    it to `no_group`, the web workspace's desk when that is the only staff channel, or none: its
    rows wait), paced to `per_minute` calls, and to people's private chats, paced by `pacer`
    (shared with the bot's direct replies, so both count against the same limits)."""
    halt = Halt()
    pacer = pacer or Pacer(30.0, 1.0)
    staff = no_group if staff_chat_id is None else \
        StaffGroup(bot, staff_chat_id, per_minute, pacer, halt.sleep)
    return OutboxWorker(storage, content, People(bot, pacer, halt.sleep), staff, clock,
                        halt=halt, poll_seconds=poll_seconds, leadership=leadership)


def make_dispatcher(storage: Storage, content: Callable[[], Content], bot: Bot,
                    settings: Settings, shared: Shared | None = None,
                    live: Live | None = None) -> Dispatcher:
    """The bot's dispatcher; with `live` (the web workspace's), its pages hear of every case
    change, and without a staff group the workspace is the outbox's staff channel."""
    shared = shared or Shared.local(storage)
    # per-person order is InOrder's (aiogram's own event isolation keeps a lock per chat forever)
    # no aiogram FSM: the conversation state is Lotse's own, and aiogram's MemoryStorage keeps a
    # record per chat that never goes (issue 18: memory with many people)
    dispatcher = Dispatcher(disable_fsm=True)
    in_flight = InFlight()
    dispatcher.update.outer_middleware(in_flight)
    dispatcher.update.outer_middleware(Dedupe(shared.processed))
    dispatcher.update.outer_middleware(InOrder(shared.person_locks))
    throttle.install(dispatcher, settings, shared.buckets)
    dispatcher.include_router(admin.router)  # before users: /reload from an admin
    dispatcher.include_router(users.router)
    # Without STAFF_CHAT_ID the worker still runs: it delivers to people and says once a minute
    # that case notes wait for the setting.
    pacer = Pacer(settings.SEND_PER_SECOND, settings.SEND_PER_CHAT_PER_SECOND,
                  buckets=shared.buckets)
    outbox = make_outbox(storage, bot, content, settings.STAFF_CHAT_ID,
                         settings.STAFF_GROUP_MESSAGES_PER_MINUTE, pacer=pacer,
                         no_group=None if live is None else WebDesk())
    semantic = Semantic.from_settings(settings)  # off without EMBEDDINGS_URL
    if isinstance(content, ContentStore):
        content.on_applied.append(semantic.follow)  # each reload's index, in the background
    # passes everything through without TRANSLATION_ROUTES
    translator = translator_from_settings(settings, glossary=lambda: content().glossary,
                                          buckets=shared.buckets)
    speaker = voice_setup.speaker(settings)  # None: nothing is read aloud
    transcriber = voice_setup.transcriber(settings)
    languages = content().languages.languages
    voices = frozenset() if speaker is None else speaker.languages(languages)
    metrics.VOICE_LANGUAGES.labels("speaker").set(len(voices))
    metrics.VOICE_LANGUAGES.labels("transcriber").set(
        0 if transcriber is None else len(transcriber.languages & set(languages)))

    def on_case_change() -> None:
        outbox.wake()
        if live is not None:
            live.changed()

    conversations = Conversations(storage, voice_setup.voiced(content, voices),
                                  on_case_change=on_case_change, states=shared.states,
                                  person_locks=shared.person_locks, semantic=semantic,
                                  translator=translator)
    dispatcher["conversations"] = conversations
    if settings.STAFF_CHAT_ID is not None:  # after users: the staff group's routers come last
        dispatcher.include_router(staff_translation.router)  # before staff's relay of the rest
        staff.install(dispatcher, settings.STAFF_CHAT_ID, conversations.cases,
                      StaffGate(bot, settings.STAFF_CHAT_ID, settings.ADMIN_IDS))
    dispatcher["sender"] = Sender(bot, pacer)
    dispatcher["voice_notes"] = VoiceNotes(speaker, content().root)
    dispatcher["listening"] = Listening(transcriber, settings.TRANSCRIPTION_MAX_SECONDS)
    dispatcher["in_flight"] = in_flight
    dispatcher["outbox"] = outbox
    monitoring.install(dispatcher, storage, shared.states, outbox)  # after Dedupe, before hooks

    @dispatcher.startup()
    async def register_commands(bot: Bot) -> None:
        await outbox.start()  # first delivers whatever waited from before a restart
        semantic.follow(content())  # built in the background: words alone answer until then
        await set_commands(bot, conversations.content())

    @dispatcher.shutdown()
    async def finish_updates(in_flight: InFlight) -> None:
        await in_flight.finish()
        await outbox.stop()
        await semantic.close()
        await translator.close()
        if transcriber is not None:
            await transcriber.close()

    return dispatcher


async def set_commands(bot: Bot, content: Content) -> None:
    """The command menu in every language (Telegram picks it by the person's app language)."""
    for code in [None, *content.languages.languages]:
        t = content.ui.get(code or content.languages.default_language)
        voiced = code in content.voices if code else bool(content.voices)
        commands = [BotCommand(command=command.name, description=t.gettext(command.menu))
                    for command in offered(voiced)]
        await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(),
                                  language_code=code)


async def serve(settings: Settings, content: ContentStore) -> int:
    storage = Storage.open(settings.DATABASE_URL)
    try:
        shared = await Shared.connect(settings.REDIS_URL, storage)
    except BaseException:
        await storage.close()
        raise
    log.info("conversation state in %s", redacted(settings.REDIS_URL) if settings.REDIS_URL
             else "the database")
    bot = make_bot(settings)
    live = None if settings.WEB_LISTEN is None else Live()
    dispatcher = make_dispatcher(storage, content, bot, settings, shared, live)
    admin.install(dispatcher, settings, content, bot)
    retention = asyncio.create_task(purge_regularly(storage, settings.RETENTION_DAYS))
    try:
        async with dispatcher["monitoring"].serving(settings.METRICS_LISTEN), \
                web_workspace(settings, dispatcher["conversations"], content, live):
            if settings.WEBHOOK_URL is None:
                await bot.delete_webhook()
                log.info("serving by long polling")
                await Poller(dispatcher, bot, dispatcher.resolve_used_update_types()).run()
            else:
                await serve_webhook(settings, bot, dispatcher)
    finally:
        retention.cancel()
        await storage.close()
        await shared.close()
    log.info("stopped")
    return 0


async def serve_webhook(settings: Settings, bot: Bot, dispatcher: Dispatcher) -> None:
    """Serve the webhook until SIGTERM or SIGINT, then drain: `/healthz` and new updates get 503
    (Telegram delivers those again, to this instance's successor or another one) while the
    updates in hand finish with the bot's session open, and only then close the server and the
    session. (aiogram's `SimpleRequestHandler.register` would close the session on the server's
    shutdown, under the sends in flight: they failed and were retried although Telegram had
    carried them out, so people got their answers twice.)"""
    url = str(settings.WEBHOOK_URL)
    path = urlparse(url).path or "/"
    health = dispatcher["monitoring"].health
    app = web.Application(middlewares=[refuse_while_stopping(path, health)])
    # Telegram is answered after the update was handled: it delivers an update again when the
    # bot died meanwhile, and its next update of the same chat finds this one done or waiting in
    # the person's queue (`InOrder`), on whichever instance.
    webhook = SimpleRequestHandler(dispatcher=dispatcher, bot=bot, handle_in_background=False,
                                   secret_token=settings.WEBHOOK_SECRET)
    app.router.add_post(path, webhook.handle)  # not `register`: the session is closed below
    dispatcher["monitoring"].add_routes(app)  # /healthz and /metrics
    host, _, port = settings.WEBHOOK_LISTEN.rpartition(":")
    runner = web.AppRunner(app)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await dispatcher.emit_startup(bot=bot, **dispatcher.workflow_data)
    await web.TCPSite(runner, host, int(port)).start()  # listening before Telegram is told
    await bot.set_webhook(url, secret_token=settings.WEBHOOK_SECRET,
                          allowed_updates=dispatcher.resolve_used_update_types())
    log.info("serving webhook on %s", settings.WEBHOOK_LISTEN)
    try:
        await stop.wait()
    finally:
        # still listening: the shutdown hooks mark the instance as stopping (503) and drain
        await dispatcher.emit_shutdown(bot=bot, **dispatcher.workflow_data)
        await runner.cleanup()
        await bot.session.close()


def refuse_while_stopping(path: str, health: monitoring.Health) -> Middleware:
    """An aiohttp middleware answering 503 to updates posted to `path` once the dispatcher
    began to stop, so that Telegram keeps them for later instead of this instance taking on
    work while it drains."""

    @web.middleware
    async def refuse(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == path and not health.running:
            return web.Response(status=503, text="stopping")
        return await handler(request)

    return refuse
