"""Whether the staff channel as a whole works, for the outbox worker: after `StaffUnreachable`
the staff rows rest (5 s, doubling up to a minute) and a WARNING says at most once a minute (or
when the problem changes) what is wrong and how to fix it; the first row that goes again ends
the outage with one line."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.handoff.delivery import StaffUnreachable

log = logging.getLogger(__name__)

OUTAGE_RETRY = (5.0, 60.0)
"""First and longest pause before the staff group is tried again after it was unreachable."""
WARN_EVERY = 60.0


class StaffOutage:
    """The staff channel `where` (None: no channel is set) and its outage, on the clock `now`."""

    def __init__(self, where: str | None, now: Callable[[], float] = time.monotonic) -> None:
        self.where = where
        self._now = now
        self.problem: StaffUnreachable | None = None
        self.pause = OUTAGE_RETRY[0]
        self.until = 0.0
        """When staff rows may be tried again (monotonic seconds; 0: now)."""
        self._warned: tuple[str, float] | None = None

    def wait(self) -> float:
        """Seconds until staff rows may be tried again."""
        return self.until - self._now()

    def retry_now(self) -> None:
        """Something new waits: try the channel again at once."""
        self.until = 0.0

    def down(self, problem: StaffUnreachable) -> None:
        if self.problem is None:
            self.pause = OUTAGE_RETRY[0]
        else:
            self.pause = min(self.pause * 2, OUTAGE_RETRY[1])
        self.problem = problem
        self.until = self._now() + self.pause
        self.warn(problem)

    def up(self) -> None:
        if self.problem is not None:
            log.warning("staff group %s reachable again; delivering what waited", self.where)
        self.problem = None
        self.until = 0.0
        self._warned = None

    def warning_due(self, problem: StaffUnreachable) -> bool:
        return self._warned is None or self._warned[0] != problem.key or \
            self._now() - self._warned[1] >= WARN_EVERY

    def warn(self, problem: StaffUnreachable) -> None:
        """At most once a minute (or when the problem changes): what is wrong, how to fix it."""
        if not self.warning_due(problem):
            return
        self._warned = (problem.key, self._now())
        if self.where is None:
            log.warning("%s — %s; case notes wait in the outbox until then", problem.problem,
                        problem.fix)
        else:
            log.warning("%s: %s — %s; case notes wait in the outbox until then",
                        self.where, problem.problem, problem.fix)
