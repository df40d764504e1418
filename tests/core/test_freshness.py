"""Outdated translations: each translation carries the hash of the German text it was made from
(`lotse content stamp`); a change to the German alone makes every other language outdated in
`lotse content check` and `lotse content coverage` until it is stamped again."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.core.content.coverage import Coverage, coverage
from bot.core.content.freshness import entry_hash, text_hash
from bot.core.content.loader import load
from bot.core.content.stamp import StampError, stamp
from bot.core.content.translation_po import export_catalog
from content_cases import UI_DIR, check_lines, working_directory

COSTS = Path("faq/entries/language/integration-course-costs.yaml")
TRANSLATIONS = ["en", "uk", "ru", "ar", "fa", "ps", "ku", "tr", "ti"]


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for folder in ("faq", "flows"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


def outdated_lines(root: Path) -> list[str]:
    return [line for line in check_lines(root) if "older de text" in line]


def german_price_raised(root: Path) -> None:
    path = root / COSTS
    text = path.read_text(encoding="utf-8")
    de_block, rest = text.split("\n  en:\n", 1)
    assert "2,29 €" in de_block
    path.write_text(de_block.replace("2,29 €", "2,50 €") + "\n  en:\n" + rest, encoding="utf-8")


def test_the_hash_tells_two_versions_apart() -> None:
    assert text_hash(["Kosten", "2,29 €"]) != text_hash(["Kosten", "2,50 €"])
    assert text_hash(["a", "b"]) != text_hash(["ab", ""])
    assert len(text_hash(["x"])) == 8


def test_the_shipped_content_starts_current(shipped: Path) -> None:
    assert outdated_lines(shipped) == []


def test_a_price_changed_in_german_only_makes_the_nine_translations_outdated(
        shipped: Path) -> None:
    german_price_raised(shipped)
    lines = outdated_lines(shipped)
    assert [line.split(": warning: the '")[1].split("'")[0] for line in lines] == TRANSLATIONS
    text = (shipped / COSTS).read_text(encoding="utf-8").splitlines()
    for lang, line in zip(TRANSLATIONS, lines):
        path, number = line.split(":")[:2]
        assert path == str(COSTS) and text[int(number) - 1] == f"  {lang}:"

    loaded, _ = load(shipped, UI_DIR)
    assert loaded is not None
    row = next(r for r in coverage(loaded, dt.date(2026, 12, 1), 365)
               if r.id == "integration-course-costs")
    assert row.cells["de"] is Coverage.UNSIGNED  # the source: current, but nobody signed it off
    assert all(row.cells[lang] is Coverage.OUTDATED for lang in TRANSLATIONS)


def test_stamping_after_review_makes_it_current_again(shipped: Path) -> None:
    german_price_raised(shipped)
    with working_directory(shipped):
        assert stamp(Path("."), ["integration-course-costs"], ["en"]) == [str(COSTS)]
    assert "'en'" not in " ".join(outdated_lines(shipped))
    assert len(outdated_lines(shipped)) == 8
    with working_directory(shipped):
        stamp(Path("."), ["integration-course-costs"])
    assert outdated_lines(shipped) == []


def test_stamping_changes_only_the_stamps(shipped: Path) -> None:
    before = (shipped / COSTS).read_text(encoding="utf-8")
    german_price_raised(shipped)
    with working_directory(shipped):
        stamp(Path("."), [])
    after = (shipped / COSTS).read_text(encoding="utf-8")
    loaded, _ = load(shipped, UI_DIR)
    assert loaded is not None
    new = entry_hash(loaded.entries["integration-course-costs"], "de")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert all(b.strip() == f"translated_from: {new}" or "2,50 €" in b for _, b in changed)
    assert len(before.splitlines()) == len(after.splitlines())


def test_a_changed_flow_text_makes_the_flow_outdated(shipped: Path) -> None:
    path = shipped / "flows/training.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: {de: Ausbildung,", "title: {de: Berufsausbildung,", 1),
                    encoding="utf-8")
    lines = outdated_lines(shipped)
    assert len(lines) == 9 and all(line.startswith("flows/training.yaml:9:") for line in lines)


def test_an_unknown_id_is_refused(shipped: Path) -> None:
    with working_directory(shipped), pytest.raises(StampError, match="no-such-entry"):
        stamp(Path("."), ["no-such-entry"])


def test_the_po_export_marks_an_outdated_translation_fuzzy(shipped: Path) -> None:
    path = shipped / COSTS
    de_block, rest = path.read_text(encoding="utf-8").split("\n  en:\n    status: machine\n", 1)
    path.write_text(de_block + "\n  en:\n    status: reviewed\n" + rest, encoding="utf-8")
    loaded, _ = load(shipped, UI_DIR)
    assert loaded is not None

    def fuzzy_answer() -> tuple[bool, str]:
        catalog = export_catalog(shipped, loaded.languages, "en", loaded.organisation, "1.0")
        message = next(m for m in catalog if m.context == f"{COSTS}#text.answer")
        return message.fuzzy, message.id

    assert fuzzy_answer()[0] is False  # reviewed and current
    german_price_raised(shipped)
    fuzzy, source = fuzzy_answer()
    assert fuzzy is True and "2,50 €" in source
