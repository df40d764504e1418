"""The one retry policy for Bot API calls (`RetryPolicy`): wait out a 429's `retry_after`, retry
5xx answers and network errors (timeouts) after growing pauses, give up after a bounded number of
attempts. Logs name the method (and the chat), never what was sent.

The `Sender` applies it, paced, to everything that goes to people. `RetrySafeCalls` applies it in
the HTTP session to the calls that change nothing when repeated: those made at start-up
(deleteWebhook, setMyCommands, getMe, setWebhook), also when aiogram makes them itself, and the
staff gate's getChatMember; so a hiccup at Telegram while the bot starts never ends the process.
Deliberately not retried: answerCallbackQuery (the spinner stops by itself, and an answer is only
accepted for a few seconds), getUpdates (aiogram's polling loop backs off on its own), and the
outbox worker's calls (it retries whole rows, from the database)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.ops import metrics

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

log = logging.getLogger(__name__)
T = TypeVar("T")
SAFE_TO_REPEAT = frozenset({"deleteWebhook", "setMyCommands", "getMe", "setWebhook",
                            "getChatMember"})


def method_name(exc: TelegramAPIError) -> str:
    return exc.method.__api_method__


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries. After a 429 the next try waits `retry_after` (at most
    `longest_retry_after`); after a 5xx or a network error it waits `first_pause`, then twice as
    long each time, at most `longest_pause`. With the defaults a call is given up after about
    half a minute of failures; 20 % random failures lose one call in ten million."""

    path: str = "reply"
    """The `path` label of the retries in the metrics: "reply" for the Sender, "setup" for the
    calls RetrySafeCalls repeats."""
    attempts: int = 10
    first_pause: float = 0.5
    longest_pause: float = 5.0
    longest_retry_after: float = 60.0

    def pause(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th try failed with a 5xx or a network error."""
        return min(self.first_pause * 2 ** (attempt - 1), self.longest_pause)

    async def run(self, call: Callable[[], Awaitable[T]], *, chat_id: int | None = None,
                  before_attempt: Callable[[], Awaitable[None]] | None = None,
                  hold: Callable[[float], Awaitable[None]] | None = None) -> T:
        """`call()` until it succeeds; the last failure is raised. `before_attempt` runs before
        every try (the Sender's pacing); `hold(seconds)`, if given, replaces the sleep after a
        429 (the Sender holds the chat's pacing instead, which `before_attempt` then waits out).
        Other errors (400, 403 …) are raised at once."""
        where = "" if chat_id is None else f" chat={chat_id}"
        for attempt in range(1, self.attempts + 1):
            if before_attempt is not None:
                await before_attempt()
            try:
                return await call()
            except TelegramRetryAfter as exc:
                log.warning("%s%s 429 retry_after=%s attempt %d/%d", method_name(exc), where,
                            exc.retry_after, attempt, self.attempts)
                if attempt == self.attempts:
                    raise
                metrics.SEND_RETRIES.labels(self.path, "429").inc()
                wait = min(float(exc.retry_after), self.longest_retry_after)
                if hold is None:
                    await asyncio.sleep(wait)
                else:
                    await hold(wait)
            except (TelegramServerError, TelegramNetworkError) as exc:
                log.warning("%s%s %s attempt %d/%d", method_name(exc), where,
                            type(exc).__name__, attempt, self.attempts)
                if attempt == self.attempts:
                    raise
                metrics.SEND_RETRIES.labels(self.path, metrics.retry_reason(exc)).inc()
                await asyncio.sleep(self.pause(attempt))
        raise AssertionError("unreachable")


DEFAULT_POLICY = RetryPolicy()
SETUP_POLICY = RetryPolicy(path="setup")


class RetrySafeCalls(BaseRequestMiddleware):
    """A session middleware: the calls in SAFE_TO_REPEAT go through `policy`, the rest as they
    are (`bot.session.middleware(RetrySafeCalls())`)."""

    def __init__(self, policy: RetryPolicy = SETUP_POLICY) -> None:
        self.policy = policy

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        if method.__api_method__ not in SAFE_TO_REPEAT:
            return await make_request(bot, method)
        return await self.policy.run(lambda: make_request(bot, method))
