"""The translator over the fake servers: routing by the person's language, what is kept word for
word (a property test with a provider that shuffles words), the glossary, Telegram HTML, retries,
the rate limit, the cache, the metrics, and logs without text."""
from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import telegram_html
from bot.core.content.model import Content
from bot.ops.metrics import REGISTRY, exposition
from bot.translation.base import Untranslated
from bot.translation.cache import AnswerCache
from bot.translation.protect import Lost, protect, restore
from bot.translation.translator import Translator
from tests.fake_translation import TOKENS, FakeTranslation
from tests.translation.conftest import MakeTranslator

GLOSSARY = {"Jobcenter": {"ar": "مركز العمل", "en": "job centre"},
            "Ausländerbehörde": {"ar": "دائرة الأجانب"}, "Duldung": {}}


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_person_s_language_picks_the_provider_both_ways(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "libretranslate", "ti": "llm"})
    assert (await translator.translate("Wann kommen Sie?", "de", "ar")).provider == \
        "libretranslate"
    assert (await translator.translate("ሰላም ኣሎኹ", "ti", "de")).provider == "llm"
    assert [path for path, _ in fake.requests] == ["/translate", "/v1/chat/completions"]


@pytest.mark.parametrize(("text", "source", "target", "reason"), [
    ("Wann kommen Sie?", "de", "fa", Untranslated.NOT_ROUTED),
    ("Wann kommen Sie?", "de", "de", Untranslated.SAME_LANGUAGE),
    ("0821 123456 👍", "de", "ar", Untranslated.NOTHING_TO_TRANSLATE),
    ("https://example.org/termin 🙏 12.03.2025 #45", "ar", "de", Untranslated.NOTHING_TO_TRANSLATE),
])
async def test_what_is_never_sent(text: str, source: str, target: str, reason: Untranslated,
                                  fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    result = await make_translator({"ar": "llm"}).translate(text, source, target)
    assert (result.text, result.reason, result.translated) == (text, reason, False)
    assert fake.requests == []


async def test_no_routes_passes_everything_through(fake: FakeTranslation,
                                                   make_translator: MakeTranslator) -> None:
    result = await make_translator({}).translate("Guten Tag", "de", "ar")
    assert (result.text, result.provider, result.reason) == ("Guten Tag", "none",
                                                             Untranslated.NOT_ROUTED)


def shuffle_words(seed: int) -> Callable[[str, str, str], str]:
    def translate(text: str, source: str, target: str) -> str:
        words = TOKENS.findall(text)
        random.Random(seed).shuffle(words)
        return " ".join(w if w.startswith(("<", "&")) else w[::-1] for w in words)
    return translate


KEPT = st.sampled_from([
    "https://www.bamf.de/DE/Themen/Integration/integrationskurse.html", "www.landkreis.de/asyl",
    "+49 821 123-4567", "0821 12 34 56", "§ 60c AufenthG", "§ 7 Abs. 1 SGB II", "§§ 3",
    "beratung@landkreis.example", "#123", "€ 4,58", "12,50 €", "3.4.2025", "Jobcenter",
    "<b>", "</b>", "&amp;"])
WORDS = st.sampled_from(["Bitte", "rufen", "Sie", "an", "morgen", "wegen", "Ihrer", "Frage", "und",
                         "dem", "Termin", "."])


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.one_of(KEPT, WORDS), min_size=1, max_size=14), seed=st.integers(0, 99))
def test_every_kept_piece_survives_a_provider_that_shuffles_words(parts: list[str],
                                                                  seed: int) -> None:
    # " | " between the parts: two phone numbers with only a space between them are one kept
    # piece (restored exactly), and the count below would then find that piece's halves in a
    # shuffled answer beside the other numbers
    text = " | ".join(parts)
    protected = protect(text, GLOSSARY)
    answer = shuffle_words(seed)(protected.wire, "de", "en")
    try:
        translated = restore(answer, protected, "en", GLOSSARY)
    except Lost as exc:  # only a broken markup may be refused, never a lost piece
        assert protected.markup and str(exc) == "markup"
        return
    kept = [p.text for p in protected.pieces]
    if not kept:
        assert protected.wire == text.replace("&", "&amp;")
        return
    assert "Jobcenter" not in kept or "Jobcenter (job centre)" in translated
    assert sorted(re.findall("|".join(map(re.escape, sorted(set(kept), key=len,
                                                            reverse=True))), translated)) \
        == sorted(kept)


async def test_a_url_a_phone_and_a_paragraph_survive_the_round_trip(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    fake.translate = shuffle_words(7)
    text = ("Nach § 60c AufenthG geht das. Infos: https://www.bamf.de/x?y=1 oder "
            "Tel. +49 821 123-4567")
    result = await make_translator({"ar": "llm"}).translate(text, "de", "ar")
    assert result.translated
    for kept in ("§ 60c AufenthG", "https://www.bamf.de/x?y=1", "+49 821 123-4567"):
        assert result.text.count(kept) == 1
    sent = fake.requests[0][1]["messages"][1]["content"]
    assert "bamf" not in sent and "60c" not in sent and "4567" not in sent


@pytest.mark.parametrize("answer", ['X <x i="1"/> <x i="1"/> Y', "X Y", 'X <x i="1"/> <x i="3"/>'])
async def test_a_lost_or_duplicated_placeholder_gives_the_original(
        answer: str, fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    fake.translate = lambda text, source, target: answer
    text = "Kommen Sie am 3.4.2025 um 10 Uhr vorbei"
    result = await make_translator({"ar": "libretranslate"}).translate(text, "de", "ar")
    assert (result.text, result.reason) == (text, Untranslated.PLACEHOLDERS)


async def test_office_terms_stay_german_with_their_explanation_in_the_target_language(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "libretranslate"}, glossary=lambda: GLOSSARY)
    result = await translator.translate("Gehen Sie zum Jobcenter und zur Ausländerbehörde, "
                                        "Ihre Duldung mitbringen", "de", "ar")
    assert "Jobcenter (مركز العمل)" in result.text
    assert "Ausländerbehörde (دائرة الأجانب)" in result.text
    assert "Duldung" in result.text and "Duldung (" not in result.text
    back = await translator.translate("عندي موعد في jobcenters", "ar", "de")
    assert "jobcenters" in back.text and "(" not in back.text


async def test_telegram_html_stays_valid_or_the_original_comes_back(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "libretranslate"}, glossary=lambda: GLOSSARY)
    text = "<b>Wichtig:</b> Bringen Sie den <i>Bescheid</i> &amp; Ausweis zum Jobcenter"
    result = await translator.translate(text, "de", "ar")
    assert result.translated and telegram_html.problem(result.text) is None
    assert result.text.count("<b>") == 1 and "&amp;" in result.text
    fake.translate = lambda text, source, target: re.sub(r'<x i="(1|2)"/>',
                                                         lambda m: f'<x i="{3 - int(m[1])}"/>',
                                                         text)
    swapped = await translator.translate("<b>Ganz</b> anders", "de", "ar")
    assert (swapped.text, swapped.reason) == ("<b>Ganz</b> anders", Untranslated.MARKUP)


async def test_plain_text_stays_plain(fake: FakeTranslation,
                                      make_translator: MakeTranslator) -> None:
    result = await make_translator({"ar": "llm"}).translate("5 < 6 & mehr", "de", "ar")
    assert result.text.endswith("5 < 6 & MEHR")
    assert fake.requests[0][1]["messages"][1]["content"] == "5 &lt; 6 &amp; mehr"


async def test_timeouts_and_5xx_are_retried_4xx_not(fake: FakeTranslation,
                                                    make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "libretranslate"}, retries=2, timeout=1.0)
    fake.stall_next()
    fake.fail_next(status=500)
    assert (await translator.translate("Erster Versuch", "de", "ar")).translated
    assert len(fake.requests) == 3
    fake.fail_next(3, status=503)
    failed = await translator.translate("Zweiter Versuch", "de", "ar")
    assert failed.reason is Untranslated.SERVER_ERROR and len(fake.requests) == 6
    fake.fail_next(status=400)
    assert (await translator.translate("Dritter Versuch", "de", "ar")).reason is \
        Untranslated.REJECTED
    assert len(fake.requests) == 7


async def test_backoff_doubles_and_stays_within_the_time(fake: FakeTranslation,
                                                         make_translator: MakeTranslator) -> None:
    clock = [0.0]
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds

    translator = make_translator({"ar": "llm"}, retries=5, backoff=1.0, timeout=6.0,
                                 clock=lambda: clock[0], sleep=sleep)
    fake.fail_next(5, status=429)
    result = await translator.translate("Hallo", "de", "ar")
    assert pauses == [1.0, 2.0]  # a third pause (4 s) would end after the 6 s
    assert result.reason is Untranslated.RATE_LIMITED and len(fake.requests) == 3


async def test_the_rate_limit_waits_for_a_token_or_gives_up_in_time(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    clock = [0.0]
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds

    translator = make_translator({"ar": "llm"}, per_minute=6, timeout=15.0,
                                 clock=lambda: clock[0], sleep=sleep)
    assert (await translator.translate("Eins", "de", "ar")).translated
    assert (await translator.translate("Zwei", "de", "ar")).translated
    assert pauses == [pytest.approx(10.0)]  # 6 a minute, burst 1: the next token in 10 s
    slow = make_translator({"ar": "llm"}, per_minute=1, timeout=15.0,
                           clock=lambda: clock[0], sleep=sleep)
    assert (await slow.translate("Drei", "de", "ar")).translated
    limited = await slow.translate("Vier", "de", "ar")
    assert limited.reason is Untranslated.RATE_LIMITED and len(fake.requests) == 3


async def test_the_cache_answers_a_repeated_text_and_stays_bounded(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "llm", "fa": "llm"}, cache=AnswerCache(size=2))
    first = await translator.translate("Wie geht es?", "de", "ar")
    again = await translator.translate("Wie geht es?", "de", "ar")
    assert again == first and len(fake.requests) == 1
    await translator.translate("Wie geht es?", "de", "fa")  # another pair: asked
    assert len(fake.requests) == 2
    other_url = await translator.translate("Siehe https://a.example", "de", "ar")
    same_words = await translator.translate("Siehe https://b.example", "de", "ar")
    assert len(fake.requests) == 3 and same_words.text == other_url.text.replace("a.ex", "b.ex")
    assert len(translator.cache) == 2
    await translator.translate("Wie geht es?", "de", "ar")  # pushed out: asked again
    assert len(fake.requests) == 4


async def test_a_failure_is_not_cached(fake: FakeTranslation,
                                       make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "libretranslate"}, retries=0)
    fake.fail_next(status=500)
    assert not (await translator.translate("Nochmal bitte", "de", "ar")).translated
    assert (await translator.translate("Nochmal bitte", "de", "ar")).translated


async def test_metrics_count_by_provider_and_logs_carry_no_text(
        fake: FakeTranslation, make_translator: MakeTranslator,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    translator = make_translator({"uk": "deepl"}, retries=1)
    before = {outcome: metric("lotse_translations_total", provider="deepl", outcome=outcome)
              for outcome in ("translated", "cached", "failed")}
    failures = metric("lotse_translation_failures_total", provider="deepl", reason="server_error")
    seconds = metric("lotse_translation_seconds_count", provider="deepl")
    await translator.translate("Geheime Sache von Frau Kovalenko", "de", "uk")
    await translator.translate("Geheime Sache von Frau Kovalenko", "de", "uk")
    fake.fail_next(2, status=500)
    await translator.translate("Noch ein Geheimnis", "de", "uk")
    assert metric("lotse_translations_total", provider="deepl", outcome="translated") == \
        before["translated"] + 1
    assert metric("lotse_translations_total", provider="deepl", outcome="cached") == \
        before["cached"] + 1
    assert metric("lotse_translations_total", provider="deepl", outcome="failed") == \
        before["failed"] + 1
    assert metric("lotse_translation_failures_total", provider="deepl",
                  reason="server_error") == failures + 1
    assert metric("lotse_translation_seconds_count", provider="deepl") == seconds + 2
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert "de→uk" in logged and "server_error" in logged
    for secret in ("Geheim", "Kovalenko", "GEHEIM"):
        assert secret not in logged


async def test_the_shipped_glossary_explains_terms_as_the_content_does(
        shipped_content: Content, fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": "llm", "uk": "llm"},
                                 glossary=lambda: shipped_content.glossary)
    text = "Melden Sie sich beim Jobcenter, dann bei der Agentur für Arbeit."
    arabic = await translator.translate(text, "de", "ar")
    assert "Jobcenter (الجوب سنتر)" in arabic.text
    assert "Agentur für Arbeit (وكالة العمل)" in arabic.text
    ukrainian = await translator.translate(text, "de", "uk")
    assert "Jobcenter (" not in ukrainian.text  # no Ukrainian explanation: the term alone
    assert "Agentur für Arbeit (агентство з праці)" in ukrainian.text


class Silent:
    """A provider that is never asked (its name is this test's alone)."""

    name = "silent-at-start"

    async def translate(self, text: str, source: str, target: str, *, timeout: float) -> str:
        raise AssertionError("not asked")

    async def close(self) -> None:
        pass


def test_a_configured_provider_is_in_metrics_at_zero_before_its_first_text() -> None:
    assert f'provider="{Silent.name}"' not in exposition(None)[0].decode()  # the test can fail
    Translator({"ar": Silent(), "fa": Silent()})
    exposed = exposition(None)[0].decode()
    for line in (f'lotse_translations_total{{outcome="failed",provider="{Silent.name}"}} 0.0',
                 f'lotse_translation_failures_total{{provider="{Silent.name}",reason="timeout"}} '
                 "0.0",
                 f'lotse_translation_seconds_count{{provider="{Silent.name}"}} 0.0'):
        assert line in exposed, line
    assert f'provider="{Silent.name}",reason="not_routed"' not in exposed  # not a failure
