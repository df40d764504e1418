"""The conversation in a terminal: buttons shown as numbers, state kept in the same database.

Works interactively and with piped input (one line per message); ends with the input. Piped input
is echoed (`> text`) before its answer, so that the output reads as a transcript."""
from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.core import bidi, telegram_html
from bot.core.events import Command, Event, Reply, Start, typed
from bot.services.conversation import Conversations, Person


def render(reply: Reply) -> str:
    """A reply as terminal text: markup removed, each button with the number that presses it."""
    lines = [bidi.strip_marks(telegram_html.parse(reply.text))]
    for row in reply.buttons:
        for button in row:
            label = bidi.strip_marks(button.label)
            if button.url:
                lines.append(f"   {label}: {button.url}")
            elif button.data:
                lines.append(f"  [{button.data.index + 1}] {label}")
    return "\n".join(lines)


async def chat(conversations: Conversations, *, lang: str | None, user: str,
               stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    person = Person("console", user)
    interactive = stdin.isatty()

    def show(replies: list[Reply]) -> None:
        for reply in replies:
            print(render(reply), end="\n\n", file=stdout)
        stdout.flush()

    first: Event = Command("language", lang) if lang else Start()
    show(await conversations.handle(person, first))
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            return 0
        line = line.strip()
        if line and not interactive:  # a terminal shows what was typed; a pipe does not
            print(f"> {line}", file=stdout)
        if line in ("/quit", "/exit"):
            return 0
        if line:
            show(await conversations.handle(person, typed(line)))
