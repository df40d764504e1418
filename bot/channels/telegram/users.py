"""The migrant's side: private chats with the bot, turned into engine events and back."""
from __future__ import annotations

import contextlib
import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message, User

from bot.channels.telegram.buttons import OptionButton, OriginalButton
from bot.channels.telegram.media import largest_photo
from bot.channels.telegram.render import messages, outgoing
from bot.channels.telegram.sender import Blocked, Sender
from bot.core.events import (
    FOREIGN,
    Choice,
    Event,
    Media,
    MediaKind,
    Reply,
    ReplyKind,
    Start,
    typed,
)
from bot.services.conversation import Conversations, Person

log = logging.getLogger(__name__)
router = Router(name="users")
router.message.filter(F.chat.type == ChatType.PRIVATE)
router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

MEDIA = (("voice", MediaKind.VOICE), ("audio", MediaKind.VOICE), ("video_note", MediaKind.VOICE),
         ("photo", MediaKind.PHOTO), ("video", MediaKind.VIDEO), ("animation", MediaKind.VIDEO),
         ("document", MediaKind.DOCUMENT), ("sticker", MediaKind.STICKER),
         ("location", MediaKind.LOCATION), ("venue", MediaKind.LOCATION),
         ("contact", MediaKind.CONTACT))


def file_ref(message: Message) -> str | None:
    """The file id of a photo (largest size), document, voice note or video, which a counsellor
    can be sent by id; None for anything else (audio, stickers … are not resent as they are)."""
    if message.photo:
        return largest_photo(message.photo)
    item = message.document or message.voice or message.video
    return item.file_id if item is not None else None


def person(user: User) -> Person:
    return Person("telegram", str(user.id))


async def deliver(conversations: Conversations, sender: Sender, user: User, event: Event,
                  update_key: str, pressed: int | None = None) -> None:
    """Run `event` (the update `update_key`, see `app.Dedupe`) and send the replies; a menu
    answering a pressed button replaces that menu."""
    try:
        # the chat is held from handling to the last reply, so two updates answer one after the other
        async with sender.pacer.ordered(user.id):
            replies = await conversations.handle(person(user), event, update_key)
            replace = pressed
            for reply, parts in outgoing(replies):
                if replace is not None and reply.kind is ReplyKind.MENU and len(parts) == 1:
                    target, replace = replace, None
                    if await sender.edit(user.id, target, parts[0]):
                        continue
                for part in parts:
                    await sender.send(user.id, part)
    except Blocked:
        log.info("blocked by user=%s", user.id)
        await conversations.blocked(person(user))


@router.message(CommandStart())
async def on_start(message: Message, command: CommandObject, conversations: Conversations,
                   sender: Sender, update_key: str) -> None:
    assert message.from_user is not None
    event = Start(command.args, message.from_user.language_code)
    await deliver(conversations, sender, message.from_user, event, update_key)


@router.message(F.text)
async def on_text(message: Message, conversations: Conversations, sender: Sender,
                  update_key: str) -> None:
    assert message.from_user is not None and message.text is not None
    await deliver(conversations, sender, message.from_user, typed(message.text), update_key)


@router.message()
async def on_other(message: Message, conversations: Conversations, sender: Sender,
                   update_key: str) -> None:
    assert message.from_user is not None
    kind = next((k for attr, k in MEDIA if getattr(message, attr, None)), MediaKind.OTHER)
    await deliver(conversations, sender, message.from_user, Media(kind, file_ref(message)),
                  update_key)


@router.callback_query(OptionButton.filter())
async def on_button(query: CallbackQuery, callback_data: OptionButton,
                    conversations: Conversations, sender: Sender, update_key: str) -> None:
    await answer_press(query, callback_data.choice, conversations, sender, update_key)


@router.callback_query(OriginalButton.filter())
async def on_original(query: CallbackQuery, callback_data: OriginalButton,
                      conversations: Conversations, sender: Sender) -> None:
    """The German original of a counsellor's machine-translated message, from the transcript
    (the button works as long as the message is stored, restarts included)."""
    with contextlib.suppress(TelegramAPIError):
        await query.answer()
    text = await conversations.original(person(query.from_user), callback_data.message)
    try:
        for part in messages(Reply(text)):
            await sender.send(query.from_user.id, part)
    except Blocked:
        await conversations.blocked(person(query.from_user))


@router.callback_query()
async def on_foreign_button(query: CallbackQuery, conversations: Conversations, sender: Sender,
                            update_key: str) -> None:
    """Data no button of ours carries: the engine answers as for a stale button."""
    await answer_press(query, FOREIGN, conversations, sender, update_key)


async def answer_press(query: CallbackQuery, choice: Choice, conversations: Conversations,
                       sender: Sender, update_key: str) -> None:
    with contextlib.suppress(TelegramAPIError):  # the spinner stops anyway; the reply matters
        await query.answer()
    message = query.message.message_id if query.message else None
    await deliver(conversations, sender, query.from_user, choice, update_key, message)
