"""Machine translation of the chat between a person and a counsellor, channel-free.

`Translator.translate(text, source, target)` (`translator.py`) never raises and never loses the
text: it answers a `Translation` (`base.py`) that is either translated or the original, marked,
with the reason. Around each provider call it keeps what must survive word for word
(`protect.py`: URLs, phone numbers, e-mail addresses, case numbers, amounts, dates, § references,
Telegram's tags and the glossary's office terms, faq/glossary.yaml), caches answers (`cache.py`),
limits the rate, retries and measures (`bot.ops.metrics`). The providers (`providers/`) speak one
server each: an OpenAI-compatible chat-completions endpoint, LibreTranslate, DeepL; which one
translates which language is the TRANSLATION_ROUTES setting (`routes.py`), and `setup.py` builds
the translator from the settings. No route, no provider: everything passes through untranslated."""
