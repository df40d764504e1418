"""What the shipped content reports on purpose: its organisation is an example (README, "Before
going live"), so the values no county has confirmed are warnings, and nothing else may be."""
from __future__ import annotations

from collections.abc import Iterable

from bot.core.content.problems import Problem, Severity

UNCONFIRMED = ("phone", "office_hours", "response_time", "translation_service")
"""The example organisation's values that are not confirmed (faq/organisation.yaml)."""


def on_purpose(problem: Problem) -> bool:
    return (problem.severity is Severity.WARNING and problem.path.endswith("organisation.yaml")
            and any(problem.message.startswith(f"'{name}' is not confirmed")
                    for name in UNCONFIRMED))


def unexpected(problems: Iterable[Problem]) -> list[str]:
    """The shipped content's problems besides the example organisation's unconfirmed values."""
    return [str(p) for p in problems if not on_purpose(p)]
