"""People are told before they agree, and in /privacy and the privacy answer, that their messages
to a counsellor may be machine-translated, by the service faq/organisation.yaml names
(`translation_service`); an organisation that names none is not said to translate."""
from __future__ import annotations

import dataclasses

import pytest

from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import Command
from bot.core.state import State
from bot.core.texts import fill

LANGUAGES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti")


def screen(content: Content, locale: str, command: str) -> str:
    return step(content, State(locale=locale), Command(command)).replies[-1].text


@pytest.mark.parametrize("locale", LANGUAGES)
def test_consent_privacy_and_the_privacy_answer_name_the_service(
        shipped_content: Content, locale: str) -> None:
    service = shipped_content.pick(shipped_content.organisation.translation_service, locale).text
    assert service and shipped_content.pick(
        shipped_content.organisation.translation_service, locale).lang == locale
    answer = fill(shipped_content, shipped_content.entries["privacy"].text[locale].answer, locale)
    for text in (screen(shipped_content, locale, "counsellor"),
                 screen(shipped_content, locale, "privacy"), answer):
        assert service in text, (locale, text)
        assert "{" not in text


def test_without_a_named_service_nothing_is_said_about_translation(
        shipped_content: Content) -> None:
    organisation = shipped_content.organisation.model_copy(update={"translation_service": None})
    plain = dataclasses.replace(shipped_content, organisation=organisation)
    for command in ("counsellor", "privacy"):
        with_service = screen(shipped_content, "en", command)
        without = screen(plain, "en", command)
        assert "machine-translated" in with_service  # the test can fail
        assert "machine-translated" not in without and "translat" not in without
