"""The case note: what a counsellor reads in the staff group, in German, whatever language the
person wrote in. Every value the person typed is escaped. The person's question comes in the
original and, when a translator is configured for the language, with its German machine
translation beside it (made before the case is opened, `bot.handoff.cases`, and handed in as
`CaseFacts.translations`); the note stays one Telegram message, the translation shortened if
need be."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from zoneinfo import ZoneInfo

import phonenumbers

from bot.core.case_status import CaseStatus
from bot.core.content.model import Content
from bot.core.i18n import german_name
from bot.core.telegram_html import MESSAGE_LIMIT, escape, length, parse, truncate

TOPIC_NAME_LIMIT = 128
STATUS = {CaseStatus.NEW: "neu", CaseStatus.CLAIMED: "in Bearbeitung",
          CaseStatus.CLOSED: "geschlossen"}
OUTCOMES = {"answered": "beantwortet", "referred": "weitervermittelt",
            "callback": "Rückruf erledigt", "no_reply": "keine Rückmeldung",
            "deleted": "auf Wunsch der Person gelöscht"}
CRISES = {"danger_to_life": "Lebensgefahr / medizinischer Notfall",
          "violence": "Gewalt oder Bedrohung", "suicide": "Suizidgedanken",
          "no_place_to_sleep": "Kein Schlafplatz heute Nacht", "child_in_danger": "Kind in Gefahr"}
"""The German name of each crisis kind (`bot.core.signals.CrisisKind`), for the counsellors."""


@dataclass(frozen=True)
class CaseFacts:
    """Everything the note shows; built from the case row."""

    number: int
    created_at: dt.datetime
    locale: str
    intake: Mapping[str, str]
    shown: Sequence[str] = ()
    path: Sequence[str] = ()
    consent_at: dt.datetime | None = None
    status: CaseStatus = CaseStatus.NEW
    urgent: bool = False
    crisis: str | None = None
    """The kind of crisis that made it urgent, when known (a key of `CRISES`)."""
    claimed_by: str | None = None
    outcome: str | None = None
    translations: Mapping[str, str | None] = dataclass_field(default_factory=dict)
    """The German machine translation of an intake field the person wrote ("question"), in
    Telegram HTML (the escaped text translated as HTML, as the relay's are), or None where the translator failed (the note says "nicht übersetzt"); a field not here is shown as
    today (no translator for the language, German already, or nothing to translate)."""


TRANSLATED_FIELDS = ("question",)
"""The intake's free text that is machine-translated for the note (never the first name)."""


def topic_name(content: Content, facts: CaseFacts) -> str:
    """The forum topic's name, e.g. "#42 · Sprachkurs · Arabisch · neu"."""
    topic = content.vocabulary_label("topic", facts.intake.get("topic", "other"), "de")
    status = STATUS.get(facts.status, facts.status)
    if facts.status == CaseStatus.CLAIMED and facts.claimed_by:
        status = f"bei {facts.claimed_by}"
    parts = [f"#{facts.number}", topic, german_name(facts.locale), status]
    if facts.urgent:
        parts.insert(1, "🚨 DRINGEND")
    return " · ".join(parts)[:TOPIC_NAME_LIMIT]


def _time(content: Content, when: dt.datetime) -> str:
    local = when.astimezone(ZoneInfo(content.organisation.office_hours.timezone))
    return local.strftime("%d.%m.%Y, %H:%M Uhr")


def _phone(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, "DE")
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def note(content: Content, facts: CaseFacts) -> str:
    """The case note as Telegram HTML."""
    intake = facts.intake

    def label(vocabulary: str) -> str:
        value = intake.get(vocabulary)
        return escape(content.vocabulary_label(vocabulary, value, "de")) if value else "–"

    lines = [f"<b>{'🚨 DRINGEND · ' if facts.urgent else ''}Fall #{facts.number}</b> · "
             f"{escape(STATUS.get(facts.status, facts.status))}"]
    if facts.urgent and facts.crisis in CRISES:
        lines.append(f"<b>Dringend:</b> {escape(CRISES[facts.crisis])}")
    if facts.claimed_by:
        lines.append(f"Übernommen von: {escape(facts.claimed_by)}")
    if facts.outcome:
        lines.append(f"Ergebnis: {escape(OUTCOMES.get(facts.outcome, facts.outcome))}")
    lines += [
        f"Eingang: {_time(content, facts.created_at)}",
        f"Sprache: {escape(german_name(facts.locale))} ({escape(facts.locale)})",
        f"Thema: {label('topic')}",
    ]
    flows = _flows_visited(content, facts.path)
    if flows:
        lines.append(f"Weg im Chat: {escape(' › '.join(flows))}")
    lines += [f"Aufenthaltsstatus: {label('residence_status')}",
              f"Deutschkenntnisse: {label('german_level')}", ""]
    question = intake.get("question")
    language = escape(german_name(facts.locale))
    translating = "question" in facts.translations
    translation_at = None
    german = facts.translations.get("question")
    if question:
        failed = "; nicht übersetzt" if translating and german is None else ""
        lines.append(f"<b>Anliegen</b> (Originaltext, {language}{failed}):")
        lines.append(f"<blockquote>{escape(question)}</blockquote>")
        if german is not None:
            lines.append(f"<b>Anliegen auf Deutsch</b> (maschinelle Übersetzung {language} → "
                         "Deutsch):")
            translation_at = len(lines)
            lines.append("")  # filled in last, shortened to what the message has room for
    else:
        lines.append("<b>Anliegen:</b> nicht angegeben")
    shown = [content.entries[e].text[content.languages.default_language].title
             for e in facts.shown if e in content.entries]
    lines.append("<b>Bereits gezeigte Antworten:</b> " +
                 (escape("; ".join(shown)) if shown else "keine"))
    lines.append("")
    contact = intake.get("contact_preference")
    if contact == "phone" and intake.get("phone"):
        when = _when(content, intake.get("preferred_time"))
        lines.append(f"<b>Kontakt:</b> Rückruf unter {escape(_phone(intake['phone']))}{when}")
    else:
        lines.append("<b>Kontakt:</b> Antwort hier im Chat (Nachrichten in diesem Thema gehen "
                     "an die Person)")
    if intake.get("first_name"):
        lines.append(f"Vorname: {escape(intake['first_name'])}")
    if facts.consent_at:
        lines.append(f"Einwilligung: {_time(content, facts.consent_at)}")
    if translation_at is not None and german is not None:
        room = MESSAGE_LIMIT - length("\n".join(lines))
        lines[translation_at] = f"<blockquote>{_fitted(german, room)}</blockquote>"
    return "\n".join(lines)


def _fitted(html: str, room: int) -> str:
    """`html` cut short (…) to at most `room` UTF-16 code units as Telegram counts them: a long
    question grows in translation, and the note must stay one Telegram message."""
    if length(html) <= room:
        return html
    return escape(truncate(parse(html), max(0, room - 1)).rstrip() + "…")


def _when(content: Content, value: str | None) -> str:
    """The preferred time as the end of "Rückruf unter …": its sentence form ("am Nachmittag"),
    else its label in brackets; nothing when none was given."""
    if not value:
        return ""
    sentence = content.vocabulary_sentence("preferred_time", value)
    return (f" {escape(sentence)}" if sentence else
            f" ({escape(content.vocabulary_label('preferred_time', value, 'de'))})")


def _flows_visited(content: Content, path: Sequence[str]) -> list[str]:
    titles: list[str] = []
    for step in path:
        flow = content.flows.get(step.split("/")[0])
        if flow is None:
            continue
        title = content.pick(flow.title, "de").text
        if not titles or titles[-1] != title:
            titles.append(title)
    return titles
