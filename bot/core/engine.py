"""The conversation engine: `step(content, state, event) -> (state, replies, effects)`, the one
entry point.

Pure: no I/O, no clock, no channel. Adapters turn updates into events and replies into messages;
services carry out the effects. Here: the events (start, commands, buttons, typed text, media,
what happened to a case) and the actions buttons carry, dispatched to the layers of `Handling`
below, each a module: `handling` (replies, live buttons, effects), `intake` (consent, intake, the
person's side of a case), `signal_handling` (crises, the language offer), `screens` (menu,
language, help, privacy, erasure), `answers` (FAQ entries, the matcher), `flows` (flow nodes,
typed buttons)."""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from bot.core.content import schema
from bot.core.content.model import Content
from bot.core.events import (
    CaseClaimed,
    CaseClosed,
    CaseOpened,
    Choice,
    Command,
    Event,
    Media,
    MediaKind,
    Spoken,
    Start,
    Text,
    Unanswered,
)
from bot.core.flows import FlowHandling
from bot.core.handling import NO_VOICE, Step
from bot.core.i18n import N_
from bot.core.intake import RELAYED_KINDS
from bot.core.matcher import Confidence
from bot.core.signals import beside_a_human
from bot.core.state import Action, State

MAX_TEXT = 2000
"""Only the first 2 000 characters of a message are read (matched, relayed, stored): bounds the
work one message can cause."""
INTAKE_ACTIONS = ("consent", "intake", "skip", "cancel", "send")
MEDIA_REPLIES: dict[MediaKind, str] = {
    MediaKind.VOICE: N_("I cannot listen to voice messages yet. Please write your question "
                     "in a few words, in your own language."),
    MediaKind.VIDEO: N_("I cannot watch videos. Please write your question in a few words."),
    MediaKind.PHOTO: N_("I cannot look at pictures. Please write your question in a few "
                     "words. Please do not send photos of passports or other documents "
                     "here."),
    MediaKind.DOCUMENT: N_("I cannot read documents. Please write your question in a few "
                        "words. A counsellor can tell you which papers they need."),
    MediaKind.LOCATION: N_("Thank you, but I do not need your location, and I did not save "
                        "it."),
    MediaKind.CONTACT: N_("Please do not share contacts here. I did not save this contact."),
    MediaKind.STICKER: N_("Thank you! Choose a topic or write your question."),
    MediaKind.OTHER: N_("I cannot read this kind of message. Please write your question in "
                     "a few words."),
}


def step(content: Content, state: State, event: Event) -> Step:
    handling = _Handling(content, copy.deepcopy(state))
    handling.handle(event)
    return handling.result()


class _Handling(FlowHandling):
    """The events and actions; the screens they lead to come from the layers below (see the
    module)."""

    # ----- events -----------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, Start | Command):
            self.end_intake()  # a command leaves consent and intake; nothing was sent
        if isinstance(event, Start):
            self.on_start(event)
        elif isinstance(event, Command):
            self.on_command(event)
        elif isinstance(event, Choice):
            self.on_choice(event)
        elif isinstance(event, Text):
            self.on_text(event.text, event.semantic)
        elif isinstance(event, Media):
            self.on_media(event)
        elif isinstance(event, Spoken):
            self.on_spoken(event)
        elif isinstance(event, CaseOpened):
            self.case_opened(event)
        elif isinstance(event, CaseClaimed):
            self.case_claimed(event)
        elif isinstance(event, CaseClosed):
            self.case_closed(event)

    def on_start(self, event: Start) -> None:
        payload = (event.payload or "").strip() or None
        if self.state.locale is None:
            client = (event.client_locale or "").split("-")[0].lower()
            if client in self.content.languages.languages:
                self.set_locale(client)
            else:
                self.state.pending_start = payload
                self.language_picker()
                return
        self.greet(payload)

    def greet(self, payload: str | None) -> None:
        self.state.pending_start = None
        name_of = self.label(self.content.organisation.name_of)
        self.say(self._("Hello! I am Lotse, the digital assistant {name_of}.", name_of=name_of) +
                 "\n\n" +
                 self._("I answer questions about German courses, work and vocational training, "
                        "in your language. I only keep what you tell me; /privacy explains more."))
        if payload is None:
            self.main_menu()
        elif payload in self.content.flows:
            self.open_flow(payload)
        elif payload in self.content.entries:
            self.show_entry(payload)
        else:
            self.main_menu()

    def on_command(self, event: Command) -> None:
        """A command of `COMMANDS` (`bot.core.commands`); any other is answered with /help."""
        name = event.name.lower()
        if name == "language" and event.arg in self.content.languages.languages:
            self.act(("locale", event.arg))
            return
        self.commands(event.arg).get(name, self.help)()

    def commands(self, arg: str) -> dict[str, Callable[[], None]]:
        """What each command of `COMMANDS` does (`arg`: what was typed after it)."""
        return {"start": lambda: self.on_start(Start(arg or None)), "menu": self.main_menu,
                "language": self.language_picker, "counsellor": self.counsellor,
                "privacy": self.privacy, "delete": self.ask_to_erase, "help": self.help,
                "voice": self.switch_voice}

    def on_choice(self, choice: Choice) -> None:
        if choice.screen != self.state.screen or not 0 <= choice.index < len(self.state.options):
            self.stale()
            return
        self.act(self.state.options[choice.index].action)

    def on_text(self, text: str, semantic: Mapping[str, float] | None = None,
                audio: str | None = None) -> None:
        """Crises first, wherever the person is; then an open case gets the text (with the
        `audio` it was heard from), then typed buttons, intake, a wish to talk to a human, a
        flow's input, and last the FAQ matcher."""
        text = text[:MAX_TEXT].strip()
        if not text:
            return
        signal = self.content.signals.read(text)
        if self.on_signal(signal, text):
            return
        if self.state.case is not None and self.state.intake_step is None:
            if self.erase_typed(text):
                return
            # a counsellor may ask "1 or 2?": typed text is for them
            self.relay(text=text, kind=None if audio is None else MediaKind.VOICE, ref=audio)
            return
        typed = self.typed_option(text)
        if typed is not None:
            self.act(typed)
            return
        if self.state.locale is None:  # the language it is written in, if it can be told
            written = self.written_in(text)
            if written is None:
                self.language_picker()
                return
            self.set_locale(written)
            if self.state.pending_start is not None:
                self.greet(self.state.pending_start)
                return
        if self.state.intake_step is not None:
            self.intake_text(text)
            return
        if signal.human:
            beside = beside_a_human(self.content.matcher, self.content.signals, text,
                                    self.written_in(text) or self.locale, signal.vague)
            if beside is not None and beside.confidence is Confidence.CONFIDENT:
                self.show_entry(beside.candidates[0].entry_id, final=False)
            elif beside is not None:
                self.offer_candidates(beside.candidates[:3])
            self.counsellor()  # the counsellor offer follows
            return
        node = self.current_node()
        if isinstance(node, schema.AskNode) and node.input is not None:
            self.answer_input(node, text)
            return
        self.ask_matcher(text, semantic)

    def on_spoken(self, event: Spoken) -> None:
        """A voice note as the transcriber understood it: shown back with a button to say it
        was wrong, then handled as typed text (crises first). Its text is not kept as an
        unanswered question: a transcript is stored only in a case the person agreed to."""
        text = event.text[:MAX_TEXT].strip()
        if not text:
            self.say(self._("I could not understand this voice message. Please say it again, or "
                            "write it."), [[self.menu_button()]])
            return
        self.say(self._("I understood: “{text}”", text=text),
                 [[("✏️ " + self.t.gettext("That is not what I said"), ("heard-wrong", ""))]])
        self.on_text(text, audio=event.ref)
        self.effects = [e for e in self.effects if not isinstance(e, Unanswered)]

    def switch_voice(self) -> None:
        """/voice: answers and flow texts as voice notes too, or no longer (in a language no
        voice reads: the message that says so)."""
        if not self.state.voice and self.locale not in self.content.voices:
            self.say(self._(NO_VOICE), [[self.menu_button()]])
            return
        self.state.voice = not self.state.voice
        self.say(self._("From now on I also read my answers aloud. /voice turns it off.")
                 if self.state.voice else
                 self._("I no longer read my answers aloud. The 🔊 button still does."),
                 [[self.menu_button()]])

    def on_media(self, event: Media) -> None:
        kind = event.kind
        if self.state.locale is None:
            self.language_picker()
            return
        if self.state.case is not None and kind in RELAYED_KINDS:
            self.relay(kind=kind, ref=event.ref)
            return
        rows: list[list[tuple[str, Action]]] = []
        if kind not in (MediaKind.STICKER, MediaKind.LOCATION, MediaKind.CONTACT):
            rows.append([self.counsellor_button()])
        rows.append([self.menu_button()])
        self.say(self._(MEDIA_REPLIES[kind]), rows)

    # ----- actions ----------------------------------------------------------------------------

    def act(self, action: Action) -> None:
        kind, arg = action
        if kind in INTAKE_ACTIONS:
            self.act_in_intake(kind, arg)
            return
        if kind == "danger":
            self.act_on_danger(arg)
            return
        self.end_intake()
        if kind == "menu":
            self.main_menu()
        elif kind == "back":
            self.back()
        elif kind == "counsellor":
            self.counsellor()
        elif kind == "language":
            self.language_picker()
        elif kind == "locale":
            self.set_locale(arg)
            pending = self.state.pending_start
            if pending is not None or not self.state.trail and self.state.node is None:
                self.greet(pending)
            else:
                self.main_menu()
        elif kind == "flow":
            self.open_flow(arg)
        elif kind == "faq":
            self.remember_position()
            self.show_entry(arg)
        elif kind == "german":
            self.remember_position()
            self.show_entry(arg, lang=self.content.languages.default_language)
        elif kind == "node":
            self.remember_position()
            flow, _, node = arg.partition("/")
            self.enter(flow, node)
        elif kind == "value":
            self.choose_value(arg)
        elif kind == "section":
            self.choose_section(arg)
        elif kind == "no-match":
            self.no_match()
        elif kind == "rate":
            self.rate(arg)
        elif kind == "erase":
            self.erase()
        elif kind == "switch":
            self.switch_language(arg)
        elif kind == "speak":
            self.read_again(arg)
        elif kind == "heard-wrong":
            self.say(self._("Sorry that I got it wrong. Please say it again, or write it."),
                     [[self.menu_button()]])

    def act_in_intake(self, kind: str, arg: str) -> None:
        if kind == "consent":
            self.consent(arg)
        elif kind == "intake":
            self.answer_step(arg)
        elif kind == "skip":
            self.skip(arg)
        elif kind == "cancel":
            self.cancel()
        elif kind == "send":
            self.send()

    def erase_typed(self, text: str) -> bool:
        """In an open case typed text is for the counsellor, except the very next message after
        "Delete everything?", which may press its buttons by number (the console has no other
        way); after any other message that question has expired (a "1" meant for the counsellor
        must never erase)."""
        if not any(option.action[0] == "erase" for option in self.state.options):
            return False
        typed = self.typed_option(text)
        if typed is None:
            self.state.options = []
            return False
        self.act(typed)
        return True
