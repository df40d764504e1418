"""The plumbing of handling one event in the engine: the person's language, replies with live
buttons, effects."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from babel.support import NullTranslations

from bot.core import bidi, speech
from bot.core.content.model import Content
from bot.core.events import Button, Choice, Effect, Reply, ReplyKind, SetLocale
from bot.core.i18n import N_, is_rtl
from bot.core.state import Action, Option, State
from bot.core.telegram_html import escape

NO_VOICE = N_("There is no voice for your language yet. Please read the text, or talk to a "
              "counsellor.")


@dataclass(frozen=True)
class Step:
    state: State
    replies: list[Reply]
    effects: list[Effect]


@dataclass
class Handling:
    """One event being handled: collects replies, effects and the buttons that become live.

    The screens themselves are in the subclasses (`intake`, `engine`)."""

    content: Content
    state: State
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    new_options: list[Option] = field(default_factory=list)

    # ----- plumbing ---------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        return self.state.locale or self.content.languages.default_language

    @property
    def t(self) -> NullTranslations:
        return self.content.ui.get(self.locale)

    def _(self, message: str, **values: str) -> str:
        """An interface string in the person's language, HTML-escaped, with values filled in."""
        return escape(self.t.gettext(message).format(**values))

    def say(self, text: str, rows: Sequence[Sequence[tuple[str, Action] | Button]] = (),
            kind: ReplyKind = ReplyKind.ANSWER) -> None:
        """Queue a reply; buttons given as (label, action) become live options."""
        rtl = is_rtl(self.locale)
        built: list[tuple[Button, ...]] = []
        for row in rows:
            buttons = []
            for item in row:
                if isinstance(item, Button):
                    buttons.append(Button(bidi.RLM + item.label if rtl else item.label,
                                          url=item.url))
                    continue
                label, action = item
                data = Choice(self.state.screen + 1, len(self.new_options))
                self.new_options.append(Option(action, label))
                buttons.append(Button(bidi.RLM + label if rtl else label, data=data))
            built.append(tuple(buttons))
        self.replies.append(Reply(bidi.for_rtl(text) if rtl else text, tuple(built), kind))

    def result(self) -> Step:
        if self.new_options:
            self.state.screen += 1
            self.state.options = self.new_options
        return Step(self.state, self.replies, self.effects)

    def label(self, texts: dict[str, str], lang: str | None = None) -> str:
        return self.content.pick(texts, lang or self.locale).text

    def nav_row(self, *, back: bool = True, counsellor: bool = True) -> list[tuple[str, Action]]:
        """Back, menu and counsellor: the way out of every screen."""
        arrow = "▶" if is_rtl(self.locale) else "◀"
        row: list[tuple[str, Action]] = []
        if back:
            row.append((arrow + " " + self.t.gettext("Back"), ("back", "")))
        row.append(self.menu_button())
        if counsellor:
            row.append(("👤 " + self.t.gettext("Counsellor"), ("counsellor", "")))
        return row

    def listen_row(self, key: str, recorded: bool = False) -> list[list[tuple[str, Action]]]:
        """"🔊 Listen" under a text that can be read aloud (`key`: "faq:<entry>" or
        "node:<flow>/<node>", `FlowHandling.read_again`), when a voice reads the person's
        language or the county `recorded` the text; else no row."""
        if not recorded and self.locale not in self.content.voices:
            return []
        return [[("🔊 " + self.t.gettext("Listen"), ("speak", key))]]

    def read_aloud(self, html: str, recording: str | None = None) -> None:
        """`html` as a voice note (`Reply.voice`), read in the person's language with the
        glossary's German terms in German; `recording`: the county's own audio of it."""
        content = self.content
        self.replies.append(Reply("", voice=speech.speech(
            html, self.locale, content.languages.default_language, content.glossary,
            self._(NO_VOICE), recording)))

    def set_locale(self, locale: str) -> None:
        self.state.locale = locale
        self.effects.append(SetLocale(locale))

    def main_menu(self) -> None:
        raise NotImplementedError

    def menu_button(self) -> tuple[str, Action]:
        return "☰ " + self.t.gettext("Menu"), ("menu", "")

    def counsellor_button(self) -> tuple[str, Action]:
        return "👤 " + self.t.gettext("Talk to a counsellor"), ("counsellor", "")
