"""The fake translation servers and translators over them, for tests/translation/."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.translation.providers.deepl_api import DeepL
from bot.translation.providers.libretranslate import LibreTranslate
from bot.translation.providers.llm import ChatCompletions
from bot.translation.translator import Translator
from tests.fake_translation import FakeTranslation

MakeTranslator = Callable[..., Translator]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTranslation]:
    async with FakeTranslation() as server:
        yield server


@pytest.fixture
async def make_translator(fake: FakeTranslation) -> AsyncIterator[MakeTranslator]:
    """`make_translator({"ar": "libretranslate", …}, **options)`: a translator over the fake with
    no backoff (tests never wait for one) and a short timeout."""
    made: list[Translator] = []

    def make(routes: dict[str, str], **options: object) -> Translator:
        providers = {"llm": ChatCompletions(fake.base + "/v1", fake.llm_model),
                     "libretranslate": LibreTranslate(fake.base),
                     "deepl": DeepL(fake.deepl_key, server_url=fake.base)}
        options = {"backoff": 0.0, "timeout": 2.0, **options}
        translator = Translator({lang: providers[name] for lang, name in routes.items()},
                                **options)  # type: ignore[arg-type]
        made.append(translator)
        return translator

    yield make
    for translator in made:
        await translator.close()
