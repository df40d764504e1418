"""What Telegram's two outbox channels (`staff_group`, `people`) share: Telegram's errors told as
the outbox's (`bot.handoff.delivery`), a 429 waited out inside a row or handed back as a rest,
and media sent again by file id."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import LinkPreviewOptions

from bot.core.telegram_html import escape
from bot.handoff.delivery import DeliveryError, RateLimited, Retry, Undeliverable
from bot.ops import metrics

log = logging.getLogger(__name__)

MAX_INLINE_WAIT = 60
"""A 429 up to this many seconds is waited out in the middle of a row."""
CAPTION_TEXT_LIMIT = 1000
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def describe(exc: TelegramAPIError) -> str:
    """For last_error and logs: the class and Telegram's description, never message text."""
    return f"{type(exc).__name__}: {exc.message}"


@contextlib.contextmanager
def classified(beyond_the_row: Callable[[TelegramAPIError], DeliveryError | None]
               ) -> Iterator[None]:
    """Telegram's errors as the outbox's: what `beyond_the_row` names (the staff group is
    unusable, the person is gone) as that, every other one as a `Retry`."""
    try:
        yield
    except TelegramAPIError as exc:
        raise (beyond_the_row(exc) or Retry(describe(exc), metrics.retry_reason(exc))) from exc


def rate_limited(where: str, exc: TelegramRetryAfter) -> None:
    """A 429 (its pause is kept by the caller): counted, and a `RateLimited` when it is longer
    than is waited out inside a row, which ends the row's attempt without counting it."""
    log.warning("429 %s retry_after=%s", where, exc.retry_after)
    metrics.SEND_RETRIES.labels("outbox", "429").inc()
    if exc.retry_after > MAX_INLINE_WAIT:
        raise RateLimited(describe(exc)) from exc


def caption(text: str) -> str:
    """User text as a media caption: escaped, within Telegram's 1024 characters."""
    return escape(text[:CAPTION_TEXT_LIMIT])


async def send_media(bot: Bot, chat_id: int, kind: str, file_id: str, caption: str | None,
                     thread_id: int | None) -> object:
    """A photo, document, voice note or video by its file id (Undeliverable for other kinds)."""
    sends: dict[str, Callable[..., Awaitable[object]]] = {
        "photo": bot.send_photo, "document": bot.send_document, "voice": bot.send_voice,
        "video": bot.send_video}
    send = sends.get(kind)
    if send is None:
        raise Undeliverable(f"cannot send {kind!r}")
    return await send(chat_id, file_id, caption=caption, parse_mode=ParseMode.HTML,
                      message_thread_id=thread_id)
