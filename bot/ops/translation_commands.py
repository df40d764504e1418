"""`lotse content export` and `lotse content import`: the files, messages and exit codes around
`bot.core.content.translation_po` (PO files for translators)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bot.core.content.model import Content
from bot.core.content.translation_po import (
    TranslationError,
    export_catalog,
    import_catalog,
    read_catalog,
    write_catalog,
)


def export_po(content: Content, lang: str, output: Path | None) -> int:
    try:
        catalog = export_catalog(content.root, content.languages, lang, content.organisation,
                                 metadata.version("lotse"))
    except TranslationError as exc:
        print(f"lotse: {exc}", file=sys.stderr)
        return 2
    path = output or Path(f"content-{lang}.po")
    write_catalog(catalog, path)
    messages = [m for m in catalog if m.id]
    done = sum(bool(m.string) for m in messages)
    machine = sum(m.fuzzy for m in messages)
    print(f"{path}: {len(messages)} texts, {done} translated ({machine} machine translations, "
          f"marked fuzzy), {len(messages) - done} to translate", file=sys.stderr)
    return 0


def import_po(content: Content, file: Path, lang: str | None,
              check: Callable[[Path], int]) -> int:
    """Import, then run the content check (`check`) on the result and return its exit code."""
    try:
        result = import_catalog(content.root, content.languages, read_catalog(file, lang),
                                str(file))
    except TranslationError as exc:
        print(f"lotse: {exc}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(warning)
    print(f"{file}: {result.imported} translations imported, {len(result.changed_files)} file(s) "
          f"changed{': ' if result.changed_files else ''}{', '.join(result.changed_files)}",
          file=sys.stderr)
    return check(content.root)
