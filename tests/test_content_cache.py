"""The content kept on disk (bot/ops/content_cache.py): used only under its own key, from this user's
own file, and what it gives is what loading gives."""
from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from pathlib import Path

import pytest

from bot.core.content import loader
from bot.ops import content_cache
from bot.ops.content_cache import cached_load, key
from tests.core.content_cases import UI_DIR, build_tree


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return build_tree(None, tmp_path).resolve()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every root actually loaded (parsed, checked, indexed) through the cache."""
    loaded: list[Path] = []

    def counting(root: Path, ui_dir: Path, retention_days: int = 90):
        loaded.append(root)
        return loader.load(root, ui_dir, retention_days)

    monkeypatch.setattr(content_cache, "load", counting)
    return loaded


def test_a_second_start_takes_the_content_from_the_file(root: Path, tmp_path: Path,
                                                        loads: list[Path]) -> None:
    first, problems = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    again, problems_again = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert loads == [root]
    assert first is not None and again is not None and again is not first
    assert again.version == first.version and again.entries == first.entries
    assert problems_again == problems
    question = next(iter(first.entries.values())).text[first.languages.default_language].title
    assert again.matcher.rank(question, first.languages.default_language) == \
        first.matcher.rank(question, first.languages.default_language)
    assert again.ui.directory == UI_DIR  # the catalogs are opened afresh
    cache = next((tmp_path / "cache").iterdir())
    assert (cache.stat().st_mode & 0o777, (tmp_path / "cache").stat().st_mode & 0o777) == \
        (0o600, 0o700)


def test_an_edited_file_loads_afresh(root: Path, tmp_path: Path, loads: list[Path]) -> None:
    first, _ = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    languages = root / "faq" / "languages.yaml"
    languages.write_text(languages.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited, _ = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert loads == [root, root]
    assert first is not None and edited is not None and edited.version != first.version


def test_the_key_covers_settings_the_day_and_the_catalogs(root: Path, tmp_path: Path) -> None:
    today = dt.date(2026, 12, 4)
    assert key(root, UI_DIR, 90, today) == key(root, UI_DIR, 90, today)
    assert key(root, UI_DIR, 30, today) != key(root, UI_DIR, 90, today)
    assert key(root, UI_DIR, 90, today + dt.timedelta(days=1)) != key(root, UI_DIR, 90, today)
    ui = tmp_path / "translations"  # a language whose catalog is added loads afresh
    shutil.copytree(UI_DIR, ui)
    before = key(root, ui, 90, today)
    shutil.copytree(ui / "en", ui / "so")
    assert key(root, ui, 90, today) != before


def test_a_file_others_may_write_is_never_read(root: Path, tmp_path: Path, loads: list[Path],
                                               caplog: pytest.LogCaptureFixture) -> None:
    cached_load(root, UI_DIR, 90, tmp_path / "cache")
    cache = next((tmp_path / "cache").iterdir())
    os.chmod(cache, 0o666)
    with caplog.at_level(logging.WARNING, logger="bot.ops.content_cache"):
        content, _ = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert content is not None and loads == [root, root]
    assert "not this user's own file" in caplog.text
    assert cache.stat().st_mode & 0o777 == 0o600  # replaced by a file of our own


def test_a_broken_file_loads_afresh(root: Path, tmp_path: Path, loads: list[Path],
                                    caplog: pytest.LogCaptureFixture) -> None:
    cached_load(root, UI_DIR, 90, tmp_path / "cache")
    cache = next((tmp_path / "cache").iterdir())
    cache.write_bytes(cache.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING, logger="bot.ops.content_cache"):
        content, _ = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert content is not None and loads == [root, root]
    assert "unreadable, loading afresh" in caplog.text
    cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert loads == [root, root]  # the broken file was replaced


def test_content_with_errors_is_kept_as_its_errors(root: Path, tmp_path: Path,
                                                    loads: list[Path]) -> None:
    (root / "faq" / "languages.yaml").write_text("languages: [\n", encoding="utf-8")
    first = cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert cached_load(root, UI_DIR, 90, tmp_path / "cache") == first
    assert first[0] is None and first[1] and loads == [root]


def test_only_the_newest_files_stay(tmp_path: Path, loads: list[Path]) -> None:
    roots = [build_tree(None, tmp_path / str(i)).resolve() for i in range(content_cache.KEEP + 1)]
    for root in roots:
        cached_load(root, UI_DIR, 90, tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("content-*.pickle"))) == content_cache.KEEP
    cached_load(roots[-1], UI_DIR, 90, tmp_path / "cache")
    assert loads == roots  # the newest is still there


def test_no_folder_means_always_loading(root: Path, loads: list[Path]) -> None:
    cached_load(root, UI_DIR, 90, None)
    cached_load(root, UI_DIR, 90, None)
    assert loads == [root, root]
