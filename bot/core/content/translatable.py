"""Every text of the content that a translator translates: where it is written (file and keys),
its German source, and the translation status that covers it in each language.

Texts are the `{de: …, en: …}` mappings anywhere in the organisation, vocabularies, canned replies,
FAQ entries (link labels) and flows, plus each FAQ entry's `text.<lang>` title, answer and question
variants. An entry's status is kept per entry and language (`text.<lang>.status`), a flow's per flow
and language (`status: {<lang>: machine}`); the other files have no status."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.content.source import Key
from bot.core.content.yaml_roundtrip import YamlDocument, is_flow, styled

Status = Literal["reviewed", "machine"]
Unit = Literal["entry", "flow"]
"""What carries a translation status: an entry per language, or a flow per language."""
Value = str | list[str]
"""A text, or for question variants the list of them."""
LANG_CODE = re.compile(r"^[a-z]{2,3}$")
NOT_TEXTS = {"status", "translated_from", "cases"}
"""Mappings from language-code-like keys to strings that are not texts: a flow's statuses and
stamps and a branch node's cases (`eu: work-free`)."""
ENTRY_FIELDS = ("title", "answer", "questions")
SHARED_FILES = ("faq/organisation.yaml", "faq/vocabularies.yaml", "faq/canned-replies.yaml")


@dataclass(frozen=True)
class TranslatableText:
    file: str
    """Relative to the content root, with `/`."""
    source: Value
    """The German text (as read: its YAML style is the model for new translations)."""
    keys: tuple[Key, ...]
    """Where the `{de: …}` mapping is; for an entry's own texts `("text",)`."""
    field: str | None = None
    """For an entry's own texts: title, answer, questions or a section (under `text.<lang>`;
    a section as `sections.<vocabulary>.<key>`)."""
    line: int = 1
    """Where the German text is written."""

    @property
    def location(self) -> str:
        """Stable and unique: `faq/entries/language/integration-course.yaml#text.answer`."""
        keys = (*self.keys, self.field) if self.field else self.keys
        return f"{self.file}#{'.'.join(str(k) for k in keys)}"

    @property
    def unit(self) -> Unit | None:
        """What carries this text's translation status."""
        return "entry" if self.file.startswith("faq/entries/") else (
            "flow" if self.file.startswith("flows/") else None)

    def value(self, doc: YamlDocument, lang: str) -> Value | None:
        holder, key = self._holder(doc, lang)
        return None if holder is None else holder.get(key)

    def set_value(self, doc: YamlDocument, lang: str, value: Value) -> None:
        """Write `value` in `lang`, in the style of the text it replaces or of the German one."""
        holder, key = self._holder(doc, lang, create=True)  # maybe an entry's first text in `lang`
        assert holder is not None
        current = holder.get(key)
        if isinstance(value, list):
            _set_list(holder, key, value)
            return
        like = current if current is not None else self.source
        holder[key] = styled(value, like, in_flow=is_flow(holder))

    def _holder(self, doc: YamlDocument, lang: str,
                create: bool = False) -> tuple[CommentedMap | None, Key]:
        """The mapping that holds this text in `lang`, and its key there (`create`: with the
        mappings on the way made where they are missing)."""
        node = _node(doc.data, self.keys)
        if self.field is None:
            return node, lang
        *path, key = (lang, *self.field.split("."))
        for part in path:
            if node.get(part) is None:
                if not create:
                    return None, key
                node[part] = CommentedMap()
            node = node[part]
        return node, key


def _node(data: Any, keys: tuple[Key, ...]) -> Any:
    for key in keys:
        data = data[key]
    return data


def _set_list(holder: CommentedMap, key: Key, value: list[str]) -> None:
    """Replace a list's items in place, so that comments on the list stay where they are."""
    seq = holder.get(key)
    if not isinstance(seq, CommentedSeq):
        holder[key] = CommentedSeq(value)
        return
    del seq[len(value):]
    for i, item in enumerate(value):
        if i < len(seq):
            seq[i] = item
        else:
            seq.append(item)


def status(doc: YamlDocument, text: TranslatableText, lang: str) -> Status | None:
    """The status that covers `text` in `lang` (None: the file has no status)."""
    if text.unit == "entry":
        entry_text = doc.data["text"].get(lang)
        return None if entry_text is None else entry_text.get("status", "reviewed")
    if text.unit == "flow":
        return (doc.data.get("status") or {}).get(lang, "reviewed")
    return None


def set_status(doc: YamlDocument, unit: Unit, lang: str,
               value: Status) -> None:
    """Mark an entry's or flow's `lang` as `value`; `reviewed` is the default and is only written
    where a status was written before."""
    if unit == "entry":
        holder = doc.data["text"].get(lang)
        if holder is None:
            return
        if "status" in holder or value != "reviewed":
            if "status" not in holder:
                holder.insert(0, "status", value)
            else:
                holder["status"] = value
        return
    statuses = doc.data.get("status")
    if statuses is None:
        if value == "reviewed":
            return
        statuses = CommentedMap()
        statuses.fa.set_flow_style()
        doc.data.insert(list(doc.data).index("nodes"), "status", statuses)
    if lang in statuses or value != "reviewed":
        statuses[lang] = value


def content_files(root: Path) -> list[str]:
    """The files with translatable texts, in the order a translator meets them."""
    found = [name for name in SHARED_FILES if (root / name).is_file()]
    for folder in ("faq/entries", "flows"):
        found += sorted(p.relative_to(root).as_posix() for p in (root / folder).rglob("*.yaml"))
    return found


def collect(root: Path, source_lang: str) -> tuple[dict[str, YamlDocument],
                                                   list[TranslatableText]]:
    """Every content file read for round-tripping, and every text in it that has a German source."""
    docs = {name: YamlDocument.read(root / name) for name in content_files(root)}
    texts = [text for name, doc in docs.items() for text in _texts(name, doc.data, source_lang)]
    return docs, texts


def _texts(name: str, data: Any, source_lang: str) -> Iterator[TranslatableText]:
    if name.startswith("faq/entries/"):
        source = data["text"].get(source_lang, {})
        for field in ENTRY_FIELDS:
            if source.get(field):
                yield TranslatableText(name, source[field], ("text",), field,
                                       source.lc.value(field)[0] + 1)
        for vocabulary, sections in (source.get("sections") or {}).items():
            for key, text in sections.items():
                yield TranslatableText(name, text, ("text",), f"sections.{vocabulary}.{key}",
                                       sections.lc.value(key)[0] + 1)
        data = {k: v for k, v in data.items() if k != "text"}
    yield from _localized(name, data, (), source_lang)


def _localized(name: str, node: Any, keys: tuple[Key, ...],
               source_lang: str) -> Iterator[TranslatableText]:
    if isinstance(node, CommentedMap) and source_lang in node and all(
            isinstance(k, str) and LANG_CODE.match(k) and isinstance(v, str)
            for k, v in node.items()):
        yield TranslatableText(name, node[source_lang], keys,
                               line=node.lc.value(source_lang)[0] + 1)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in NOT_TEXTS:
                yield from _localized(name, value, (*keys, key), source_lang)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            yield from _localized(name, item, (*keys, i), source_lang)
