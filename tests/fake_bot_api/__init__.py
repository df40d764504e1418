"""A local fake of the Telegram Bot API for end-to-end tests (see README.md)."""
from .actors import FakeGroup, FakeUser
from .errors import ApiError
from .markup import HtmlParseError, ParsedText, parse_html, utf16_len
from .models import ApiCall, Button, FakeCallback, SentMessage, Topic
from .policies import Faults, RateLimits, RateViolation
from .server import FakeBotApi

__all__ = [
    "ApiCall", "ApiError", "Button", "FakeBotApi", "FakeCallback", "FakeGroup", "FakeUser",
    "Faults", "HtmlParseError", "ParsedText", "RateLimits", "RateViolation", "SentMessage",
    "Topic", "parse_html", "utf16_len",
]
