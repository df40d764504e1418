"""`lotse content stamp`: record in each translation the hash of the German text it now matches
(`bot.core.content.freshness`), after a person checked it or after an import; only the
`translated_from` fields change, everything else in the files stays byte for byte."""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from bot.core.content.freshness import entry_hash, flow_hash, flow_languages
from bot.core.content.loader import parse_folder
from bot.core.content.problems import Severity
from bot.core.content.yaml_roundtrip import YamlDocument


class StampError(ValueError):
    pass


def stamp(root: Path, ids: Collection[str], languages: Collection[str] | None = None) -> list[str]:
    """Stamp the entries and flows named in `ids` (all when empty) in `languages` (all but
    German when None); the files changed, relative to `root`."""
    parsed = parse_folder(root)
    if any(p.severity is Severity.ERROR for p in parsed.problems):
        raise StampError("the content has errors; run `lotse content check` first")
    assert parsed.languages is not None
    default = parsed.languages[1].default_language
    order = parsed.languages[1].languages
    known = {e.id for _, e in parsed.entries} | {f.id for _, f in parsed.flows}
    if unknown := sorted(set(ids) - known):
        raise StampError(f"no entry or flow with the id {', '.join(unknown)}")
    changed = []
    for source, entry in parsed.entries:
        current = entry_hash(entry, default)
        if (ids and entry.id not in ids) or current is None:
            continue
        document = YamlDocument.read(Path(source.path))
        for lang in entry.text:
            if lang != default and (languages is None or lang in languages):
                _set(document.data["text"][lang], current, after="status")
        if document.save():
            changed.append(source.path)
    for source, flow in parsed.flows:
        if ids and flow.id not in ids:
            continue
        document = YamlDocument.read(Path(source.path))
        current = flow_hash(flow, default)
        stamps = document.data.get("translated_from")
        if stamps is None:
            stamps = CommentedMap()
            stamps.fa.set_flow_style()
            _set(document.data, stamps, after="status" if "status" in document.data else "start")
        for lang in sorted(flow_languages(flow), key=lambda code: (code not in order,
                                                                   order.index(code) if code in order else 0, code)):
            if lang != default and (languages is None or lang in languages):
                stamps[lang] = current
        if document.save():
            changed.append(source.path)
    return changed


def _set(mapping: CommentedMap, value: object, *, after: str, key: str = "translated_from") -> None:
    """`mapping[key] = value`, a new key placed right after `after` (or first when it is not
    there)."""
    if key in mapping:
        mapping[key] = value
        return
    keys = list(mapping)
    mapping.insert(keys.index(after) + 1 if after in keys else 0, key, value)
