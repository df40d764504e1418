"""One list of the commands a person can give (`bot.core.commands`): the engine handles each of
them and nothing else, /help lists them, and the bot's command menu is made from it."""
from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.channels.telegram.app import set_commands
from bot.core import bidi, telegram_html
from bot.core.commands import COMMANDS, NAMES, offered
from bot.core.content.model import Content
from bot.core.engine import _Handling, step
from bot.core.events import Command
from bot.core.state import State


def shown(content: Content, command: Command) -> str:
    replies = step(content, State(locale="en"), command).replies
    return "\n\n".join(bidi.strip_marks(telegram_html.parse(r.text)) for r in replies)


def test_the_engine_handles_every_command_of_the_list_and_no_other(content: Content) -> None:
    assert set(_Handling(content, State(locale="en")).commands("")) == set(NAMES)
    help_text = shown(content, Command("help"))
    assert shown(content, Command("nonsense")) == help_text
    assert all(shown(content, Command(name)) != help_text for name in NAMES if name != "help")


def test_help_lists_the_commands_with_a_help_line(content: Content) -> None:
    lines = [line for line in shown(content, Command("help")).splitlines()
             if line.startswith("• /")]
    assert [line.split()[1] for line in lines] == [f"/{c.name}" for c in offered(False) if c.help]
    assert "• /menu main menu" in lines


class RecordingBot:
    def __init__(self) -> None:
        self.menus: dict[str | None, list[tuple[str, str]]] = {}

    async def set_my_commands(self, commands, scope, language_code):  # type: ignore[no-untyped-def]
        self.menus[language_code] = [(c.command, c.description) for c in commands]


def test_the_command_menu_is_the_list_in_every_language(content: Content) -> None:
    bot = RecordingBot()
    asyncio.run(set_commands(bot, replace(content, voices=frozenset({"de"}))))  # type: ignore[arg-type]
    assert set(bot.menus) == {None, *content.languages.languages}
    for code, menu in bot.menus.items():
        voiced = code in (None, "de")  # /voice where a voice reads the language
        assert [name for name, _ in menu] == [c.name for c in offered(voiced)], code
    assert "voice" in NAMES and [c.name for c in offered(True)] == list(NAMES)
    german = content.ui.get("de")
    assert bot.menus["de"] == [(c.name, german.gettext(c.menu)) for c in COMMANDS]
