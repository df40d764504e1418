"""`lotse doctor`'s translation lines against the fake servers: one per routed language, failing
with what to check when a provider does not answer; none when nothing is routed. And its content
line: translation configured, but the organisation names no translation service."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from bot.config import REPO_ROOT, Settings
from bot.ops.doctor import content, translation
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


def without_translation_service(root: Path) -> Path:
    """The shipped content as a county that translates nothing may write it: no
    translation_service, and the privacy answer without the paragraph that names it."""
    for folder in ("faq", "flows"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    organisation = root / "faq" / "organisation.yaml"
    text = organisation.read_text(encoding="utf-8")
    text, removed = re.subn(r"\ntranslation_service:\n(?:  .*\n)+", "\n", text)
    text = text.replace("  translation_service: false\n", "").replace(": false\n", ": true\n")
    assert removed == 1
    organisation.write_text(text, encoding="utf-8")
    privacy = root / "faq" / "entries" / "counselling" / "privacy.yaml"
    text, removed = re.subn(r"\n      [^\n]*\{translation_service\}[^\n]*\n", "",
                            privacy.read_text(encoding="utf-8"))
    assert removed == 10
    privacy.write_text(text, encoding="utf-8")
    return root


def test_translation_without_a_named_service_fails_the_content_line(tmp_path: Path) -> None:
    root = without_translation_service(tmp_path)
    base = {"_env_file": None, "CONTENT_ROOT": str(root), "CONTENT_CACHE": "",
            "TRANSLATION_LLM_URL": "http://127.0.0.1:9/v1", "TRANSLATION_LLM_MODEL": "m"}
    assert content(Settings(**base))[0].ok  # type: ignore[arg-type]  # nothing translated: fine
    finding, _ = content(Settings(**base, TRANSLATION_ROUTES="llm: ti"))  # type: ignore[arg-type]
    assert finding.ok is False and "names no translation_service" in finding.what
    assert "translation_service" in finding.fix
