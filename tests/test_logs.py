"""LOG_FORMAT=json: one JSON object per record with the message's ids as keys of their own."""
from __future__ import annotations

import json
import logging
import sys

from bot.logs import JsonFormatter, pairs


def record(message: str, *args: object, exc_info: bool = False) -> logging.LogRecord:
    return logging.LogRecord("bot.handoff.outbox", logging.WARNING, __file__, 1, message, args,
                             sys.exc_info() if exc_info else None)


def test_a_record_is_one_line_of_json_with_its_ids() -> None:
    line = JsonFormatter().format(record("outbox row=%s kind=%s case=%s attempt %d failed, "
                                         "next in %.0fs: %s", 5, "case_note", 12, 2, 4.0,
                                         "TelegramServerError"))
    assert "\n" not in line
    data = json.loads(line)
    assert data.pop("time").endswith("+00:00")
    assert data == {"level": "WARNING", "logger": "bot.handoff.outbox",
                    "message": "outbox row=5 kind=case_note case=12 attempt 2 failed, next in "
                               "4s: TelegramServerError",
                    "row": 5, "kind": "case_note", "case": 12}


def test_ids_never_replace_the_fixed_keys_and_a_traceback_stays_on_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        line = JsonFormatter().format(record("level=x message=y user=%s", 7, exc_info=True))
    data = json.loads(line)
    assert (data["level"], data["message"], data["user"]) == ("WARNING", "level=x message=y user=7",
                                                              7)
    assert "ValueError: boom" in data["exception"] and "\n" not in line


def test_pairs_reads_numbers_and_drops_trailing_punctuation() -> None:
    assert pairs("STAFF_CHAT_ID=-1009876543210: chat not found") == {
        "STAFF_CHAT_ID": -1009876543210}
    assert pairs("429 person chat retry_after=3.5") == {"retry_after": 3.5}
    assert pairs("Update id=12 is handled by bot id=99") == {"id": 12}  # the first one
    assert pairs("ratio=nan mode=polling.") == {"ratio": "nan", "mode": "polling"}
