"""Validation of `reply_markup` the way the Bot API checks inline keyboards."""
from __future__ import annotations

from typing import Any

from .errors import ApiError, bad_request

# Fields of InlineKeyboardButton of which exactly one must be set.
ACTION_FIELDS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                 "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                 "copy_text", "callback_game", "pay")
_URL_SCHEMES = ("http://", "https://", "tg://")


def _button_error(reason: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def _check_button(button: object) -> None:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    actions = [name for name in ACTION_FIELDS if name in button]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if not text.strip():
        raise bad_request("text buttons are unsupported")
    if len(actions) > 1:
        raise _button_error(f"exactly one of the fields {', '.join(actions)} must be used "
                            "(strict check of the fake)")
    data = button.get("callback_data")
    if "callback_data" in button and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button and not (isinstance(url, str) and url.startswith(_URL_SCHEMES)
                                and len(url) > len(url.split("//")[0]) + 2):
        raise bad_request("BUTTON_URL_INVALID")


def inline_keyboard(markup: Any) -> dict[str, Any] | None:
    """Validate `markup`; return it if it is an inline keyboard (the only kind a Message carries).

    Reply keyboards, ReplyKeyboardRemove and ForceReply are accepted and return None.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            _check_button(button)
    return {"inline_keyboard": rows}
