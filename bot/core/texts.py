"""Texts built from content for one person: FAQ answers with their notes, the hotline, hours."""
from __future__ import annotations

import re
from collections.abc import Mapping

from babel.dates import get_day_names
from babel.support import NullTranslations

from bot.core.content.freshness import outdated_entry_languages, outdated_flow_languages
from bot.core.content.model import Content
from bot.core.content.schema import PLACEHOLDERS, FaqEntry, Flow, Link
from bot.core.content.sections import MARK, section_text, shown_keys
from bot.core.i18n import native_name
from bot.core.telegram_html import escape

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def office_hours(content: Content, locale: str) -> str:
    """The office hours, one line per open day, with day names in the person's language."""
    try:
        names = get_day_names("wide", locale=locale)
    except (ValueError, LookupError):
        names = get_day_names("wide", locale="en")
    days = content.organisation.office_hours.days
    return "\n".join(f"{names[WEEKDAYS.index(day)]}: {', '.join(r.replace('-', '–') for r in spans)}"
                     for day, spans in sorted(days.items(), key=lambda d: WEEKDAYS.index(d[0])))


def fill(content: Content, text: str, locale: str) -> str:
    """Organisation placeholders ({phone}, {office_hours} ...) filled in; content HTML stays."""
    org = content.organisation
    values = {"name": escape(content.pick(org.name, locale).text),
              "name_of": escape(content.pick(org.name_of, locale).text),
              "phone": escape(org.phone or ""),
              "email": escape(org.email or ""), "website": escape(org.website or ""),
              "address": escape(org.address or ""),
              "office_hours": escape(office_hours(content, locale)),
              "data_protection_authority": _link(content, org.data_protection_authority, locale),
              "translation_service": escape(content.pick(org.translation_service, locale).text)
              if org.translation_service else ""}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _link(content: Content, link: Link | None, locale: str) -> str:
    if link is None:
        return ""
    url = escape(link.url).replace('"', "&quot;")
    return f'<a href="{url}">{escape(content.pick(link.label, locale).text)}</a>'


def hotline(content: Content, t: NullTranslations, locale: str) -> str:
    """How to reach a person at the office without the bot."""
    org = content.organisation
    lines = [f"<b>{escape(content.pick(org.name, locale).text)}</b>"]
    if org.phone:
        lines.append(t.gettext("Phone: {phone}").format(phone=escape(org.phone)))
    if org.email:
        lines.append(t.gettext("Email: {email}").format(email=escape(org.email)))
    lines.append(t.gettext("Office hours:"))
    lines.append(escape(office_hours(content, locale)))
    return "\n".join(lines)


def entry_answer(content: Content, entry: FaqEntry, t: NullTranslations, locale: str, *,
                 lang: str | None = None, facts: Mapping[str, str] | None = None,
                 common: bool = True, question: str | None = None) -> str:
    """An FAQ answer as the person sees it, with a note when it is not (yet) in their language,
    was translated by a machine or is older than the German text. `lang`: the language the
    person asked for (the current German text of an outdated translation), without notes.
    `facts`: what the person told (vocabulary -> value), which picks the sections shown;
    `common=False`: the sections alone, under the title (after "Which is yours?"); `question`
    (HTML) follows the answer, before the notes."""
    shown = lang or content.entry_lang(entry, locale)
    text = entry.text[shown]
    sections = section_texts(content, entry, shown, facts or {})
    before, _, after = (text.answer if common else "").partition(MARK)
    answer = "\n\n".join(part for part in (before.strip(), *sections, after.strip()) if part)
    parts = [f"<b>{escape(text.title)}</b>", fill(content, answer, locale)]
    if question:
        parts.append(question)
    notes = [] if lang is not None else _notes(content, entry, shown, t, locale)
    return "\n\n".join(parts + [note_html(note) for note in notes])


def section_texts(content: Content, entry: FaqEntry, lang: str,
                  facts: Mapping[str, str]) -> list[str]:
    """The sections that apply to a person with `facts`, in `lang`, in file order."""
    default = content.languages.default_language
    return [section_text(entry, default, lang, vocabulary, key).strip()
            for vocabulary, keys in shown_keys(entry, default, facts).items() for key in keys]


def note_html(note: str) -> str:
    """A one-line note under a text (not translated yet, machine translation, outdated)."""
    return "<i>" + escape(note) + "</i>"


def _notes(content: Content, entry: FaqEntry, shown: str, t: NullTranslations,
           locale: str) -> list[str]:
    notes = []
    if shown != locale:
        notes.append(t.gettext("This text is not yet translated into {language}.").format(
            language=native_name(locale)))
    elif entry.text[shown].status == "machine" and shown != content.languages.default_language:
        notes.append(t.gettext("This text was translated by a machine and may contain mistakes."))
    if outdated(content, entry, locale):
        notes.append(outdated_note(t))
    return notes


def outdated_note(t: NullTranslations) -> str:
    return t.gettext("The German text was changed after this translation was made, so it may be "
                     "out of date.")


def outdated(content: Content, entry: FaqEntry, locale: str) -> bool:
    """Whether a person of `locale` is shown a translation made from an older German text."""
    return content.entry_lang(entry, locale) in outdated_entry_languages(
        entry, content.languages.default_language)


def flow_outdated(content: Content, flow: Flow, locale: str) -> bool:
    """Whether the flow's texts in `locale` were translated from an older German text."""
    return bool(outdated_flow_languages(flow, content.languages.default_language, {locale}))
