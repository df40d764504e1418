"""Logging set-up: one record per line, as text or as JSON, and only Lotse's own loggers go below
INFO.

Lotse's log lines carry ids and event names, never names, phone numbers or message text. Other
libraries do not promise that at DEBUG (aiosqlite logs every SQL call with its parameters, i.e.
the person's state and answers), so `LOG_LEVEL=DEBUG` lowers the `bot` loggers only."""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys

OWN = "bot"
QUIET = {"alembic": logging.WARNING}
"""Libraries that are noisy even at INFO."""
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS = ("time", "level", "logger", "message", "exception")
"""The keys every JSON line may have; ids found in the message never replace them."""
_PAIR = re.compile(r"(?<![\w.=-])([A-Za-z_][A-Za-z0-9_]*)=([^\s,;]+)")
"""`key=value` in a message, as Lotse writes ids: `case opened case=12 user=7`."""
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d+")


def pairs(message: str) -> dict[str, int | float | str]:
    """The `key=value` ids of a log message (the first of a repeated key); numbers as numbers, a
    trailing colon or full stop dropped (`STAFF_CHAT_ID=-100123:` → -100123)."""
    found: dict[str, int | float | str] = {}
    for key, raw in _PAIR.findall(message):
        value = raw.rstrip(":.") or raw
        found.setdefault(key, int(value) if _INT.fullmatch(value) else
                         float(value) if _FLOAT.fullmatch(value) else value)
    return found


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the message's
    `key=value` ids as keys of their own, and the traceback as `exception` when there is one.
    It carries exactly what the text line carries, so the same privacy rules hold."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": message}
        line.update({k: v for k, v in pairs(message).items() if k not in FIELDS})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, style: str = "text") -> None:
    """Log to stderr at `level` (a name such as "INFO"), as `style` ("text" or "json"); other
    libraries at INFO at most."""
    number = logging.getLevelName(level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=max(number, logging.INFO), handlers=[handler])
    logging.getLogger(OWN).setLevel(number)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, number))
