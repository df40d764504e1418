"""Logging set-up: one line per record, and only Lotse's own loggers go below INFO.

Lotse's log lines carry ids and event names, never names, phone numbers or message text. Other
libraries do not promise that at DEBUG (aiosqlite logs every SQL call with its parameters, i.e.
the person's state and answers), so `LOG_LEVEL=DEBUG` lowers the `bot` loggers only."""
from __future__ import annotations

import logging
import sys

OWN = "bot"
QUIET = {"alembic": logging.WARNING}
"""Libraries that are noisy even at INFO."""


def configure(level: str) -> None:
    """Log to stderr at `level` (a name such as "INFO"); other libraries at INFO at most."""
    number = logging.getLevelName(level)
    logging.basicConfig(level=max(number, logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger(OWN).setLevel(number)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, number))
