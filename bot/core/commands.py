"""The commands a person can give (/menu, /language …): one list, from which the bot's command
menu (`bot.channels.telegram.app.set_commands`), the /help text and the engine's handling
(`engine.on_command`) are derived. An unknown command is answered with /help."""
from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import N_


@dataclass(frozen=True)
class PersonCommand:
    name: str
    menu: str
    """Its description in the messenger's command menu (a msgid)."""
    help: str | None = None
    """Its line in /help (a msgid); None: not listed there."""


COMMANDS = (
    PersonCommand("start", N_("Start again")),
    PersonCommand("menu", N_("Main menu"), N_("main menu")),
    PersonCommand("language", N_("Change the language"), N_("change the language")),
    PersonCommand("counsellor", N_("Talk to a counsellor"), N_("talk to a person")),
    PersonCommand("voice", N_("Answers read aloud"), N_("answers read aloud, on or off")),
    PersonCommand("privacy", N_("Your data and privacy"), N_("what happens with your data")),
    PersonCommand("delete", N_("Delete everything about me"), N_("delete everything about you")),
    PersonCommand("help", N_("How Lotse works")),
)
NAMES = tuple(command.name for command in COMMANDS)


def offered(voiced: bool) -> tuple[PersonCommand, ...]:
    """The commands the menu and /help show a person: /voice only where a voice reads their
    language (`voiced`; typed elsewhere it says there is none)."""
    return tuple(c for c in COMMANDS if voiced or c.name != "voice")
