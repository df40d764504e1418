"""The engine's answers to signals (`bot.core.signals`) and to the language a text is written in:
the emergency numbers, the one question when a crisis is possible but not clear, and the offer to
switch to the language the person wrote in."""
from __future__ import annotations

from collections.abc import Sequence

from bot.core.events import Button, CrisisSignal, MarkUrgent
from bot.core.i18n import N_, native_name
from bot.core.intake import IntakeHandling
from bot.core.language_id import identify
from bot.core.matcher import Candidate, Confidence
from bot.core.signals import CrisisKind, Signal, asks_an_ordinary_question
from bot.core.state import Action
from bot.core.telegram_html import escape


class SignalHandling(IntakeHandling):
    def on_signal(self, signal: Signal, text: str) -> bool:
        """Act on a crisis in `text`; True when the message needs nothing more."""
        if signal.crisis is None:
            return False
        certain = self.certain(signal, text)
        self.effects.append(CrisisSignal(signal.crisis.value, certain))
        chosen = self.state.locale is not None
        if not chosen and (written := self.written_in(text)) is not None:
            self.set_locale(written)  # the numbers or the question in the language written in
        if certain:
            self.emergency(text, signal.crisis)
            if not chosen and self.state.locale is not None:
                self.language_picker()  # the language was only guessed: one tap corrects it
            return True
        if self.state.case is not None and self.state.intake_step is None:
            self.relay(text=text)  # the counsellor reads it whatever the answer
        self.ask_if_in_danger(text, signal.crisis)
        return True

    def certain(self, signal: Signal, text: str) -> bool:
        """Whether the crisis `signal` found in `text` is taken for certain: a clear one, unless
        the text also asks an ordinary question (outside an open case, where a counsellor reads
        along and a missed crisis costs more than an urgent mark too many)."""
        if not signal.certain or self.state.case is not None:
            return signal.certain
        emergency = self.content.emergency_entry
        return not asks_an_ordinary_question(self.content.matcher, self.content.signals, text,
                                             self.written_in(text) or self.locale,
                                             emergency.id if emergency else None)

    def ask_if_in_danger(self, text: str, kind: CrisisKind) -> None:
        """One question, with the two numbers that help at once under it, and two buttons; "yes"
        is a crisis of the `kind` the text suggested,
        "no" goes on to what the text would have got: the answer (`no:<id>`), the choices
        (`no:?<id>,<id>`) or the "other words" hint (`no:`)."""
        result = self.content.matcher.match(text, self.written_in(text) or self.locale)
        ids = [candidate.entry_id for candidate in result.candidates]
        if result.confidence is Confidence.CONFIDENT:
            answer = ids[0]
        elif result.confidence is Confidence.UNSURE:
            answer = "?" + ",".join(ids[:3])
        else:
            answer = ""
        yes = "🆘 " + self.t.gettext("Yes, I need help now")
        no = "✓ " + self.t.gettext("No, I am safe")
        self.say(self._("Are you in danger right now?") + "\n\n" + self._(NUMBERS_AT_HAND),
                 [[(yes, ("danger", f"yes:{kind.value}"))], [(no, ("danger", f"no:{answer}"))]])

    def act_on_danger(self, arg: str) -> None:
        answer, _, detail = arg.partition(":")
        if answer == "yes":
            kind = next((k for k in CrisisKind if k.value == detail), CrisisKind.DANGER_TO_LIFE)
            self.effects.append(CrisisSignal(kind.value, True))
            self.emergency(None, kind)
            return
        choices = [Candidate(i, 0.0) for i in detail.removeprefix("?").split(",")
                   if i in self.content.entries]
        if self.state.intake_step == "consent":
            self.counsellor()  # the consent question again: its buttons were replaced
        elif self.state.intake_step is not None:
            self.ask(self.state.intake_step)
        elif choices and detail.startswith("?"):
            self.offer_candidates(choices)
        elif choices:
            self.show_entry(choices[0].entry_id)
        else:
            self.say(self._("Good. Write your question in other words, or choose a topic."),
                     [[self.menu_button(), self.counsellor_button()]])

    def emergency(self, text: str | None, kind: CrisisKind) -> None:
        """The numbers that help at once come first, wherever the person is; an open case or the
        case being prepared is marked urgent (with the kind, for the note), and an open case gets
        the message too."""
        assert self.content.emergency_entry is not None
        self.state.urgent = True
        self.state.crisis = self.state.crisis or kind.value
        step = self.state.intake_step
        self.show_entry(self.content.emergency_entry.id)
        if self.state.case is not None:
            self.effects.append(MarkUrgent(self.state.case, kind.value))
            if text is not None:
                self.relay(text=text)
        elif step == "consent":
            self.counsellor()
        elif step is not None:
            self.ask(step)
        if self.state.locale is None:
            self.language_picker()

    def written_in(self, text: str) -> str | None:
        """The language `text` is written in, when it is one of Lotse's and can be told."""
        return identify(text, self.content.languages.languages)

    def offer_language(self, written: str, entry_id: str | None) -> None:
        """The person wrote in another language than they chose: offer it, in that language,
        with one tap that switches and shows the answer (if any) again."""
        t = self.content.ui.get(written)
        name = native_name(written)
        self.say(escape(t.gettext(SWITCH_QUESTION).format(language=name)),
                 [[("🌐 " + name, ("switch", f"{written}:{entry_id or ''}"))]])

    def switch_language(self, arg: str) -> None:
        lang, _, entry_id = arg.partition(":")
        if lang not in self.content.languages.languages:
            self.stale()
            return
        self.set_locale(lang)
        if entry_id in self.content.entries:
            self.show_entry(entry_id)
        else:
            self.main_menu()

    # provided by the layers built on this one (`screens`, `answers`, `flows`)
    def language_picker(self) -> None:
        raise NotImplementedError

    def show_entry(self, entry_id: str, *, extra: Sequence[Sequence[tuple[str, Action] | Button]]
                   = (), final: bool = True) -> None:
        raise NotImplementedError

    def offer_candidates(self, candidates: Sequence[Candidate]) -> None:
        raise NotImplementedError

    def stale(self) -> None:
        raise NotImplementedError


NUMBERS_AT_HAND = N_("Emergency: 112 (ambulance, fire brigade) · 110 (police)")
SWITCH_QUESTION = N_("You wrote in {language}. Do you want Lotse in {language}?")
