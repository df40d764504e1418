"""`lotse doctor`'s translation lines against the fake servers: one per routed language, failing
with what to check when a provider does not answer; none when nothing is routed."""
from __future__ import annotations

from bot.config import Settings
from bot.ops.doctor import translation
from tests.fake_translation import FakeTranslation


def settings(fake: FakeTranslation, routes: str) -> Settings:
    return Settings(_env_file=None, TRANSLATION_ROUTES=routes,  # type: ignore[call-arg]
                    TRANSLATION_LLM_URL=fake.base + "/v1", TRANSLATION_LLM_MODEL=fake.llm_model,
                    TRANSLATION_LIBRETRANSLATE_URL=fake.base,
                    TRANSLATION_DEEPL_API_KEY=fake.deepl_key, TRANSLATION_DEEPL_URL=fake.base,
                    TRANSLATION_PER_MINUTE=1)


async def test_a_line_per_provider_and_language(fake: FakeTranslation) -> None:
    findings = await translation(settings(fake, "libretranslate: ar fa; llm: ti; deepl: uk"))
    assert [(f.ok, f.what) for f in findings] == [
        (True, "translation de→uk by deepl answers"),
        (True, "translation de→ar by libretranslate answers"),
        (True, "translation de→fa by libretranslate answers"),
        (True, "translation de→ti by llm answers")]
    assert sorted(body.get("target") or body.get("target_lang") or "llm"
                  for _, body in fake.requests) == ["UK", "ar", "fa", "llm"]


async def test_a_provider_that_fails_is_named_with_what_to_check(fake: FakeTranslation) -> None:
    fake.fail_next(status=400)  # e.g. LibreTranslate without a model for the language
    [finding] = await translation(settings(fake, "libretranslate: ps"))
    assert (finding.ok, finding.what) == (False, "translation de→ps by libretranslate failed "
                                                 "(rejected)")
    assert "TRANSLATION_LIBRETRANSLATE_URL" in finding.fix and len(fake.requests) == 1


async def test_nothing_routed_nothing_checked(fake: FakeTranslation) -> None:
    assert await translation(settings(fake, "")) == []
