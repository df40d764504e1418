"""The translation providers, one server each: `llm.py` (an OpenAI-compatible chat-completions
endpoint), `libretranslate.py`, `deepl_api.py` (DeepL's official client); `http.py` is the JSON POST
the first two share."""
