"""Content YAML files read and written back with ruamel's round-trip mode, so that everything not
changed on purpose (comments, key order, quoting, `{de: …, en: …}` flow mappings) stays byte for byte
as the admin wrote it."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from bot.core.content.source import YAML11_BOOLEANS

LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 0))
"""Indentation of (mappings, sequences, the dash inside a sequence) to try, the shipped style
first: `key:` then `  - item`."""
WIDTH = 1_000_000
"""Never fold long lines: the content keeps a flow mapping or a sentence on one line."""


def _yaml(layout: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


@dataclass
class YamlDocument:
    """One content file: its text as read, and its data to change in place."""

    path: Path
    original: str
    data: Any
    exact: bool = True
    """Whether the file's layout is one of LAYOUTS, so that unchanged parts stay byte for byte."""

    @classmethod
    def read(cls, path: Path) -> YamlDocument:
        original = path.read_text(encoding="utf-8")
        return cls(path, original, _yaml(LAYOUTS[0]).load(original))

    def save(self) -> bool:
        """Write the file if its data changed; True when it was written."""
        text = _dump(_yaml(LAYOUTS[0]), self.data)
        if text == self.original:
            return False
        layout = self._layout()
        if layout is None:
            self.exact = False
        elif layout != LAYOUTS[0]:
            text = _dump(_yaml(layout), self.data)
            if text == self.original:
                return False
        self.path.write_text(text, encoding="utf-8")
        self.original = text
        return True

    def _layout(self) -> tuple[int, int, int] | None:
        """The layout in which the file as read is written back unchanged."""
        for layout in LAYOUTS:
            yaml = _yaml(layout)
            if _dump(yaml, yaml.load(self.original)) == self.original:
                return layout
        return None


def styled(text: str, like: Any, in_flow: bool) -> str:
    """`text` as a scalar written in the style of `like` (the value it replaces, or its German
    sibling): a `|` block stays a block, 'quoted' stays quoted, and a flow mapping stays on one line."""
    if in_flow:
        if "\n" in text:
            return DoubleQuotedScalarString(text)
        if isinstance(like, (SingleQuotedScalarString, DoubleQuotedScalarString)):
            return type(like)(text)
    elif isinstance(like, (LiteralScalarString, FoldedScalarString, SingleQuotedScalarString,
                           DoubleQuotedScalarString)):
        return type(like)(text)
    elif "\n" in text:
        return LiteralScalarString(text)
    if YAML11_BOOLEANS.match(text):
        return SingleQuotedScalarString(text)
    return text


def is_flow(node: Any) -> bool:
    return isinstance(node, CommentedMap) and bool(node.fa.flow_style())
