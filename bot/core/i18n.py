"""Interface strings from the gettext catalogs in `translations/`, and language facts from Babel."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

DOMAIN = "lotse"


class Catalogs:
    """The compiled catalogs of one `translations/` folder; English msgids are the fallback."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, NullTranslations] = {}

    def get(self, locale: str) -> NullTranslations:
        if locale not in self._cache:
            self._cache[locale] = Translations.load(str(self.directory), [locale], DOMAIN)
        return self._cache[locale]

    def languages(self) -> list[str]:
        """Languages that have a catalog (compiled or not)."""
        return sorted(p.name for p in self.directory.iterdir() if (p / "LC_MESSAGES").is_dir())


@lru_cache(maxsize=64)
def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return None


def native_name(code: str) -> str:
    """A language's name written in that language, e.g. "العربية" for ar."""
    locale = _locale(code)
    name = locale.get_display_name(code) if locale else None
    return (name[:1].upper() + name[1:]) if name else code


def german_name(code: str) -> str:
    """A language's German name, for counsellors ("Arabisch")."""
    locale = _locale(code)
    return (locale.get_display_name("de") if locale else None) or code


def script(code: str) -> str:
    """The script a language is usually written in (ISO 15924: "Arab", "Ethi", "Latn", "Cyrl"),
    from CLDR's likely subtags; "Latn" for a code CLDR does not know."""
    from babel.core import get_global

    likely = get_global("likely_subtags").get(code, "")
    return next((part for part in likely.split("_")[1:] if len(part) == 4), "Latn")


def is_rtl(code: str) -> bool:
    locale = _locale(code)
    return bool(locale and locale.character_order == "right-to-left")


def N_(message: str) -> str:
    """Marks an interface string for extraction where it is translated later (`pybabel -k N_`)."""
    return message
