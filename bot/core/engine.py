"""The conversation engine: `step(content, state, event) -> (state, replies, effects)`.

Pure: no I/O, no clock, no channel. Adapters turn updates into events and replies into messages;
services carry out the effects."""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence


from bot.core import bidi, inputs, texts
from bot.core.content import schema
from bot.core.content.model import Content
from bot.core.content.sections import choosable, shown_keys, vocabularies
from bot.core.events import (Answered, Button, CaseClaimed, CaseClosed, CaseOpened, Choice, Command,
                             EraseMe, Event, Matched, Media, MediaKind,
                             RefusedButton, ReplyKind, Start, Text, Unanswered)
from bot.core.i18n import N_, native_name
from bot.core.intake import RELAYED_KINDS
from bot.core.matcher import Candidate, Confidence
from bot.core.normalize import normalize
from bot.core.signal_handling import SignalHandling
from bot.core.signals import beside_a_human
from bot.core.state import Action, State
from bot.core.telegram_html import escape
from bot.core.handling import Step

MAX_AUTOMATIC_STEPS = 32
"""Branch and answer nodes move on by themselves; the content check forbids loops of them, this
is the engine's own guard."""
MISSES_BEFORE_COUNSELLOR_FIRST = 2
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


class _Handling(SignalHandling):
    """The engine's screens: menus, flows, answers; consent and intake come from `IntakeHandling`,
    crises and the language offer from `SignalHandling`."""

    # ----- events -----------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, Start | Command):
            self.end_intake()  # a command leaves consent and intake; nothing was sent
        if isinstance(event, Start):
            self.on_start(event)
        elif isinstance(event, Command):
            self.on_command(event)
        elif isinstance(event, Choice):
            self.on_choice(event.data)
        elif isinstance(event, Text):
            self.on_text(event.text, event.semantic)
        elif isinstance(event, Media):
            self.on_media(event)
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
        name = event.name.lower()
        if name == "start":
            self.on_start(Start(event.arg or None))
        elif name == "menu":
            self.main_menu()
        elif name == "language" and event.arg in self.content.languages.languages:
            self.act(("locale", event.arg))
        elif name == "language":
            self.language_picker()
        elif name == "counsellor":
            self.counsellor()
        elif name == "privacy":
            self.privacy()
        elif name == "delete":
            self.ask_to_erase()
        else:
            self.help()

    def on_choice(self, data: str) -> None:
        screen, _, index = data.partition(":")
        if not (screen.isascii() and screen.isdigit() and index.isascii() and index.isdigit()) \
                or int(screen) != self.state.screen or \
                int(index) >= len(self.state.options):
            self.stale()
            return
        self.act(self.state.options[int(index)].action)

    def on_text(self, text: str, semantic: Mapping[str, float] | None = None) -> None:
        """Crises first, wherever the person is; then an open case gets the text, then typed
        buttons, intake, a wish to talk to a human, a flow's input, and last the FAQ matcher."""
        text = text[:MAX_TEXT].strip()
        if not text:
            return
        signal = self.content.signals.read(text)
        if self.on_signal(signal, text):
            return
        if self.state.case is not None and self.state.intake_step is None:
            if self.erase_typed(text):
                return
            self.relay(text=text)  # a counsellor may ask "1 or 2?": typed text is for them
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

    def remember_position(self) -> None:
        if self.state.at:
            self.state.trail.append(self.state.at)
            del self.state.trail[:-20]

    def back(self) -> None:
        if not self.state.trail:
            self.main_menu()
            return
        flow, _, node = self.state.trail.pop().partition("/")
        self.enter(flow, node, record=False)

    def stale(self) -> None:
        self.effects.append(RefusedButton())
        self.say(self._("This button belongs to an older message. Here is where you are now."))
        node = self.current_node()
        if node is not None and self.state.flow and self.state.node:
            self.enter(self.state.flow, self.state.node, record=False)
        else:
            self.main_menu()

    # ----- screens ----------------------------------------------------------------------------

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
        self.say(self._("How to use Lotse:") + "\n" +
                 self._("• Press a button, or type its number.") + "\n" +
                 self._("• Or write your question in your own words.") + "\n" +
                 "• /menu " + self._("main menu") + "\n" +
                 "• /language " + self._("change the language") + "\n" +
                 "• /counsellor " + self._("talk to a person") + "\n" +
                 "• /privacy " + self._("what happens with your data") + "\n" +
                 "• /delete " + self._("delete everything about you"),
                 [[self.menu_button()]])

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

    def erase(self) -> None:
        self.effects.append(EraseMe())
        self.say(self._("Done: everything is deleted. If you write again, Lotse starts afresh."))

    # ----- flows ------------------------------------------------------------------------------

    def open_flow(self, flow_id: str) -> None:
        flow = self.content.flows.get(flow_id)
        if flow is None:
            self.main_menu()
            return
        self.remember_position()
        self.enter(flow.id, flow.start)

    def current_node(self) -> schema.Node | None:
        flow = self.content.flows.get(self.state.flow or "")
        return flow.nodes.get(self.state.node or "") if flow else None

    def enter(self, flow_id: str, node_id: str, *, record: bool = True) -> None:
        for _ in range(MAX_AUTOMATIC_STEPS):
            flow = self.content.flows.get(flow_id)
            node = flow.nodes.get(node_id) if flow else None
            if flow is None or node is None:
                self.menu_changed()
                return
            self.state.flow, self.state.node = flow_id, node_id
            if record:
                self.state.path.append(f"{flow_id}/{node_id}")
                del self.state.path[:-50]
            following = self.show_node(flow, node)
            if following is None:
                return
            node_id = following
        self.main_menu()

    def menu_changed(self) -> None:
        """Where a button or the person's place leads is gone: a content reload removed it."""
        self.say(self._("This part of the menu has changed. Here is the main menu."))
        self.main_menu()

    def show_node(self, flow: schema.Flow, node: schema.Node) -> str | None:
        """Show `node`; return the node to move on to by itself, if any."""
        if isinstance(node, schema.BranchNode):
            return node.cases.get(self.state.fields.get(node.field, ""), node.default)
        if isinstance(node, schema.MenuNode | schema.AskNode):
            rows = [[option] for option in self.node_options(flow, node)]
            text = self.node_text(node.text)
            if texts.flow_outdated(self.content, flow, self.locale):
                text += "\n\n" + texts.note_html(texts.outdated_note(self.t))
            self.say(text, [*rows, self.nav_row()], ReplyKind.MENU)
        elif isinstance(node, schema.AnswerNode):
            buttons = [[self.button(flow, b)] for b in node.buttons]
            self.show_entry(node.faq, extra=buttons, final=node.next is None)
            return node.next
        elif isinstance(node, schema.HandoffNode):
            if node.text:
                self.say(self.node_text(node.text))
            self.counsellor()
        return None

    def node_text(self, text: dict[str, str]) -> str:
        return texts.fill(self.content, self.label(text), self.locale)

    def button(self, flow: schema.Flow, button: schema.Button,
               lang: str | None = None) -> tuple[str, Action]:
        label = self.label(button.label, lang)
        if button.goto:
            return label, ("node", f"{flow.id}/{button.goto}")
        if button.faq:
            return label, ("faq", button.faq)
        return label, ("flow", button.flow or "")

    def node_options(self, flow: schema.Flow, node: schema.Node,
                     lang: str | None = None) -> list[tuple[str, Action]]:
        """The buttons a waiting node offers (without the navigation row), labelled in `lang`
        (default: the person's language)."""
        if isinstance(node, schema.MenuNode):
            return [self.button(flow, b, lang) for b in node.buttons]
        if not isinstance(node, schema.AskNode) or node.input is not None:
            return []
        if node.options is not None:
            values = [(o.value, o.label) for o in node.options]
        else:
            values = list(self.content.vocabularies[node.vocabulary or ""].values.items())
        return [(self.label(label, lang), ("value", value)) for value, label in values]

    def choose_value(self, value: str) -> None:
        node = self.current_node()
        if node is None:
            self.menu_changed()
            return
        if not isinstance(node, schema.AskNode) or self.state.flow is None:
            self.stale()
            return
        self.state.fields[node.field] = value
        self.remember_position()
        self.enter(self.state.flow, node.next)

    def answer_input(self, node: schema.AskNode, text: str) -> None:
        assert node.input is not None and self.state.flow is not None
        value = inputs.parse(node.input.format, text)
        if value is None:
            error = (texts.fill(self.content, self.label(node.input.error), self.locale)
                     if node.input.error else self._(inputs.HINTS[node.input.format]))
            self.say(error, [self.nav_row()])
            return
        self.state.fields[node.field] = value
        self.remember_position()
        self.enter(self.state.flow, node.next)

    # ----- answers ----------------------------------------------------------------------------

    def show_entry(self, entry_id: str, *,
                   extra: Sequence[Sequence[tuple[str, Action] | Button]] = (),
                   final: bool = True, lang: str | None = None, common: bool = True) -> None:
        """The entry's answer in the person's language (`lang`: in that one, the current German
        text asked for beside an outdated translation), with the sections that apply to what the
        person told; for a fact not told yet, "Which is yours?" and its values as buttons.
        `common=False`: the sections alone (the person has just chosen one)."""
        entry = self.content.entries.get(entry_id)
        if entry is None:
            self.menu_changed()
            return
        if entry_id not in self.state.shown:
            self.state.shown.append(entry_id)
        default = self.content.languages.default_language
        self.effects.append(Answered(entry_id, chosen=not common, sections=tuple(
            (vocabulary, key) for vocabulary, keys in
            shown_keys(entry, default, self.state.fields).items() for key in keys)))
        self.state.misses = 0
        rows: list[Sequence[tuple[str, Action] | Button]] = [
            [Button(f"🔗 {self.label(link.label)}", url=link.url)] for link in entry.links]
        if lang is None and texts.outdated(self.content, entry, self.locale):
            rows.append([(self._("Current German text"), ("german", entry_id))])
        asked = self.section_question(entry)
        question = None
        if asked is not None:
            vocabulary, values = asked
            vocab = self.content.vocabularies[vocabulary]
            question = (f"<b>{escape(self.label(vocab.label))}</b>\n" +
                        self._("Which is yours? Then you see only what applies to you."))
            rows += [[(self.label(vocab.values[value]),
                       ("section", f"{entry_id}/{vocabulary}/{value}"))] for value in values]
        text = texts.entry_answer(self.content, entry, self.t, self.locale, lang=lang,
                                  facts=self.state.fields, common=common, question=question)
        rows.extend(extra)
        if final:
            if entry.offer_counsellor:
                rows.append([self.counsellor_button()])
            rows.append(self.nav_row(back=bool(self.state.at or self.state.trail),
                                     counsellor=False))
        self.say(text, rows)

    def section_question(self, entry: schema.FaqEntry) -> tuple[str, list[str]] | None:
        """The first vocabulary of the entry's sections for which the person's fact is not
        known (or has no section), with the values to choose from."""
        default = self.content.languages.default_language
        shown = shown_keys(entry, default, self.state.fields)
        for vocabulary in vocabularies(entry, default):
            vocab = self.content.vocabularies.get(vocabulary)
            if vocabulary in shown or vocab is None:
                continue
            values = choosable(entry, default, vocabulary, vocab.values)
            if values:
                return vocabulary, values
        return None

    def choose_section(self, arg: str) -> None:
        """A value pressed under "Which is yours?": remembered as the flow's question would, then
        the sections it picks."""
        entry_id, vocabulary, value = (arg.split("/") + ["", ""])[:3]
        vocab = self.content.vocabularies.get(vocabulary)
        if entry_id not in self.content.entries or vocab is None or value not in vocab.values:
            self.menu_changed()
            return
        self.state.fields[vocabulary] = value
        self.show_entry(entry_id, common=False)

    def ask_matcher(self, text: str, semantic: Mapping[str, float] | None = None) -> None:
        """The FAQ matcher's answer, read in the language the text is written in; when that is
        not the person's language (nor German or English, which many write while reading their
        own), the offer to switch follows."""
        written = self.written_in(text)
        result = self.content.matcher.match(text, written or self.locale, semantic)
        self.effects.append(Matched(result.confidence))
        answered = None
        if result.confidence is Confidence.CONFIDENT:
            answered = result.candidates[0].entry_id
            self.show_entry(answered)
        else:
            self.effects.append(Unanswered(text))
            if result.confidence is Confidence.UNSURE:
                self.offer_candidates(result.candidates[:3])
            else:
                self.no_match()
        if written is not None and written not in (self.locale, *self.content.lingua_francas):
            self.offer_language(written, answered)

    def offer_candidates(self, candidates: Sequence[Candidate]) -> None:
        rows: list[list[tuple[str, Action]]] = []
        for candidate in candidates:
            entry = self.content.entries[candidate.entry_id]
            title = entry.text[self.content.entry_lang(entry, self.locale)].title
            rows.append([(title, ("faq", entry.id))])
        rows.append([(self.t.gettext("None of these"), ("no-match", ""))])
        self.say(escape(self.t.ngettext("Did you mean this?", "Did you mean one of these?",
                                        len(candidates))), rows)

    def no_match(self) -> None:
        self.state.misses += 1
        counsellor = [self.counsellor_button()]
        menu = [self.menu_button()]
        if self.state.misses >= MISSES_BEFORE_COUNSELLOR_FIRST:
            self.say(self._("I still have no answer to that. A counsellor can help you "
                            "personally."), [counsellor, menu])
        else:
            self.say(self._("Sorry, I found no answer to that. Try other words, choose a topic, "
                            "or talk to a counsellor."), [menu, counsellor])

    def typed_option(self, text: str) -> Action | None:
        """A typed button number or label works like pressing that button. The buttons of the
        screen shown last come first, then those of the node the person is at."""
        live = [(o.label, o.action) for o in self.state.options]
        node = self.current_node()
        waiting_for_input = isinstance(node, schema.AskNode) and node.input is not None
        digits = inputs.ascii_digits(text)
        if digits.isascii() and digits.isdigit() and not waiting_for_input:
            return live[int(digits) - 1][1] if 1 <= int(digits) <= len(live) else None
        flow = self.content.flows.get(self.state.flow or "")
        here = self.node_options(flow, node) if flow and node else []
        # A label in the default language works too (the person read it on a poster or a
        # German letter, or a helper typed it).
        default = self.node_options(flow, node, self.content.languages.default_language) if (
            flow and node) else []
        return _by_label(text, live) or _by_label(text, here) or _by_label(text, default)


def _by_label(text: str, options: Sequence[tuple[str, Action]]) -> Action | None:
    """The option whose label is `text`, or the only one whose label contains it as words."""
    wanted = _label_key(text)
    if not wanted:
        return None
    keys = [(_label_key(label), action) for label, action in options]
    exact = [action for key, action in keys if key == wanted]
    if exact:
        return exact[0]
    if len(wanted) < 4:
        return None
    partial = [action for key, action in keys if f" {wanted} " in f" {key} "]
    return partial[0] if len(partial) == 1 else None


def _label_key(label: str) -> str:
    return re.sub(r"\W+", " ", normalize(bidi.strip_marks(label))).strip()
