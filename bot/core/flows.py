"""The engine's flows: entering a node (branch and answer nodes move on by themselves), a menu's
and a question's buttons, a value chosen or typed, back and stale buttons, and a button typed as
its number or label (`FlowHandling`)."""
from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core import bidi, inputs, texts
from bot.core.answers import AnswerHandling
from bot.core.content import schema
from bot.core.events import RefusedButton, ReplyKind
from bot.core.normalize import normalize
from bot.core.state import Action

MAX_AUTOMATIC_STEPS = 32
"""Branch and answer nodes move on by themselves; the content check forbids loops of them, this
is the engine's own guard."""


class FlowHandling(AnswerHandling):
    """Where the person is in a flow, and the buttons that move them."""

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

    def show_node(self, flow: schema.Flow, node: schema.Node) -> str | None:
        """Show `node`; return the node to move on to by itself, if any."""
        if isinstance(node, schema.BranchNode):
            return node.cases.get(self.state.fields.get(node.field, ""), node.default)
        if isinstance(node, schema.MenuNode | schema.AskNode):
            rows = [[option] for option in self.node_options(flow, node)]
            text = self.node_text(node.text)
            if texts.flow_outdated(self.content, flow, self.locale):
                text += "\n\n" + texts.note_html(texts.outdated_note(self.t))
            listen = self.listen_row(f"node:{flow.id}/{self.state.node}")
            self.say(text, [*rows, self.nav_row(), *listen], ReplyKind.MENU)
            if self.state.voice and listen:
                self.read_aloud(text)
        elif isinstance(node, schema.AnswerNode):
            buttons = [[self.button(flow, b)] for b in node.buttons]
            self.show_entry(node.faq, extra=buttons, final=node.next is None)
            return node.next
        elif isinstance(node, schema.HandoffNode):
            if node.text:
                self.say(self.node_text(node.text))
            self.counsellor()
        return None

    def read_again(self, key: str) -> None:
        """🔊 pressed: the entry's answer (with the sections the person's facts pick) or the
        flow node's text as a voice note; the buttons on screen stay live."""
        kind, _, target = key.partition(":")
        if kind == "faq" and (entry := self.content.entries.get(target)) is not None:
            self.read_aloud(texts.entry_answer(self.content, entry, self.t, self.locale,
                                               facts=self.state.fields), self.recording(entry))
            return
        flow_id, _, node_id = target.partition("/")
        flow = self.content.flows.get(flow_id)
        node = flow.nodes.get(node_id) if flow else None
        if kind == "node" and isinstance(node, schema.MenuNode | schema.AskNode):
            self.read_aloud(self.node_text(node.text))
            return
        self.menu_changed()

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
