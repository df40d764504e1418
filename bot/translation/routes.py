"""TRANSLATION_ROUTES: which provider translates which language.

The form is one entry per provider, `provider: languages`, entries separated by `;`, languages
by spaces or commas: `libretranslate: ar fa uk ru tr; llm: ps ku ti`. One entry per provider
because that is how a county decides (one server, the languages it does well), and the name first
so that the line reads as a sentence. A language is the person's side of the pair: the route of
`ar` translates Arabic to German and German to Arabic. A language not named is not translated."""
from __future__ import annotations

import re

PROVIDERS = ("llm", "libretranslate", "deepl")
DEEPL_LACKS = frozenset({"ti"})
"""Languages of Lotse's content that DeepL does not translate (it has no Tigrinya)."""
_LANGUAGE = re.compile(r"[a-z]{2,3}")


def parse_routes(text: str) -> dict[str, str]:
    """Language → provider name; raises ValueError with a message that says what is wrong."""
    routes: dict[str, str] = {}
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        provider, colon, languages = entry.partition(":")
        provider = provider.strip().lower()
        if not colon or provider not in PROVIDERS:
            raise ValueError(f"expected 'provider: languages' with a provider of "
                             f"{', '.join(PROVIDERS)}, e.g. 'libretranslate: ar fa; llm: ti', "
                             f"not {entry!r}")
        names = [name for name in re.split(r"[\s,]+", languages.strip().lower()) if name]
        if not names:
            raise ValueError(f"{provider}: no languages after the colon")
        for name in names:
            if not _LANGUAGE.fullmatch(name):
                raise ValueError(f"{name!r} is not a language code like ar or ti")
            if name in routes:
                raise ValueError(f"{name} is routed twice ({routes[name]} and {provider})")
            routes[name] = provider
    return routes
