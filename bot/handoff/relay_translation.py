"""Machine translation of what the person and the counsellors relay to each other: the person's
messages into German for the case's topic, a counsellor's German into the person's language.

A text is translated when its transcript message is written (`Cases.relay`, `Cases.relay_to_user`),
before that transaction and within TRANSLATION_TIMEOUT (the translator never takes longer and
never raises), and the translation is stored with the message (`TranscriptMessage.translation`,
`.translation_state`). So the outbox worker, which delivers one row at a time for everyone, never
waits for a provider, a failure is decided once, and the message goes in its place in the order,
once: translated, or the original marked "not translated". The worker only shows what was stored
(`for_staff`, `for_person`). A text stays as written, unmarked, when the counsellor sent it so
(`/orig`) or turned translation off for the case, when no provider translates the language (the
default); a medium's caption is translated like a text (shown beneath the medium). Canned replies
never come here (their translations are human-approved)."""
from __future__ import annotations

from dataclasses import dataclass

from babel.support import NullTranslations

from bot.core import bidi
from bot.core.i18n import N_
from bot.core.telegram_html import escape
from bot.handoff.delivery import Translated
from bot.storage.cases import case_rows
from bot.storage.outbox_rows import Transcribed
from bot.storage.repository import Storage
from bot.translation.base import Untranslated
from bot.translation.translator import Translator

OFFICE = "de"
"""The counsellors' language."""
TRANSLATED = "translated"
KEPT = "kept"
"""Sent as written on purpose: `/orig`, or translation turned off for the case."""
QUIET = frozenset({Untranslated.NOT_ROUTED, Untranslated.SAME_LANGUAGE,
                   Untranslated.NOTHING_TO_TRANSLATE})
"""Untranslated as today, and nothing to mark: no provider for the language, German already,
only numbers and links."""
FAILED = frozenset(reason.value for reason in Untranslated) - {r.value for r in QUIET}

MACHINE_TRANSLATED = N_("Machine translation from German")
SHOW_ORIGINAL = N_("Show the German original")
NOT_TRANSLATED = N_("Not translated (the translation service did not answer): the counsellor "
                    "wrote this in German")
ORIGINAL = N_("The counsellor's original message in German:")
GONE = N_("This message is no longer stored.")
SENT_UNTRANSLATED = ("⚠️ Nicht übersetzt gesendet (der Übersetzungsdienst hat nicht "
                     "geantwortet): die Person hat Ihre Nachricht auf Deutsch bekommen.")


@dataclass(frozen=True)
class Stored:
    """What a transcript message keeps of its translation."""

    translation: str | None = None
    state: str | None = None

    @property
    def failed(self) -> bool:
        return self.state in FAILED


async def translate(storage: Storage, translator: Translator | None, case_id: int,
                    text: str | None, *, to_person: bool, keep: bool = False) -> Stored:
    """The translation of a relayed text or caption of case `case_id` (into German, or
    `to_person` from German into the case's language); `keep`: as written."""
    if translator is None or not text:
        return Stored()
    async with case_rows(storage) as rows:
        case = await rows.case(case_id)
        if case is None:
            return Stored()
        locale, off = case.locale, case.translation_off
    if keep or off:
        return Stored(state=KEPT)
    source, target = (OFFICE, locale) if to_person else (locale, OFFICE)
    result = await translator.translate(escape(text), source, target, html=True)
    if result.translated:
        return Stored(result.text, TRANSLATED)
    if result.reason is None or result.reason in QUIET:
        return Stored()
    return Stored(state=result.reason.value)


def pair(locale: str) -> str:
    return f"{locale} → {OFFICE}"


def for_staff(message: Transcribed, locale: str) -> Translated | None:
    """How the topic shows a person's message's translation (German)."""
    if message.translation_state == TRANSLATED and message.translation:
        return Translated(f"🌐 Maschinell übersetzt ({pair(locale)})", message.translation)
    if message.translation_state in FAILED:
        return Translated(f"⚠️ Nicht übersetzt ({pair(locale)}): der Übersetzungsdienst hat "
                          "nicht geantwortet", None)
    return None


def for_person(message: Transcribed, locale: str, t: NullTranslations) -> Translated | None:
    """How the person gets a counsellor's translated message: in their language, marked, with
    the button that shows the German original."""
    if message.translation_state == TRANSLATED and message.translation:
        return Translated("🌐 " + bidi.for_locale(t.gettext(MACHINE_TRANSLATED), locale),
                          bidi.for_locale(message.translation, locale),
                          (t.gettext(SHOW_ORIGINAL), message.id))
    if message.translation_state in FAILED:
        return Translated("⚠️ " + bidi.for_locale(t.gettext(NOT_TRANSLATED), locale), None)
    return None


def original(text: str | None, locale: str, t: NullTranslations) -> str:
    """The answer to the person's "show the original" button (Telegram HTML)."""
    if text is None:
        return escape(t.gettext(GONE))
    return bidi.for_locale(escape(t.gettext(ORIGINAL)), locale) + "\n\n" + escape(text)
