"""`lotse content coverage`: which entry and flow exists in which language, and in what state."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from bot.config import REPO_ROOT
from bot.core.content.coverage import Coverage, coverage, table
from bot.core.content.model import Content


def cells(content: Content, today: dt.date, max_age_days: int = 365) -> dict[str, dict]:
    return {row.id: row.cells for row in coverage(content, today, max_age_days)}


def test_states_of_the_fixture_content(content: Content) -> None:
    found = cells(content, dt.date(2025, 6, 1))
    assert found["integration-course"] == {"de": Coverage.REVIEWED, "en": Coverage.REVIEWED,
                                           "ar": Coverage.REVIEWED, "fa": Coverage.MACHINE}
    assert found["course-costs"]["ar"] is Coverage.MISSING
    assert found["course-costs"]["de"] is Coverage.UNSIGNED  # German nobody signed off
    assert found["courses"]["de"] is Coverage.UNSIGNED  # a flow row: no reviewed_by either
    assert found["courses"]["en"] is Coverage.REVIEWED
    assert found["courses"]["fa"] is Coverage.MISSING  # not every text of the flow is in fa


def test_old_reviews_are_stale(content: Content) -> None:
    found = cells(content, dt.date(2026, 6, 1), max_age_days=365)  # reviewed 2025-01-15
    assert found["integration-course"]["fa"] is Coverage.STALE
    assert found["course-costs"]["ar"] is Coverage.MISSING  # missing stays missing


def test_table_shows_one_symbol_per_cell(content: Content) -> None:
    text = table(coverage(content, dt.date(2025, 6, 1), 365), content.languages.languages)
    lines = text.splitlines()
    assert lines[0].split() == ["de", "en", "ar", "fa"]
    assert any(line.startswith("integration-course ") and line.split()[1:] == ["✓", "✓", "✓", "m"]
               for line in lines)
    assert "m machine translation" in lines[-1]


@pytest.mark.e2e  # a real `python -m bot content coverage` process
def test_shipped_content_has_every_entry_in_ten_languages() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "content", "coverage", "--json"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row["languages"] for row in json.loads(result.stdout)}
    assert len(rows) >= 21 + 3 and "emergency" in rows
    assert all(len(langs) == 10 and "missing" not in langs.values() for langs in rows.values())


def test_a_flow_reviewed_too_long_ago_is_stale(content: Content) -> None:
    found = cells(content, dt.date(2026, 6, 1), max_age_days=365)  # flows reviewed 2025-01-15
    assert found["courses"]["en"] is Coverage.STALE
    assert found["courses"]["fa"] is Coverage.MISSING
    assert cells(content, dt.date(2025, 6, 1), max_age_days=365)["courses"]["en"] is \
        Coverage.REVIEWED
