"""Each provider against the fake in its real wire format: what is sent, what comes back, and
every failure the original marked with its reason — never an exception."""
from __future__ import annotations

import pytest

from bot.translation.base import Untranslated
from tests.fake_translation import FakeTranslation
from tests.translation.conftest import MakeTranslator

PROVIDERS = ["llm", "libretranslate", "deepl"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_text_goes_out_and_comes_back_translated(
        provider: str, fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": provider})
    result = await translator.translate("Bitte rufen Sie an: 0821 123456", "de", "ar")
    assert result.translated and result.provider == provider
    marker = "[ARABIC]" if provider == "llm" else "[AR]"  # the LLM is told language names
    assert result.text == f"{marker} BITTE RUFEN SIE AN: 0821 123456"
    assert (result.original, result.source, result.target) == \
        ("Bitte rufen Sie an: 0821 123456", "de", "ar")
    [(path, body)] = fake.requests
    wire = 'Bitte rufen Sie an: <x i="1"/>'
    if provider == "llm":
        assert path == "/v1/chat/completions"
        assert body["temperature"] == 0 and body["model"] == "fake-llm"
        assert "from German to Arabic" in body["messages"][0]["content"]
        assert body["messages"][1] == {"role": "user", "content": wire}
    elif provider == "libretranslate":
        assert path == "/translate"
        assert body == {"q": wire, "source": "de", "target": "ar", "format": "html"}
    else:
        assert path == "/v2/translate"
        assert body["text"] == [wire] and body["tag_handling"] == "xml"
        assert (body["source_lang"], body["target_lang"]) == ("DE", "AR")


async def test_deepl_gets_regional_english_and_its_quality_model_for_pashto(
        fake: FakeTranslation, make_translator: MakeTranslator) -> None:
    translator = make_translator({"en": "deepl", "ps": "deepl"})
    assert (await translator.translate("Guten Tag", "de", "en")).translated
    assert (await translator.translate("Guten Tag", "de", "ps")).translated
    assert fake.requests[0][1]["target_lang"] == "EN-GB"
    assert "model_type" not in fake.requests[0][1]
    assert fake.requests[1][1]["model_type"] == "quality_optimized"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("fault", "reason"), [
    ("500", Untranslated.SERVER_ERROR), ("429", Untranslated.RATE_LIMITED),
    ("400", Untranslated.REJECTED), ("garble", Untranslated.MALFORMED),
    ("stall", Untranslated.TIMEOUT)])
async def test_a_failure_gives_the_original_marked(
        provider: str, fault: str, reason: Untranslated, fake: FakeTranslation,
        make_translator: MakeTranslator) -> None:
    translator = make_translator({"ar": provider}, retries=0, timeout=0.5)
    if fault == "garble":
        fake.garble_next()
    elif fault == "stall":
        fake.stall_next()
    else:
        fake.fail_next(status=int(fault))
    result = await translator.translate("Haben Sie Ihren Bescheid?", "de", "ar")
    assert not result.translated and result.reason is reason
    assert result.text == "Haben Sie Ihren Bescheid?" and result.provider == provider


async def test_a_server_that_is_not_there_is_a_network_failure(
        make_translator: MakeTranslator) -> None:
    from bot.translation.providers.libretranslate import LibreTranslate
    from bot.translation.translator import Translator
    from tests.servers import free_port

    translator = Translator({"ar": LibreTranslate(f"http://127.0.0.1:{free_port()}")},
                            retries=0, timeout=2.0)
    try:
        result = await translator.translate("Hallo Frau Demir", "de", "ar")
    finally:
        await translator.close()
    assert result.reason is Untranslated.NETWORK and result.text == "Hallo Frau Demir"


async def test_a_provider_that_raises_anything_else_still_gives_the_original() -> None:
    from bot.translation.translator import Translator

    class Broken:
        name = "llm"

        async def translate(self, text: str, source: str, target: str, *,
                            timeout: float) -> str:
            raise RuntimeError(f"could not handle {text}")

        async def close(self) -> None:
            pass

    result = await Translator({"ar": Broken()}).translate("Frau Demir fragt", "de", "ar")
    assert (result.text, result.reason) == ("Frau Demir fragt", Untranslated.UNEXPECTED)
