"""Checks of FAQ entries' sections (`bot.core.content.sections`): they name vocabularies and
values that exist, translations have the German's sections, and every value a flow can reach an
entry with has a section there or a `default`.

What a flow can reach an answer with is followed through its nodes: at the start a fact may be
any value (told in an earlier flow) or not known; an ask node sets it to the values it offers; a
branch's case keeps its value, its default the values no case names. An answer node and a button
that shows an entry show it with the facts of the node they are on."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.content import schema
from bot.core.content.parsed import Parsed
from bot.core.content.problems import Problem, Severity
from bot.core.content.sections import DEFAULT, MARK, applying, key_values
from bot.core.content.source import SourceFile

Facts = dict[str, frozenset[str | None]]
"""Per vocabulary, the values a fact may have at a node (None: not known)."""


def section_problems(parsed: Parsed) -> list[Problem]:
    assert parsed.languages is not None
    default = parsed.languages[1].default_language
    vocabularies = {name: list(vocab.values) for name, (_, vocab) in parsed.vocabularies.items()}
    problems: list[Problem] = []
    for source, entry in parsed.entries:
        problems += _named(source, entry, default, vocabularies)
        problems += _translated(source, entry, default)
    problems += _reached(parsed, default, vocabularies)
    return problems


def _named(source: SourceFile, entry: schema.FaqEntry, default: str,
           vocabularies: Mapping[str, list[str]]) -> list[Problem]:
    """The German sections name vocabularies and values that exist (a translation's keys are
    compared with the German's, `_translated`)."""
    problems: list[Problem] = []
    german = entry.text.get(default)
    for vocabulary, sections in (german.sections.items() if german else ()):
        where = ("text", default, "sections", vocabulary)
        if vocabulary not in vocabularies:
            problems.append(Problem(source.path, source.key_line(where),
                                    f"sections by '{vocabulary}': there is no such vocabulary in "
                                    f"faq/vocabularies.yaml (known: "
                                    f"{', '.join(sorted(vocabularies))})"))
            continue
        for key in sections:
            unknown = [v for v in key_values(key) if v not in vocabularies[vocabulary]]
            if key != DEFAULT and (unknown or not key_values(key)):
                problems.append(Problem(
                    source.path, source.key_line((*where, key)),
                    f"section '{key}': {', '.join(repr(v) for v in unknown) or 'no value'} is "
                    f"not a value of vocabulary '{vocabulary}' (its values: "
                    f"{', '.join(vocabularies[vocabulary])}; or 'default')"))
    return problems


def _translated(source: SourceFile, entry: schema.FaqEntry, default: str) -> list[Problem]:
    """A translation has the German's sections, under the same keys, and puts them where the
    German does (`{sections}`)."""
    german = entry.text.get(default)
    if german is None:
        return []
    wanted = {(v, k) for v, sections in german.sections.items() for k in sections}
    problems = []
    for lang, text in entry.text.items():
        if german.sections and MARK in german.answer and MARK not in text.answer:
            problems.append(Problem(source.path, source.line(("text", lang, "answer")),
                                    f"the German answer marks where the sections go ({MARK}) and "
                                    f"this one does not: here they would follow the answer",
                                    Severity.WARNING))
        have = {(v, k) for v, sections in text.sections.items() for k in sections}
        for vocabulary, key in sorted(wanted - have):
            problems.append(Problem(source.path, source.line(("text", lang)),
                                    f"the German has the section '{vocabulary}: {key}' and this "
                                    f"translation has not: its people are shown the German one",
                                    Severity.WARNING))
        for vocabulary, key in sorted(have - wanted):
            problems.append(Problem(source.path, source.key_line(
                ("text", lang, "sections", vocabulary, key)),
                f"section '{vocabulary}: {key}' is not in the German text, so it is never shown "
                f"(the German's sections are the structure)", Severity.WARNING))
    return problems


def _reached(parsed: Parsed, default: str,
             vocabularies: Mapping[str, list[str]]) -> list[Problem]:
    """Every value a flow can show an entry with has a section there, or the entry a default."""
    entries = {e.id: (source, e) for source, e in parsed.entries}
    keyed = {vocabulary for _, e in parsed.entries if default in e.text
             for vocabulary in e.text[default].sections if vocabulary in vocabularies}
    problems: list[Problem] = []
    for flow_source, flow in parsed.flows:
        for node_id, entry_id, facts in _shown_entries(flow, keyed, vocabularies):
            if entry_id not in entries:
                continue  # reported with the node
            source, entry = entries[entry_id]
            german = entry.text.get(default)
            for vocabulary, sections in (german.sections.items() if german else ()):
                if vocabulary not in facts:
                    continue
                missing = [v for v in sorted(facts[vocabulary], key=str)
                           if v is not None and not applying(sections, v)]
                if missing:
                    problems.append(Problem(
                        source.path, source.key_line(("text", default, "sections", vocabulary)),
                        f"{flow_source.path} node '{node_id}' can show this entry to a person "
                        f"whose {vocabulary} is {', '.join(repr(v) for v in missing)}, and no "
                        f"section names it; add a section for it or a 'default:' section"))
    return problems


def _shown_entries(flow: schema.Flow, keyed: set[str], vocabularies: Mapping[str, list[str]]
                   ) -> list[tuple[str, str, Facts]]:
    """Each node that shows an entry (an answer node, a button), with the facts it may have."""
    start: Facts = {v: frozenset([None, *vocabularies[v]]) for v in keyed}
    at: dict[str, Facts] = {}
    todo = [(flow.start, start)]
    while todo:
        node_id, facts = todo.pop()
        node = flow.nodes.get(node_id)
        if node is None:
            continue
        before = at.get(node_id)
        merged = facts if before is None else {v: before[v] | facts[v] for v in facts}
        if merged == before:
            continue
        at[node_id] = merged
        todo += list(_following(node, merged, vocabularies))
    shown = []
    for node_id, facts in at.items():
        node = flow.nodes[node_id]
        if isinstance(node, schema.AnswerNode):
            shown.append((node_id, node.faq, facts))
        shown += [(node_id, b.faq, facts) for b in getattr(node, "buttons", []) if b.faq]
    return shown


def _following(node: Any, facts: Facts, vocabularies: Mapping[str, list[str]]
               ) -> list[tuple[str, Facts]]:
    """The nodes `node` leads to, each with the facts it passes on."""
    following = [(b.goto, facts) for b in getattr(node, "buttons", []) if b.goto]
    if isinstance(node, schema.AskNode):
        if node.field in facts:
            values = ([o.value for o in node.options] if node.options is not None else
                      vocabularies.get(node.vocabulary or "", []))
            facts = {**facts, node.field: frozenset(values)}
        following.append((node.next, facts))
    elif isinstance(node, schema.BranchNode):
        if node.field in facts:
            known = facts[node.field]
            following += [(target, {**facts, node.field: known & {value}})
                          for value, target in node.cases.items()]
            following.append((node.default, {**facts, node.field: known - set(node.cases)}))
        else:
            following += [(target, facts) for target in (*node.cases.values(), node.default)]
    elif isinstance(node, schema.AnswerNode) and node.next:
        following.append((node.next, facts))
    return following
