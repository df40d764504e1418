"""The answers of the providers, kept in memory so that a repeated text (a greeting, a common
question, a counsellor's usual sentence) is not sent again. Keyed by the SHA-256 of the protected
text, the language pair and the provider, so the key reveals nothing; bounded, the least recently
used answer goes first. It holds the provider's answer with its placeholders: the pieces and the
glossary's explanations are put back on each use, so an edited glossary counts at once."""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

DEFAULT_SIZE = 2000


def cache_key(text: str, source: str, target: str, provider: str) -> str:
    return hashlib.sha256(json.dumps([text, source, target, provider]).encode()).hexdigest()


class AnswerCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._answers: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: str, answer: str) -> None:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)

    def __len__(self) -> int:
        return len(self._answers)
