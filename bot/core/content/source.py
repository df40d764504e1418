"""Reading one YAML file while remembering where every key and value stands (1-based lines)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from bot.core.content.problems import Problem

# Words that YAML 1.1 tools (and many editors' previews) read as true/false; our loader reads them
# as text, but an admin who meant text should quote them so that every tool agrees.
YAML11_BOOLEANS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")

Key = str | int


@dataclass(frozen=True)
class SourceFile:
    """A parsed YAML document plus what is needed to point at its lines."""

    path: str
    data: Any
    lines: Sequence[str]

    def line(self, keys: Sequence[Key]) -> int:
        """The line of the value at `keys`, or of the deepest part of it that exists."""
        node = self.data
        line = node.lc.line + 1 if isinstance(node, CommentedMap | CommentedSeq) else 1
        for key in keys:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.value(key)[0] + 1 if _is_scalar(node[key]) else node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        return line

    def key_line(self, keys: Sequence[Key]) -> int:
        """The line where the last key of `keys` is written (for mappings: the key, not the value)."""
        parent = self.get(keys[:-1])
        if isinstance(parent, CommentedMap) and keys and keys[-1] in parent:
            return parent.lc.key(keys[-1])[0] + 1
        return self.line(keys)

    def get(self, keys: Sequence[Key]) -> Any:
        node = self.data
        for key in keys:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def raw_value(self, keys: Sequence[Key]) -> str:
        """The value at `keys` as written in the file (for messages about numbers and booleans)."""
        parent = self.get(keys[:-1])
        if isinstance(parent, CommentedMap):
            line, col = parent.lc.value(keys[-1])
        elif isinstance(parent, CommentedSeq):
            line, col = parent.lc.item(keys[-1])
        else:
            return str(self.get(keys))
        text = self.lines[line][col:] if line < len(self.lines) else ""
        # A plain number or yes/no word ends at a comment, or in {de: 1.10, en: ...} at , ] or }.
        text = re.split(r"[,\]}]", text.split(" #", 1)[0], maxsplit=1)[0]
        return text.strip() or str(self.get(keys))


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (CommentedMap, CommentedSeq))


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, except that a date-shaped value which is no real date
    (2025-13-01) stays text, so that validation reports it at its line instead of crashing."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return str(self.construct_scalar(node))


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    return yaml


def read_yaml(path: Path, shown_as: str) -> tuple[SourceFile | None, list[Problem]]:
    """Parse `path`; a syntax error becomes one problem at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(shown_as, 1, "the file is not UTF-8 text; save it as UTF-8")]
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        if "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
            return None, [Problem(shown_as, exc.context_mark.line + 1, _unclosed_quote(
                text.splitlines()[exc.context_mark.line], exc.context_mark.column))]
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = (exc.problem or exc.context or "YAML syntax error").strip()
        if "found duplicate key" in str(exc):
            what = f"the same key is written twice ({_duplicate_key(str(exc))})"
        return None, [Problem(shown_as, line, f"YAML syntax: {what}")]
    if data is None:
        return None, [Problem(shown_as, 1, "the file is empty")]
    return SourceFile(shown_as, data, text.splitlines()), []


def _unclosed_quote(line: str, column: int) -> str:
    mark = line[column] if column < len(line) else '"'
    inside = "written twice, ''" if mark == "'" else 'written with a backslash, \\"'
    return (f"the text starting with {mark} on this line has no closing {mark}: end it with "
            f"{mark} (a {mark} inside the text must be {inside}), or remove the opening one")


def _duplicate_key(message: str) -> str:
    found = re.search(r'found duplicate key "([^"]*)"', message)
    return f'"{found.group(1)}"' if found else "a key"


def plain_text(value: Any) -> Any:
    """ruamel's round-trip types turned into plain dicts, lists, str, int, float, bool, date."""
    if isinstance(value, CommentedMap):
        return {k: plain_text(v) for k, v in value.items()}
    if isinstance(value, CommentedSeq):
        return [plain_text(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def ambiguous_words(source: SourceFile) -> list[tuple[tuple[Key, ...], str]]:
    """Unquoted values such as `no` or `on` that other YAML tools would read as true/false."""
    found: list[tuple[tuple[Key, ...], str]] = []

    def walk(node: Any, keys: tuple[Key, ...]) -> None:
        if isinstance(node, CommentedMap):
            for k, v in node.items():
                walk(v, (*keys, k))
        elif isinstance(node, CommentedSeq):
            for i, v in enumerate(node):
                walk(v, (*keys, i))
        elif type(node) is str and YAML11_BOOLEANS.match(node):
            found.append((keys, node))

    walk(source.data, ())
    return found


def merged_list_items(source: SourceFile) -> list[tuple[int, str]]:
    """Lines that look like a new list item ("- …") but are indented more than the item above,
    so YAML read them as part of that item's text: `(line, the merged text)`, lines 1-based."""
    found: list[tuple[int, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, CommentedMap):
            for value in node.values():
                walk(value)
        elif isinstance(node, CommentedSeq):
            for index, item in enumerate(node):
                if type(item) is str and " - " in item:  # a plain (unquoted) text
                    line = _continued_item(source.lines, node.lc.item(index)[0], item)
                    if line is not None:
                        found.append((line, item))
                walk(item)

    walk(source.data)
    return found


def _continued_item(lines: Sequence[str], first: int, item: str) -> int | None:
    """The first continuation line of the item written at line index `first` that starts with
    "- ", as a 1-based line number."""
    for number in range(first + 1, len(lines)):
        text = lines[number].strip()
        if not text or text.lstrip("- ") not in item:
            return None  # past the item's text
        if text.startswith("- "):
            return number + 1
    return None
