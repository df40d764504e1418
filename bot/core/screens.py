"""The engine's fixed screens: the main menu, the language picker, help, privacy, erasure, and
the notice that a part of the menu is gone (`ScreenHandling`, between `SignalHandling` and the
answers in `bot.core.answers`)."""
from __future__ import annotations

from bot.core.commands import offered
from bot.core.events import EraseMe, ReplyKind
from bot.core.i18n import native_name
from bot.core.signal_handling import SignalHandling
from bot.core.state import Action
from bot.core.telegram_html import escape


class ScreenHandling(SignalHandling):
    """The screens that are the same wherever the person comes from."""

    def main_menu(self) -> None:
        self.state.flow = self.state.node = None
        self.state.trail.clear()
        rows: list[list[tuple[str, Action]]] = [[(self.label(f.title), ("flow", f.id))]
                                                for f in self.content.menu_flows()]
        rows.append([self.counsellor_button()])
        rows.append([("🌐 " + self.t.gettext("Language"), ("language", ""))])
        self.say(self._("What would you like to know? Choose a topic, or write your question in "
                        "your own words."), rows, ReplyKind.MENU)

    def language_picker(self) -> None:
        codes = self.content.languages.languages
        lines = [escape(self.content.ui.get(code).gettext("Please choose your language."))
                 for code in codes]
        unique = list(dict.fromkeys(lines))
        rows = [[(native_name(a), ("locale", a)), (native_name(b), ("locale", b))]
                for a, b in zip(codes[::2], codes[1::2])]
        if len(codes) % 2:
            rows.append([(native_name(codes[-1]), ("locale", codes[-1]))])
        self.say("🌐 " + "\n".join(unique), rows, ReplyKind.MENU)

    def help(self) -> None:
        lines = [self._("How to use Lotse:"), self._("• Press a button, or type its number."),
                 self._("• Or write your question in your own words."),
                 *(f"• /{c.name} " + self._(c.help)
                   for c in offered(self.locale in self.content.voices) if c.help)]
        self.say("\n".join(lines), [[self.menu_button()]])

    def privacy(self) -> None:
        self.say(self._("Your privacy") + "\n\n" +
                 self._("Lotse keeps your language and where you are in the menu, so that it can "
                        "answer you. It does not keep your name or phone number unless you agree "
                        "to talk to a counsellor.") + "\n\n" +
                 self._("If you agree, a counsellor {name_of} sees what you tell them. Nobody "
                        "else does.", name_of=self.label(self.content.organisation.name_of)) +
                 " " +
                 self._("We delete them {days} days after your case is closed.",
                        days=str(self.content.retention_days)) + "\n\n" +
                 "".join(f"{line}\n\n" for line in self.machine_translation_notice()) +
                 self._("You can delete everything at any time with /delete."),
                 [[self.menu_button()]])

    def ask_to_erase(self) -> None:
        self.say(self._("Delete everything?") + "\n\n" +
                 self._("Lotse deletes everything it stored about you: your language, your answers, "
                        "your messages and your cases. An open case is closed, and the "
                        "counsellors only see that it was deleted at your request. This cannot "
                        "be undone."),
                 [[("🗑 " + self.t.gettext("Delete everything"), ("erase", "")),
                   ("✗ " + self.t.gettext("Cancel"), ("menu", ""))]])

    def erase(self) -> None:
        self.effects.append(EraseMe())
        self.say(self._("Done: everything is deleted. If you write again, Lotse starts afresh."))

    def menu_changed(self) -> None:
        """Where a button or the person's place leads is gone: a content reload removed it."""
        self.say(self._("This part of the menu has changed. Here is the main menu."))
        self.main_menu()
