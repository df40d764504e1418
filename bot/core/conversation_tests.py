"""Conversation tests that admins write: short scripted conversations in `conversations/*.yaml`
under the content root, run against the content with the pure engine (no database, no Telegram).

A file is a list of conversations:

    - name: Kosten des Integrationskurses, getippt
      language: de
      steps:
        - type: wie viel kostet der integrationskurs     # what the person writes
          expect: {entry: integration-course-costs}     # the FAQ entry shown
        - press: Deutschkurse                           # a button, by its label
          expect: {node: language-courses/start}
        - command: menu                                 # /menu

Each step is one of `type`, `press` or `command`, with an optional `expect`, or an `expect` alone
(about the previous step; as the first step: about the greeting). Expectations: `entry` (an FAQ
entry shown), `asks` (the field asked for: a flow's ask node, or an intake step such as `consent`),
`node` (`flow/node` the person is at), `text` (a piece of the visible text, spaces and line breaks
counting as one space), `not_text` (a piece that must not be in it), `buttons` (labels that must
all be shown), `sections` (the sections of an entry's answer shown, by vocabulary and key as the
entry names them, e.g. `{residence_status: [duldung, "asylum, duldung"]}`: exactly these; `{}`:
none). Labels compare like typed
buttons: case, accents, punctuation and symbols such as ☰ do not count. A conversation stops at its
first failing step.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, StrictStr, model_validator
from ruamel.yaml.comments import CommentedSeq

from bot.core import bidi, telegram_html
from bot.core.content import schema
from bot.core.content.loader import shown_path
from bot.core.content.model import Content
from bot.core.content.problems import Problem
from bot.core.content.source import Key, SourceFile, plain_text, read_yaml
from bot.core.content.validation import validate
from bot.core.engine import step
from bot.core.events import Answered, Choice, Event, Start, Text, typed
from bot.core.handling import Step
from bot.core.intake import STEPS
from bot.core.normalize import normalize
from bot.core.state import State

FOLDER = "conversations"
SHOWN_TEXT = 100
"""How much of the visible text a failed `text` expectation quotes."""
NodeRef = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$")]


class Expect(schema.Model):
    entry: schema.Slug | None = None
    asks: schema.Text | None = None
    node: NodeRef | None = None
    text: schema.Text | None = None
    not_text: schema.Text | None = None
    buttons: list[schema.Text] | None = Field(default=None, min_length=1)
    sections: dict[schema.Slug, list[schema.Text]] | None = None

    @model_validator(mode="after")
    def _something(self) -> Expect:
        if not self.model_fields_set:
            raise ValueError("'expect' needs at least one of entry, asks, node, text, not_text, "
                             "buttons, sections")
        return self


class ScriptStep(schema.Model):
    type: schema.Text | None = None
    press: schema.Text | None = None
    command: schema.Text | None = None
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> ScriptStep:
        actions = [a for a in ("type", "press", "command") if getattr(self, a) is not None]
        if len(actions) > 1 or not actions and self.expect is None:
            raise ValueError("a step is one of 'type', 'press' or 'command' (with an optional "
                             "'expect'), or an 'expect' alone")
        return self


class Conversation(schema.Model):
    name: schema.Text
    language: schema.LangCode
    steps: list[ScriptStep] = Field(min_length=1)


@dataclass(frozen=True)
class Script:
    """A valid conversation and the file part it came from (for line numbers)."""

    source: SourceFile
    conversation: Conversation


@dataclass(frozen=True)
class RunResult:
    files: int
    conversations: int
    failed: int
    problems: list[Problem]
    """Mistakes in the test files and failed expectations, as `path:line: …`."""


def run_folder(content: Content, folder: Path) -> RunResult:
    """Read and run every conversation test under `folder`."""
    paths = sorted(folder.rglob("*.yaml")) if folder.is_dir() else []
    problems: list[Problem] = []
    total = failed = 0
    for path in paths:
        scripts, invalid, file_problems = read_file(content, path)
        problems += file_problems
        total += len(scripts) + invalid
        failed += invalid
        for script in scripts:
            failure = run(content, script)
            if failure is not None:
                problems.append(failure)
                failed += 1
    return RunResult(len(paths), total, failed, problems)


def read_file(content: Content, path: Path) -> tuple[list[Script], int, list[Problem]]:
    """The valid conversations of one file, how many were invalid, and what is wrong."""
    source, problems = read_yaml(path, shown_path(path))
    if source is None:
        return [], 0, problems
    if not isinstance(source.data, CommentedSeq):
        return [], 0, [Problem(source.path, 1, "expected a list of conversations, each starting "
                               "with '- name:' and having 'language' and 'steps'")]
    scripts: list[Script] = []
    invalid = 0
    for item in source.data:
        scoped = SourceFile(source.path, item, source.lines)
        conversation, found = validate(Conversation, scoped, plain_text(item))
        if conversation is not None:
            found = _references(content, scoped, conversation)
        if found:
            problems += found
            invalid += 1
        else:
            scripts.append(Script(scoped, conversation))
    return scripts, invalid, problems


def _references(content: Content, source: SourceFile,
                conversation: Conversation) -> list[Problem]:
    """Languages, entries, nodes and fields the conversation names that the content lacks."""
    problems: list[Problem] = []

    def unknown(keys: tuple[Key, ...], what: str, known: Sequence[str]) -> None:
        hint = difflib.get_close_matches(str(source.get(keys)), known, n=1)
        problems.append(Problem(source.path, source.line(keys), what + (
            f"; did you mean '{hint[0]}'?" if hint else "")))

    languages = content.languages.languages
    if conversation.language not in languages:
        unknown(("language",), f"language '{conversation.language}' is not listed in "
                "faq/languages.yaml", languages)
    nodes = [f"{f.id}/{n}" for f in content.flows.values() for n in f.nodes]
    fields = sorted({"consent", *STEPS} | {n.field for f in content.flows.values()
                                           for n in f.nodes.values()
                                           if isinstance(n, schema.AskNode)})
    for index, script_step in enumerate(conversation.steps):
        expect = script_step.expect
        if expect is None:
            continue
        where: tuple[Key, ...] = ("steps", index, "expect")
        if expect.entry is not None and expect.entry not in content.entries:
            unknown((*where, "entry"), f"FAQ entry '{expect.entry}' does not exist",
                    list(content.entries))
        if expect.node is not None and expect.node not in nodes:
            unknown((*where, "node"), f"node '{expect.node}' does not exist", nodes)
        if expect.asks is not None and expect.asks not in fields:
            unknown((*where, "asks"), f"no flow or intake step asks for '{expect.asks}'", fields)
    return problems


def run(content: Content, script: Script) -> Problem | None:
    """Play one conversation; the first failing step as a problem, or None when it passes."""
    conversation, source = script.conversation, script.source
    result = step(content, State(), Start(client_locale=conversation.language))
    for index, script_step in enumerate(conversation.steps):
        where: tuple[Key, ...] = ("steps", index)
        if script_step.press is not None:
            choice = _button(result, script_step.press)
            if choice is None:
                live = [option.label for option in result.state.options]
                return Problem(source.path, source.line((*where, "press")),
                               f"{conversation.name}: expected a button "
                               f"\"{script_step.press}\", got {_quoted(live)}")
            result = step(content, result.state, choice)
        elif script_step.type is not None or script_step.command is not None:
            result = step(content, result.state, _event(script_step))
        if script_step.expect is None:
            continue
        failures = _check(content, script_step.expect, result)
        if failures:
            return Problem(source.path, source.line((*where, "expect", failures[0][0])),
                           f"{conversation.name}: " + "; ".join(m for _, m in failures))
    return None


def _event(script_step: ScriptStep) -> Event:
    if script_step.type is not None:
        return Text(script_step.type)
    return typed("/" + (script_step.command or "").lstrip("/"))


def _check(content: Content, expect: Expect, result: Step) -> list[tuple[str, str]]:
    """(key, "expected …, got …") for every expectation of `expect` that `result` misses."""
    failures: list[tuple[str, str]] = []
    state = result.state
    if expect.entry is not None:
        shown = [e.entry_id for e in result.effects if isinstance(e, Answered)]
        if expect.entry not in shown:
            failures.append(("entry", f"expected FAQ entry {expect.entry}, got "
                             f"{', '.join(shown) or 'no entry'}"))
    if expect.asks is not None:
        asking = state.intake_step or _asked_field(content, state)
        if asking != expect.asks:
            failures.append(("asks", f"expected a question for {expect.asks}, got "
                             f"{'a question for ' + asking if asking else 'no question'}"))
    if expect.node is not None and state.at != expect.node:
        failures.append(("node", f"expected node {expect.node}, got "
                         f"{'node ' + state.at if state.at else 'no node (not in a flow)'}"))
    visible = " ".join(" ".join(bidi.strip_marks(telegram_html.parse(r.text)).split())
                       for r in result.replies)
    shown_text = visible if len(visible) <= SHOWN_TEXT else visible[:SHOWN_TEXT] + "…"
    if expect.text is not None and " ".join(expect.text.split()) not in visible:
        failures.append(("text", f"expected a text containing \"{expect.text}\", got "
                         f"\"{shown_text}\""))
    if expect.not_text is not None and " ".join(expect.not_text.split()) in visible:
        failures.append(("not_text", f"expected a text without \"{expect.not_text}\", got "
                         f"\"{shown_text}\""))
    if expect.sections is not None:
        shown_sections = sorted({pair for e in result.effects if isinstance(e, Answered)
                                 for pair in e.sections})
        wanted = sorted({(v, key) for v, keys in expect.sections.items() for key in keys})
        if shown_sections != wanted:
            failures.append(("sections", f"expected the sections {_sections(wanted)}, got "
                             f"{_sections(shown_sections)}"))
    if expect.buttons is not None:
        labels = _labels(result)
        keys = {_label_key(label) for label in labels}
        if any(_label_key(b) not in keys for b in expect.buttons):
            failures.append(("buttons", f"expected buttons {_quoted(expect.buttons)}, got "
                             f"{_quoted(labels)}"))
    return failures


def _asked_field(content: Content, state: State) -> str | None:
    flow = content.flows.get(state.flow or "")
    node = flow.nodes.get(state.node or "") if flow else None
    return node.field if isinstance(node, schema.AskNode) else None


def _labels(result: Step) -> list[str]:
    return [bidi.strip_marks(b.label) for r in result.replies for row in r.buttons for b in row]


def _button(result: Step, label: str) -> Choice | None:
    """Pressing the live button labelled `label`, if one is shown."""
    wanted = _label_key(label)
    for index, option in enumerate(result.state.options):
        if _label_key(option.label) == wanted:
            return Choice(result.state.screen, index)
    return None


def _label_key(label: str) -> str:
    return normalize(bidi.strip_marks(label))


def _sections(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{vocabulary}: {key}" for vocabulary, key in pairs) or "none"


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"\"{label}\"" for label in labels) or "no buttons"


def summary(run_result: RunResult) -> str:
    passed = run_result.conversations - run_result.failed
    return (f"{passed} of {run_result.conversations} conversation(s) passed, "
            f"{run_result.failed} failed, in {run_result.files} file(s)")

