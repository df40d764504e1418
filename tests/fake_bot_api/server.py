"""`FakeBotApi`: a local aiohttp server speaking the Telegram Bot API wire protocol, plus the
test-side API to drive it (fake users and groups, waiting for the bot's messages, call records).

Point the real bot at `api.base_url` (TELEGRAM_API_BASE; aiogram:
`AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))`) and it works unchanged.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .actors import FakeGroup, FakeUser
from .errors import NOT_FOUND, UNAUTHORIZED, ApiError, bad_request
from .methods import BotApiMethods
from .models import ApiCall, Chat, SentMessage, Topic
from .params import Params, Upload
from .policies import FaultInjector, Faults, RateLimiter, RateLimits, RateViolation
from .world import PendingUpdate, Webhook, World

ChatRef = int | FakeUser | FakeGroup
MAX_REQUEST_BYTES = 50 * 1024 * 1024


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.chat_id


async def _read_multipart(reader: aiohttp.MultipartReader) -> dict[str, Any]:
    values: dict[str, Any] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        data = await part.read()
        if part.filename is not None:
            values[part.name] = Upload(part.filename, bytes(data),
                                       part.headers.get("Content-Type", "application/octet-stream"))
        else:
            values[part.name] = bytes(data).decode("utf-8")
    return values


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            values |= body
        elif request.content_type == "multipart/form-data":
            values |= await _read_multipart(await request.multipart())
        else:
            values |= dict(await request.post())
    return Params(values)


def _chat_of(payload: dict[str, Any]) -> int:
    """The chat an update belongs to (Telegram sends one chat's updates in sequence); updates of
    no chat count as the sender's, or as chat 0."""
    body = next((v for k, v in payload.items() if k != "update_id" and isinstance(v, dict)), {})
    chat = body.get("chat") or (body.get("message") or {}).get("chat") or body.get("from") or {}
    return int(chat.get("id", 0))


def _answer(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


class FakeBotApi:
    """A fake Telegram Bot API server for end-to-end tests.

    `strict_html` also rejects a bare "&" in HTML text (Telegram itself keeps it literally);
    `rate_limits` and `faults` are off unless given; `callback_timeout` is how long a callback
    query can still be answered; `webhook_retry_delay` is the pause after a failed delivery.
    """

    def __init__(self, token: str = "123456:TEST", *, bot_name: str = "Lotse",
                 bot_username: str = "lotse_test_bot", strict_html: bool = True,
                 rate_limits: RateLimits | None = None, faults: Faults | None = None,
                 callback_timeout: float = 15.0, webhook_retry_delay: float = 0.2) -> None:
        self.token = token
        self._world = World(token, bot_name, bot_username, strict_html)
        self._limiter = RateLimiter(rate_limits) if rate_limits else None
        self._faults = FaultInjector(faults) if faults else None
        self._methods = BotApiMethods(self._world, self._limiter, callback_timeout)
        self._webhook_retry_delay = webhook_retry_delay
        self._runner: web.AppRunner | None = None
        self._pump: asyncio.Task[None] | None = None
        self._port: int | None = None
        self._backends: list[str] = []
        self._next_backend = itertools.count()
        self.webhook_deliveries: list[tuple[int, str]] = []
        """(update_id, url) of every webhook delivery Lotse answered with success."""
        self.webhook_failures: list[tuple[int, str]] = []
        """(update_id, error) of every webhook delivery that failed (refused or unreachable)."""
        self._held: set[str] = set()
        self._released = asyncio.Event()
        self._cuts: list[tuple[str, int | None]] = []
        self.cut_calls: list[str] = []
        """The methods of the calls `cut` so far, in order."""

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._pump = asyncio.create_task(self._pump_webhook())

    async def close(self) -> None:
        self._world.closed = True
        self._world.changed.notify()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """Like "http://127.0.0.1:PORT": the value for TELEGRAM_API_BASE."""
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return f"http://127.0.0.1:{self._port}"

    # ---- HTTP side -------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(UNAUTHORIZED.payload(), 401)
        method = request.match_info["method"]
        if not BotApiMethods.exists(method):
            return _answer(NOT_FOUND.payload(), 404)
        try:
            params = await _read_params(request)
        except ApiError as error:
            return _answer(error.payload(), error.code)
        result = await self._execute(method, params)
        return _answer(result, result.get("error_code", 200))

    async def _execute(self, method: str, params: Params) -> dict[str, Any]:
        """Run one call: injected faults first (so a failed call has no effect), then the method."""
        await self._maybe_cut(method, params)
        try:
            if self._faults is not None:
                await self._faults.before_call(method)
            result = await self._methods.call(method, params)
        except ApiError as error:
            self._world.calls.append(ApiCall(method, params.record(), False, error.code,
                                             error.description))
            return error.payload()
        self._world.calls.append(ApiCall(method, params.record(), True))
        if method.lower() in self._held:
            await self._released.wait()
        return {"ok": True, "result": result}

    def cut(self, method: str, chat: ChatRef | None = None) -> None:
        """The next call to `method` (to `chat`, if given) is never answered and has no effect,
        as if the connection had dropped it: the caller waits until it gives up or is killed
        (a crash test kills the bot at that moment). `cut_calls` lists the calls cut."""
        self._cuts.append((method, None if chat is None else _chat_id(chat)))

    async def _maybe_cut(self, method: str, params: Params) -> None:
        for cut in self._cuts:
            if cut[0] == method and cut[1] in (None, params.integer("chat_id")):
                self._cuts.remove(cut)
                self.cut_calls.append(method)
                self._world.changed.notify()
                await asyncio.Event().wait()  # until the server closes

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(UNAUTHORIZED.payload(), 401)
        path = request.match_info["path"]
        for stored in self._world.files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return _answer(NOT_FOUND.payload(), 404)

    async def _pump_webhook(self) -> None:
        """Deliver queued updates to the webhook as Telegram does: up to `max_connections` at
        once, one chat's updates one after another (the next once the last was answered), a
        failed delivery retried after `webhook_retry_delay`. After `balance_webhook`, each
        delivery goes to the next backend, round robin, as through a load balancer."""
        world = self._world
        busy: set[int] = set()  # chats with an update on its way
        sending: set[int] = set()  # id() of the updates on their way
        deliveries: set[asyncio.Task[None]] = set()

        def next_update() -> PendingUpdate | None:
            hook = world.webhook
            if hook is None or len(deliveries) >= hook.max_connections:
                return None
            for update in world.pending:
                if id(update) not in sending and _chat_of(update.payload) not in busy:
                    return update
            return None

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            try:
                while not world.closed:
                    update = await world.changed.wait_for(next_update, 3600)
                    hook = world.webhook
                    if update is None or hook is None:
                        continue
                    chat = _chat_of(update.payload)
                    busy.add(chat)
                    sending.add(id(update))
                    task = asyncio.create_task(self._deliver(session, hook, update))
                    deliveries.add(task)

                    def done(task: asyncio.Task[None], chat: int = chat,
                             update: PendingUpdate = update) -> None:
                        deliveries.discard(task)
                        busy.discard(chat)
                        sending.discard(id(update))
                        world.changed.notify()

                    task.add_done_callback(done)
            finally:
                for task in deliveries:
                    task.cancel()
                await asyncio.gather(*deliveries, return_exceptions=True)

    async def _deliver(self, session: aiohttp.ClientSession, hook: Webhook,
                       update: PendingUpdate) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} \
            if hook.secret_token else {}
        url = hook.url
        if self._backends:
            url = self._backends[next(self._next_backend) % len(self._backends)] + \
                urlsplit(hook.url)._replace(scheme="", netloc="").geturl()
        try:
            async with session.post(url, json=update.payload, headers=headers) as resp:
                if resp.status >= 300:
                    raise ConnectionError(
                        f"Wrong response from the webhook: {resp.status} {resp.reason}")
                if update in self._world.pending:
                    self._world.pending.remove(update)
                self.webhook_deliveries.append((update.update_id, url))
                await self._run_webhook_reply(resp)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            hook.last_error_date = int(time.time())
            hook.last_error_message = str(error) or type(error).__name__
            self.webhook_failures.append((update.update_id, hook.last_error_message))
            await asyncio.sleep(self._webhook_retry_delay)

    def balance_webhook(self, backends: Iterable[str]) -> None:
        """Deliver webhook updates to these servers ("http://host:port"; the webhook url's path
        is kept) round robin instead of to the webhook url: several instances behind a balancer."""
        self._backends = list(backends)

    async def _run_webhook_reply(self, resp: aiohttp.ClientResponse) -> None:
        """A webhook may answer with a method call in its response body; Telegram executes it."""
        if resp.content_type == "multipart/form-data":
            values = await _read_multipart(aiohttp.MultipartReader(resp.headers, resp.content))
        elif resp.content_type == "application/json":
            values = await resp.json()
        else:
            return
        if isinstance(values, dict) and BotApiMethods.exists(str(values.get("method", ""))):
            method = str(values.pop("method"))
            await self._execute(method, Params(values))

    def hold_answers(self, *methods: str) -> None:
        """From now on a call to one of `methods` takes effect, but its answer waits until
        `release_answers()`: Telegram carried the call out, the bot does not know yet."""
        self._held = {method.lower() for method in methods}
        self._released.clear()

    def inject(self, faults: Faults | None) -> None:
        """From the next call on, fail calls as `faults` says (None: none fail any more)."""
        self._faults = FaultInjector(faults) if faults else None

    def release_answers(self) -> None:
        """Answer the held calls, and hold no more."""
        self._held = set()
        self._released.set()

    # ---- test side: actors -----------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Test", *, last_name: str | None = None,
             username: str | None = None, language_code: str | None = "de") -> FakeUser:
        """The fake user with this id (created with its private chat on first use)."""
        if user_id not in self._world.users:
            self._world.users[user_id] = FakeUser(self._world, user_id, first_name, last_name,
                                                  username, language_code)
            self._world.chats[user_id] = Chat(user_id, "private", first_name=first_name,
                                              username=username)
        return self._world.users[user_id]

    def group(self, chat_id: int, title: str = "Staff", *, forum: bool = True,
              members: Iterable[FakeUser | int] = (), admins: Iterable[FakeUser | int] = (),
              username: str | None = None) -> FakeGroup:
        """A supergroup (a forum by default) with the bot as administrator."""
        chat = Chat(chat_id, "supergroup", title=title, username=username, is_forum=forum)
        self._world.chats[chat_id] = chat
        group = FakeGroup(self._world, chat)
        group.add_member(self._world.bot_id, "administrator")
        for member in members:
            group.add_member(member)
        for admin in admins:
            group.add_member(admin, "administrator")
        return group

    def redeliver(self, update_id: int) -> None:
        """Queue an already delivered update again, same update_id (for dedupe tests)."""
        self._world.redeliver(update_id)

    @property
    def last_update_id(self) -> int:
        """The update_id of the newest update (e.g. the one a `user.send` just queued)."""
        return max(self._world.update_log, default=0)

    # ---- test side: observing the bot ------------------------------------------------------

    async def wait_for(self, chat: ChatRef, predicate: Callable[[SentMessage], bool] | None = None,
                       *, thread_id: int | None = None, timeout: float = 10.0) -> SentMessage:
        """The next bot message to `chat` (in `thread_id`, matching `predicate`) not yet returned
        by an earlier wait_for. Edits show in the returned object."""
        chat_id = _chat_id(chat)

        def take() -> SentMessage | None:
            inbox = self._world.inbox.get(chat_id, [])
            for index, message in enumerate(inbox):
                if (thread_id is None or message.thread_id == thread_id) and \
                        (predicate is None or predicate(message)):
                    return inbox.pop(index)
            return None

        found = await self._world.changed.wait_for(take, timeout)
        if found is None:
            recent = [m.text for m in self.messages(chat_id)][-5:]
            raise TimeoutError(f"no matching bot message to chat {chat_id} within {timeout}s; "
                               f"latest bot messages there: {recent}")
        return found

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds, re-checked whenever the fake's state changes."""
        if await self._world.changed.wait_for(lambda: True if condition() else None,
                                              timeout) is None:
            raise TimeoutError(f"condition not met within {timeout}s")

    def messages(self, chat: ChatRef, *, thread_id: int | None = None) -> list[SentMessage]:
        """The bot's current (not deleted) messages in `chat`, oldest first."""
        found = self._world.chats.get(_chat_id(chat))
        return [m for m in (found.messages.values() if found else ())
                if m.from_bot and not m.deleted and not m.is_service
                and (thread_id is None or m.thread_id == thread_id)]

    def topics(self, chat: ChatRef) -> list[Topic]:
        found = self._world.chats.get(_chat_id(chat))
        return list(found.topics.values()) if found else []

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = ""
                 ) -> list[dict[str, str]]:
        """The commands set with setMyCommands for this scope and language."""
        key = (str(sorted((scope or {"type": "default"}).items())), language_code)
        return self._world.commands.get(key, [])

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot uploaded (or a user sent)."""
        return self._world.files[file_id].data

    @property
    def calls(self) -> list[ApiCall]:
        """Every method call the bot made, in order."""
        return self._world.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self._world.calls if c.method.lower() == method.lower()]

    @property
    def rate_violations(self) -> list[RateViolation]:
        """Sends over Telegram's limits (empty unless `rate_limits` was given)."""
        return self._limiter.violations if self._limiter else []

    @property
    def injected_faults(self) -> list[tuple[str, int]]:
        """(method, error code) of every fault injected so far."""
        return self._faults.injected if self._faults else []

    @property
    def pending_updates(self) -> int:
        return len(self._world.pending)
