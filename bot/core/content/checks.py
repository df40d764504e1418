"""Checks across files: references, reachability, loops, missing texts, length, markup."""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import phonenumbers

from bot.core import telegram_html
from bot.core.content import readability, schema, sections
from bot.core.content.flow_graph import automatic_cycles, reachable_nodes
from bot.core.content.freshness import (
    flow_languages,
    outdated_entry_languages,
    outdated_flow_languages,
)
from bot.core.content.parsed import Parsed
from bot.core.content.problems import Problem, Severity
from bot.core.content.same_facts import fact_differences
from bot.core.content.section_checks import section_problems
from bot.core.content.signal_checks import signal_problems
from bot.core.content.source import Key, SourceFile
from bot.core.intake import CHOICE_STEPS

REQUIRED_VOCABULARIES = CHOICE_STEPS  # the intake asks each of them
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
BUTTON_LABEL_LIMIT = 64

CANNED_NAME_BYTES = 40
"""A canned reply's name travels in its button's data in the staff group ("case:canned:<case
number>:<name>", `bot.channels.telegram.buttons.CaseChoice`), which Telegram limits to 64 bytes."""


class Checker:
    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.problems: list[Problem] = []
        assert parsed.languages is not None
        self.settings = parsed.languages[1]
        self.default = self.settings.default_language
        self.entry_ids = {e.id for _, e in parsed.entries}
        self.flow_ids = {f.id for _, f in parsed.flows}
        self.topics = set(parsed.vocabularies["topic"][1].values) if (
            "topic" in parsed.vocabularies) else set()

    def error(self, source: SourceFile, keys: Sequence[Key], message: str) -> None:
        self.problems.append(Problem(source.path, source.line(keys), message))

    def warn(self, source: SourceFile, keys: Sequence[Key], message: str) -> None:
        self.problems.append(Problem(source.path, source.line(keys), message, Severity.WARNING))

    # ----- shared pieces ----------------------------------------------------------------------

    def localized(self, source: SourceFile, keys: tuple[Key, ...], texts: Mapping[str, str] | None,
                  *, html: bool = False, label: bool = False) -> None:
        if texts is None:
            return
        if self.default not in texts:
            self.error(source, keys, f"no text in the default language ({self.default})")
        for lang, text in texts.items():
            where = (*keys, lang)
            if lang not in self.settings.languages:
                self.error(source, where, f"language '{lang}' is not listed in faq/languages.yaml")
            if html:
                self.markup(source, where, text)
            if lang != self.default and self.default in texts:
                self.same_facts(source, where, texts[self.default], text)
            if label and len(text) > BUTTON_LABEL_LIMIT:
                self.warn(source, where, f"button label is {len(text)} characters; "
                          f"keep it under {BUTTON_LABEL_LIMIT} so it fits on a phone")

    def markup(self, source: SourceFile, keys: tuple[Key, ...], text: str,
               *, splittable: bool = False, marks: Sequence[str] = ()) -> None:
        bad = telegram_html.problem(text)
        if bad:
            self.error(source, keys, f"Telegram would reject this markup: {bad}")
            return
        org = self.parsed.organisation[1] if self.parsed.organisation else None
        for name in PLACEHOLDER.findall(text):
            if name in marks:
                continue
            if name not in schema.PLACEHOLDERS:
                self.error(source, keys, f"unknown placeholder {{{name}}}; "
                           f"known: {', '.join('{' + p + '}' for p in sorted(schema.PLACEHOLDERS))}")
            elif org is not None and getattr(org, name, "") is None:
                self.error(source, keys, f"{{{name}}} is used, but faq/organisation.yaml has no "
                           f"'{name}'; add it there or take the placeholder out")
        pieces = text.split("\n\n") if splittable else [text]
        for piece in pieces:
            size = telegram_html.length(piece)
            if size > telegram_html.MESSAGE_LIMIT:
                what = "a paragraph" if splittable else "this text"
                self.error(source, keys, f"{what} is {size} characters; Telegram allows "
                           f"{telegram_html.MESSAGE_LIMIT} in one message")

    def same_facts(self, source: SourceFile, keys: tuple[Key, ...], german: str,
                   translation: str) -> None:
        """The cross-language check (`same_facts`): a warning where a translation's numbers,
        URLs or § are not the German text's."""
        missing, extra = fact_differences(german, translation)
        said = []
        if missing:
            said.append(f"the German has {', '.join(missing)} and this text does not")
        if extra:
            said.append(f"this text has {', '.join(extra)} and the German does not")
        if said:
            self.warn(source, keys, "numbers, URLs or § differ from the German text (numbers "
                      "compared by their digits): " + "; ".join(said))

    def reference(self, source: SourceFile, keys: tuple[Key, ...], kind: str, ref: str | None,
                  known: set[str] | Mapping[str, Any]) -> None:
        if ref is not None and ref not in known:
            self.error(source, keys, f"{kind} '{ref}' does not exist")

    def reviewed(self, source: SourceFile, date: dt.date) -> None:
        if date > dt.date.today():
            self.error(source, ("reviewed",), f"reviewed date {date} is in the future")

    # ----- per kind ---------------------------------------------------------------------------

    def check_languages(self) -> None:
        source, settings = self.parsed.languages  # type: ignore[misc]
        if settings.default_language not in settings.languages:
            self.error(source, ("default_language",), "the default language must be listed in "
                       "'languages'")
        for lang, chain in settings.fallback.items():
            if lang != "default" and lang not in settings.languages:
                self.error(source, ("fallback", lang),
                           f"'{lang}' is neither 'default' nor a language listed in 'languages'")
            for i, code in enumerate(chain):
                if code not in settings.languages:
                    self.error(source, ("fallback", lang, i),
                               f"language '{code}' is not listed in 'languages'")

    def check_organisation(self) -> None:
        source, org = self.parsed.organisation  # type: ignore[misc]
        self.localized(source, ("name",), org.name)
        self.localized(source, ("name_of",), org.name_of)
        for name in org.unconfirmed():
            self.warn(source, (name,), f"'{name}' is not confirmed: people are shown it as "
                      f"fact, so check it with the office, then write `{name}: true` under "
                      f"'confirmed:' (until then `lotse doctor` fails)")
        self.localized(source, ("response_time",), org.response_time)
        self.localized(source, ("translation_service",), org.translation_service)
        if org.phone is not None and not _complete_phone_number(org.phone):
            self.error(source, ("phone",), f"'phone': {org.phone!r} is not a complete phone "
                       "number; write it with the area code, e.g. +49 89 1234567 or 089 1234567")
        try:
            zoneinfo.ZoneInfo(org.office_hours.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.error(source, ("office_hours", "timezone"),
                       f"unknown time zone '{org.office_hours.timezone}'; use e.g. Europe/Berlin")
        for day, ranges in org.office_hours.days.items():
            for i, span in enumerate(ranges):
                start, end = span.split("-")
                if start >= end:
                    self.error(source, ("office_hours", "days", day, i),
                               f"office hours {span} end before they start")
        for i, link in enumerate(org.links):
            self.localized(source, ("links", i, "label"), link.label, label=True)
        self.reviewed(source, org.reviewed)

    def check_vocabularies(self) -> None:
        for name in REQUIRED_VOCABULARIES:
            if name not in self.parsed.vocabularies:
                self.problems.append(Problem("faq/vocabularies.yaml", 1,
                                             f"vocabulary '{name}' is missing (intake needs it)"))
        for name, (source, vocab) in self.parsed.vocabularies.items():
            self.localized(source, ("label",), vocab.label)
            for value, labels in vocab.values.items():
                self.localized(source, ("values", value), labels, label=True)
                if name in schema.IN_SENTENCES and value not in vocab.sentence:
                    self.warn(source, ("values", value), f"'{value}' has no sentence form: the "
                              f"case note writes it inside a German sentence, so add one under "
                              f"'sentence:' (like 'am Nachmittag' for 'Nachmittags'); until "
                              f"then it shows the label in brackets")
            for value in vocab.sentence:
                if value not in vocab.values:
                    self.error(source, ("sentence", value),
                               f"'{value}' is not a value of '{name}'")

    def check_canned_replies(self) -> None:
        for name, (source, reply) in self.parsed.canned_replies.items():
            self.localized(source, ("text",), reply.text, html=True)
            if len(name.encode()) > CANNED_NAME_BYTES or ":" in name:
                self.error(source, (), f"canned reply name '{name}' must be at most "
                                       f"{CANNED_NAME_BYTES} bytes without ':' (a staff "
                                       "button carries it)")

    def check_glossary(self) -> None:
        """Each term a word or words; explanations in the content's other languages, plain."""
        for term, (source, explained) in self.parsed.glossary.items():
            if not isinstance(term, str) or not re.fullmatch(r"\w[\w .-]*\w", term):
                self.error(source, (), f"{term!r}: a term is a word or a few words, as the "
                           "German content writes it")
                continue
            for lang, explanation in explained.root.items():
                if lang == self.default:
                    self.error(source, (lang,), f"'{term}' stays as it is in {lang}: an "
                               "explanation is for the other languages")
                elif lang not in self.settings.languages:
                    self.error(source, (lang,),
                               f"language '{lang}' is not listed in faq/languages.yaml")
                if re.search(r"[<>()&]", explanation):
                    self.error(source, (lang,), "an explanation is plain text without brackets "
                               "or markup (the brackets are added around it)")

    def check_entries(self) -> None:
        seen = Counter(e.id for _, e in self.parsed.entries)
        for source, entry in self.parsed.entries:
            if seen[entry.id] > 1:
                self.error(source, ("id",), f"id '{entry.id}' is used by {seen[entry.id]} entries")
            self.reference(source, ("topic",), "topic", entry.topic, self.topics)
            self.reviewed(source, entry.reviewed)
            if self.default not in entry.text:
                self.error(source, ("text",), f"no text in the default language ({self.default})")
            for lang, text in entry.text.items():
                if lang not in self.settings.languages:
                    self.error(source, ("text", lang),
                               f"language '{lang}' is not listed in faq/languages.yaml")
                self.markup(source, ("text", lang, "answer"), text.answer, splittable=True,
                            marks=(sections.MARK.strip("{}"),))
                german = entry.text.get(self.default)
                for keys, value, german_value in _answer_parts(text, german):
                    where = ("text", lang, *keys)
                    if keys[0] == "sections":
                        self.markup(source, where, value, splittable=True)
                    if lang != self.default and german_value is not None:
                        self.same_facts(source, where, german_value, value)
                    if lang == self.default:
                        self.problems += readability.long_sentence_problems(source, where, value)
            for lang in outdated_entry_languages(entry, self.default):
                self.warn(source, ("text", lang), outdated(lang, self.default))
            for i, link in enumerate(entry.links):
                self.localized(source, ("links", i, "label"), link.label, label=True)

    def check_flows(self) -> None:
        seen = Counter(f.id for _, f in self.parsed.flows)
        asked = self.asked_fields()
        for source, flow in self.parsed.flows:
            if seen[flow.id] > 1:
                self.error(source, ("id",), f"id '{flow.id}' is used by {seen[flow.id]} flows")
            self.reference(source, ("topic",), "topic", flow.topic, self.topics)
            self.localized(source, ("title",), flow.title, label=True)
            self.reviewed(source, flow.reviewed)
            self.reference(source, ("start",), "start node", flow.start, flow.nodes)
            for node_id, node in flow.nodes.items():
                self.check_node(source, flow, ("nodes", node_id), node, asked)
            self.check_graph(source, flow)
            for lang in outdated_flow_languages(flow, self.default, flow_languages(flow)):
                self.warn(source, ("translated_from", lang), outdated(lang, self.default))

    def asked_fields(self) -> dict[str, set[str] | None]:
        """Each field any ask node stores, with its possible values (None: free input)."""
        fields: dict[str, set[str] | None] = {}
        vocabularies = self.parsed.vocabularies
        for _, flow in self.parsed.flows:
            for node in flow.nodes.values():
                if not isinstance(node, schema.AskNode):
                    continue
                if node.input is not None:
                    values: set[str] | None = None
                elif node.options is not None:
                    values = {o.value for o in node.options}
                else:
                    vocab = vocabularies.get(node.vocabulary or "")
                    # An unknown vocabulary is reported at the ask node; its values are unknown,
                    # so branch cases on the field are not reported once more.
                    values = set(vocab[1].values) if vocab else None
                known = fields.get(node.field, set())
                fields[node.field] = None if values is None or known is None else known | values
        return fields

    def check_node(self, source: SourceFile, flow: schema.Flow, keys: tuple[Key, ...],
                   node: Any, asked: dict[str, set[str] | None]) -> None:
        text = getattr(node, "text", None)
        self.localized(source, (*keys, "text"), text, html=True)
        for i, button in enumerate(getattr(node, "buttons", [])):
            where = (*keys, "buttons", i)
            self.localized(source, (*where, "label"), button.label, label=True)
            self.reference(source, (*where, "goto"), "node", button.goto, flow.nodes)
            self.reference(source, (*where, "faq"), "FAQ entry", button.faq, self.entry_ids)
            self.reference(source, (*where, "flow"), "flow", button.flow, self.flow_ids)
        next_node = getattr(node, "next", None)
        self.reference(source, (*keys, "next"), "node", next_node, flow.nodes)
        if isinstance(node, schema.AnswerNode):
            self.reference(source, (*keys, "faq"), "FAQ entry", node.faq, self.entry_ids)
        elif isinstance(node, schema.AskNode):
            self.reference(source, (*keys, "vocabulary"), "vocabulary", node.vocabulary,
                           self.parsed.vocabularies)
            for i, option in enumerate(node.options or []):
                self.localized(source, (*keys, "options", i, "label"), option.label, label=True)
            if node.input is not None:
                self.localized(source, (*keys, "input", "error"), node.input.error, html=True)
        elif isinstance(node, schema.BranchNode):
            if node.field not in asked:
                self.error(source, (*keys, "field"), f"field '{node.field}' is never asked for "
                           f"(no ask node stores it)")
            values = asked.get(node.field)
            for value, target in node.cases.items():
                if values is not None and node.field in asked and value not in values:
                    self.error(source, (*keys, "cases", value), f"'{value}' is not a value that "
                               f"field '{node.field}' can have")
                self.reference(source, (*keys, "cases", value), "node", target, flow.nodes)
            self.reference(source, (*keys, "default"), "node", node.default, flow.nodes)

    def check_graph(self, source: SourceFile, flow: schema.Flow) -> None:
        reachable = reachable_nodes(flow, flow.start)
        for node_id in flow.nodes:
            if node_id not in reachable and flow.start in flow.nodes:  # else: reported once
                self.warn(source, ("nodes", node_id), f"node '{node_id}' can never be reached "
                          f"from the start node '{flow.start}'")
        for cycle in automatic_cycles(flow):
            self.error(source, ("nodes", cycle[0]), "loop with no way out: "
                       f"{' → '.join([*cycle, cycle[0]])} never waits for the user")


def _answer_parts(text: schema.EntryText, german: schema.EntryText | None
                  ) -> Iterator[tuple[tuple[Key, ...], str, str | None]]:
    """An entry text's answer and sections, each with where it is and its German counterpart."""
    yield ("answer",), text.answer, german.answer if german is not None else None
    for vocabulary, texts in text.sections.items():
        for key, value in texts.items():
            counterpart = german.sections.get(vocabulary, {}).get(key) if german else None
            yield ("sections", vocabulary, key), value, counterpart


def outdated(lang: str, default: str) -> str:
    return (f"the '{lang}' translation was made from an older {default} text: update it, then "
            f"run `lotse content stamp`")


def check(parsed: Parsed) -> list[Problem]:
    checker = Checker(parsed)
    checker.check_languages()
    if checker.default not in checker.settings.languages:
        return checker.problems  # otherwise every text would report the default language missing
    checker.check_organisation()
    checker.check_vocabularies()
    checker.check_canned_replies()
    checker.check_glossary()
    checker.check_entries()
    checker.check_flows()
    return checker.problems + section_problems(parsed) + signal_problems(parsed)


def _complete_phone_number(text: str) -> bool:
    """Whether `text` is a phone number that can be dialled (German numbering plan, where no
    country code is written)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "DE"))
    except phonenumbers.NumberParseException:
        return False
