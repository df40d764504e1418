"""The Bot API methods the fake implements, with Telegram's checks and error answers.

`BotApiMethods.call(name, params)` runs one method against the `World` and returns its result
or raises `ApiError`. Method names are case-insensitive, as in the real Bot API.
"""
from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import (
    NOT_FOUND,
    NOT_MODIFIED,
    POLL_TERMINATED,
    QUERY_TOO_OLD,
    WEBHOOK_ACTIVE,
    bad_request,
    forbidden,
)
from .keyboards import inline_keyboard
from .markup import HtmlParseError, ParsedText, parse_html, trim, utf16_len
from .models import Chat, SentMessage, StoredFile, Topic
from .params import Params, Upload
from .policies import RateLimiter
from .world import DEFAULT_UPDATE_TYPES, Webhook, World, media_content

Handler = Callable[["BotApiMethods", Params], Awaitable[Any]]
_HANDLERS: dict[str, Handler] = {}

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note"})
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_ADMIN_RIGHTS = {
    "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
    "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
    "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
    "can_post_stories": True, "can_edit_stories": True, "can_delete_stories": True,
    "can_send_welcome_messages": True, "can_pin_messages": True, "can_manage_topics": True}


def api_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[name.lower()] = handler
        return handler
    return register


class BotApiMethods:
    """Implements the methods on a World; `rate_limiter` (if any) guards every send."""

    def __init__(self, world: World, rate_limiter: RateLimiter | None = None,
                 callback_timeout: float = 15.0) -> None:
        self.world = world
        self.rate_limiter = rate_limiter
        self.callback_timeout = callback_timeout

    @staticmethod
    def exists(name: str) -> bool:
        return name.lower() in _HANDLERS

    async def call(self, name: str, params: Params) -> Any:
        handler = _HANDLERS.get(name.lower())
        if handler is None:
            raise NOT_FOUND
        return await handler(self, params)

    # ---- lookups shared by the methods -------------------------------------------------------

    def chat(self, params: Params, name: str = "chat_id") -> Chat:
        raw = params.text(name)
        if not raw:
            raise bad_request(f"{name} is empty")
        if raw.startswith("@"):
            found = [c for c in self.world.chats.values() if c.username == raw[1:]]
        else:
            found = [self.world.chats[int(raw)]] if raw.lstrip("-").isdigit() and \
                int(raw) in self.world.chats else []
        if not found:
            raise bad_request("chat not found")
        return found[0]

    def check_can_write(self, chat: Chat) -> None:
        if chat.type != "private":
            return
        user = self.world.users[chat.id]
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not user.started:
            raise forbidden("bot can't initiate conversation with a user")

    def thread(self, chat: Chat, params: Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if thread_id is None:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        if topic.closed:
            raise bad_request("TOPIC_CLOSED")
        return thread_id

    def message(self, chat: Chat, message_id: int | None, not_found: str) -> SentMessage:
        message = chat.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise bad_request(not_found)
        return message

    def reply_to(self, chat: Chat, params: Params) -> int | None:
        reply = params.json("reply_parameters") or {}
        message_id = reply.get("message_id") if isinstance(reply, dict) else None
        message_id = message_id or params.integer("reply_to_message_id")
        if message_id is None:
            return None
        allow_missing = params.flag("allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply") is True)
        found = chat.messages.get(int(message_id))
        if found is None or found.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return found.message_id

    def formatted(self, params: Params, field: str, limit: int) -> tuple[ParsedText, str | None]:
        """Parse text or caption per parse_mode, trim it and check its length in UTF-16 units."""
        raw = params.text(field)
        parse_mode = (params.text("parse_mode") or "").lower()
        if raw is None:
            parsed = ParsedText("")
        elif parse_mode == "html":
            try:
                parsed = parse_html(raw, strict_ampersand=self.world.strict_html)
            except HtmlParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif parse_mode in ("", "markdown", "markdownv2"):  # Markdown is stored unparsed
            parsed = ParsedText(raw, tuple(params.json(f"{field}_entities" if field == "caption"
                                                       else "entities") or ()))
        else:
            raise bad_request("unsupported parse_mode")
        parsed = trim(parsed)
        if utf16_len(parsed.text) > limit:
            raise bad_request("message is too long" if field == "text"
                              else "message caption is too long")
        return parsed, raw

    def deliver(self, method: str, chat: Chat, params: Params, kind: str, parsed: ParsedText,
                raw: str | None, content: dict[str, Any]) -> SentMessage:
        """The common tail of every send: markup, thread, reply, permission, flood limits."""
        markup = inline_keyboard(params.json("reply_markup"))
        thread_id = self.thread(chat, params)
        reply_to = self.reply_to(chat, params)
        if thread_id is None and reply_to is not None:
            thread_id = chat.messages[reply_to].thread_id
        self.check_can_write(chat)
        if self.rate_limiter is not None:
            self.rate_limiter.check(chat.id, chat.type == "private", method)
        return self.world.add_message(
            chat, self.world.bot_id, kind, text=parsed.text or None,
            html=raw, entities=parsed.entities, reply_markup=markup, thread_id=thread_id,
            reply_to=reply_to, content=content)

    def input_file(self, params: Params, name: str, extension: str
                   ) -> tuple[StoredFile, Upload | None]:
        value = params.file(name)
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, Upload):
            return self.world.store_file(value.data, f"{name}s", extension), value
        if value in self.world.files:
            return self.world.files[value], None
        if value.startswith(("http://", "https://")):
            return self.world.store_file(b"", f"{name}s", extension), None
        raise bad_request("wrong file identifier/HTTP URL specified")

    def topic(self, params: Params) -> tuple[Chat, Topic]:
        chat = self.chat(params)
        thread_id = params.required_int("message_thread_id", "message thread not found")
        if thread_id not in chat.topics:
            raise bad_request("message thread not found")
        return chat, chat.topics[thread_id]

    def member_json(self, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == self.world.bot_id:
            user = self.world.bot_json()
            status = "member" if chat.type == "private" else chat.members.get(user_id, "left")
        elif user_id in self.world.users:
            user = self.world.users[user_id].to_json()
            status = ("member" if chat.id == user_id else
                      chat.members.get(user_id, "left"))
        else:
            raise bad_request("PARTICIPANT_ID_INVALID")
        if status == "administrator":
            return {"status": status, "user": user} | _ADMIN_RIGHTS
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "kicked":
            return {"status": status, "user": user, "until_date": 0}
        return {"status": status, "user": user}


# ---- updates and webhooks ------------------------------------------------------------------

@api_method("getMe")
async def get_me(api: BotApiMethods, params: Params) -> Any:
    return api.world.bot_json() | {
        "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False,
        "has_main_web_app": False}


@api_method("getUpdates")
async def get_updates(api: BotApiMethods, params: Params) -> Any:
    world = api.world
    if world.webhook is not None:
        raise WEBHOOK_ACTIVE
    allowed = params.json("allowed_updates")
    if allowed is not None:
        world.allowed_updates = frozenset(allowed) or DEFAULT_UPDATE_TYPES
    offset = params.integer("offset")
    if offset:
        world.confirm(offset)
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = max(params.integer("timeout") or 0, 0)
    world.poll_generation += 1
    generation = world.poll_generation
    world.changed.notify()  # terminates an older long poll still waiting

    def ready() -> bool | None:
        if world.poll_generation != generation:
            raise POLL_TERMINATED
        return True if world.pending or world.closed else None

    await world.changed.wait_for(ready, timeout)
    batch = world.pending[:limit]
    for update in batch:
        update.handed_out = True
    return [update.payload for update in batch]


@api_method("setWebhook")
async def set_webhook(api: BotApiMethods, params: Params) -> Any:
    url = params.text("url") or ""
    if not url:
        return await delete_webhook(api, params)
    if not url.startswith(("https://", "http://")):  # plain http allowed: the fake is local
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = params.json("allowed_updates")
    if allowed is not None:
        api.world.allowed_updates = frozenset(allowed) or DEFAULT_UPDATE_TYPES
    if params.flag("drop_pending_updates"):
        api.world.pending.clear()
    api.world.webhook = Webhook(url, secret, params.integer("max_connections") or 40)
    api.world.changed.notify()
    return True


@api_method("deleteWebhook")
async def delete_webhook(api: BotApiMethods, params: Params) -> Any:
    if params.flag("drop_pending_updates"):
        api.world.pending.clear()
    api.world.webhook = None
    api.world.changed.notify()
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(api: BotApiMethods, params: Params) -> Any:
    hook = api.world.webhook
    info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                            "pending_update_count": len(api.world.pending)}
    if hook is not None:
        info["max_connections"] = hook.max_connections
        info["allowed_updates"] = sorted(api.world.allowed_updates)
        if hook.last_error_date is not None:
            info |= {"last_error_date": hook.last_error_date,
                     "last_error_message": hook.last_error_message}
    return info


# ---- sending -------------------------------------------------------------------------------

@api_method("sendMessage")
async def send_message(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    parsed, raw = api.formatted(params, "text", TEXT_LIMIT)
    if not parsed.text:
        raise bad_request("message text is empty")
    message = api.deliver("sendMessage", chat, params, "text", parsed, raw, {})
    return api.world.message_json(message)


async def _send_media(api: BotApiMethods, params: Params, kind: str, extension: str) -> Any:
    chat = api.chat(params)
    stored, upload = api.input_file(params, kind, extension)
    parsed, raw = api.formatted(params, "caption", CAPTION_LIMIT)
    content = media_content(kind, stored, file_name=upload.filename if upload else None,
                            mime_type=upload.content_type if upload else None)
    message = api.deliver(f"send{kind.title()}", chat, params, kind, parsed, raw, content)
    return api.world.message_json(message)


@api_method("sendPhoto")
async def send_photo(api: BotApiMethods, params: Params) -> Any:
    return await _send_media(api, params, "photo", "jpg")


@api_method("sendDocument")
async def send_document(api: BotApiMethods, params: Params) -> Any:
    return await _send_media(api, params, "document", "bin")


@api_method("sendVoice")
async def send_voice(api: BotApiMethods, params: Params) -> Any:
    return await _send_media(api, params, "voice", "oga")


@api_method("copyMessage")
async def copy_message(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    source_chat = api.chat(params, "from_chat_id")
    source = api.message(source_chat, params.integer("message_id"), "message to copy not found")
    if source.is_service:
        raise bad_request("message can't be copied")
    if "caption" in params and source.kind != "text":
        parsed, raw = api.formatted(params, "caption", CAPTION_LIMIT)
    else:
        parsed, raw = ParsedText(source.text or "", source.entities), source.html
    message = api.deliver("copyMessage", chat, params, source.kind, parsed, raw,
                          dict(source.content))
    return {"message_id": message.message_id}


@api_method("sendChatAction")
async def send_chat_action(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api.thread(chat, params)
    api.check_can_write(chat)
    return True


# ---- editing -------------------------------------------------------------------------------

def _editable(api: BotApiMethods, params: Params) -> SentMessage:
    if "inline_message_id" in params:
        raise bad_request("inline messages are not supported by the fake Bot API")
    chat = api.chat(params)
    message = api.message(chat, params.integer("message_id"), "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _apply_edit(api: BotApiMethods, message: SentMessage, markup: dict[str, Any] | None,
                parsed: ParsedText | None = None, raw: str | None = None) -> Any:
    """Edit markup and, if `parsed` is given, the text; refuse an edit that changes nothing."""
    text, entities = (message.text, message.entities) if parsed is None else \
        (parsed.text, parsed.entities)
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    if parsed is not None:
        message.text, message.html, message.entities = parsed.text, raw, parsed.entities
    message.reply_markup = markup
    message.edit_date = int(time.time())
    api.world.changed.notify()
    return api.world.message_json(message)


@api_method("editMessageText")
async def edit_message_text(api: BotApiMethods, params: Params) -> Any:
    message = _editable(api, params)
    parsed, raw = api.formatted(params, "text", TEXT_LIMIT)
    if not parsed.text:
        raise bad_request("message text is empty")
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    # Like Telegram: leaving out reply_markup removes the inline keyboard.
    return _apply_edit(api, message, inline_keyboard(params.json("reply_markup")), parsed, raw)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: BotApiMethods, params: Params) -> Any:
    message = _editable(api, params)
    return _apply_edit(api, message, inline_keyboard(params.json("reply_markup")))


@api_method("deleteMessage")
async def delete_message(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    message = api.message(chat, params.integer("message_id"), "message to delete not found")
    message.deleted = True
    api.world.changed.notify()
    return True


@api_method("answerCallbackQuery")
async def answer_callback_query(api: BotApiMethods, params: Params) -> Any:
    callback = api.world.callbacks.get(params.text("callback_query_id") or "")
    if (callback is None or callback.answer is not None
            or time.monotonic() - callback.created > api.callback_timeout):
        raise bad_request(QUERY_TOO_OLD)
    callback.answer = params.record()
    callback.answered.set()
    return True


# ---- commands and files --------------------------------------------------------------------

def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json("scope") or {"type": "default"}
    return (str(sorted(scope.items())), params.text("language_code") or "")


@api_method("setMyCommands")
async def set_my_commands(api: BotApiMethods, params: Params) -> Any:
    commands = params.json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("parameter \"commands\" must be an Array of at most 100 BotCommand")
    for command in commands:
        if not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    api.world.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands]
    return True


@api_method("getMyCommands")
async def get_my_commands(api: BotApiMethods, params: Params) -> Any:
    return api.world.commands.get(_commands_key(params), [])


@api_method("deleteMyCommands")
async def delete_my_commands(api: BotApiMethods, params: Params) -> Any:
    api.world.commands.pop(_commands_key(params), None)
    return True


@api_method("getFile")
async def get_file(api: BotApiMethods, params: Params) -> Any:
    stored = api.world.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_json()


# ---- chats and members ---------------------------------------------------------------------

@api_method("getChat")
async def get_chat(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    return chat.to_json() | {
        "accent_color_id": 0, "max_reaction_count": 11,
        "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                "unique_gifts": False, "premium_subscription": False,
                                "gifts_from_channels": False}}


@api_method("getChatMember")
async def get_chat_member(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    return api.member_json(chat, params.required_int("user_id", "user_id is empty"))


@api_method("getChatAdministrators")
async def get_chat_administrators(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    admins = [uid for uid, status in chat.members.items() if status in ("creator", "administrator")]
    return [api.member_json(chat, uid) for uid in admins]


# ---- forum topics --------------------------------------------------------------------------

@api_method("createForumTopic")
async def create_forum_topic(api: BotApiMethods, params: Params) -> Any:
    chat = api.chat(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    name = (params.text("name") or "").strip()
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
    topic = Topic(0, name, params.integer("icon_color") or 7322096,
                  params.text("icon_custom_emoji_id"))
    service = api.world.add_message(chat, api.world.bot_id, "forum_topic_created", content={
        "forum_topic_created": {"name": name, "icon_color": topic.icon_color}})
    topic.thread_id = service.thread_id = service.message_id
    chat.topics[topic.thread_id] = topic
    return topic.to_json()


@api_method("editForumTopic")
async def edit_forum_topic(api: BotApiMethods, params: Params) -> Any:
    _, topic = api.topic(params)
    name = params.text("name")
    emoji = params.text("icon_custom_emoji_id")
    if name in (None, topic.name) and emoji in (None, topic.icon_custom_emoji_id):
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name = name or topic.name
    topic.icon_custom_emoji_id = topic.icon_custom_emoji_id if emoji is None else emoji or None
    api.world.changed.notify()  # tests wait on topic names too
    return True


async def _set_closed(api: BotApiMethods, params: Params, closed: bool) -> Any:
    _, topic = api.topic(params)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    api.world.changed.notify()
    return True


@api_method("closeForumTopic")
async def close_forum_topic(api: BotApiMethods, params: Params) -> Any:
    return await _set_closed(api, params, True)


@api_method("reopenForumTopic")
async def reopen_forum_topic(api: BotApiMethods, params: Params) -> Any:
    return await _set_closed(api, params, False)


@api_method("deleteForumTopic")
async def delete_forum_topic(api: BotApiMethods, params: Params) -> Any:
    chat, topic = api.topic(params)
    del chat.topics[topic.thread_id]
    for message in chat.messages.values():
        if message.thread_id == topic.thread_id:
            message.deleted = True
    api.world.changed.notify()
    return True
