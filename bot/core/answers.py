"""The engine's FAQ answers: an entry with the sections that apply to the person, "Which is
yours?" for a fact not told yet, the matcher's answer to a typed question, the likely answers when
it is unsure, and what follows when nothing matched (`AnswerHandling`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core import texts
from bot.core.content import schema
from bot.core.content.sections import choosable, shown_keys, vocabularies
from bot.core.events import Answered, Button, Matched, Unanswered
from bot.core.matcher import Candidate, Confidence
from bot.core.screens import ScreenHandling
from bot.core.state import Action
from bot.core.telegram_html import escape

MISSES_BEFORE_COUNSELLOR_FIRST = 2


class AnswerHandling(ScreenHandling):
    """Answers from the FAQ entries, chosen or matched."""

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
        listen = self.listen_row(f"faq:{entry_id}", self.recording(entry) is not None)
        self.say(text, [*rows, *listen])
        if self.state.voice and listen:
            self.read_aloud(text, self.recording(entry))

    def recording(self, entry: schema.FaqEntry) -> str | None:
        """The county's recording of the entry in the person's language, if the content has one."""
        shown = entry.text.get(self.locale)
        return shown.audio if shown is not None else None

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
