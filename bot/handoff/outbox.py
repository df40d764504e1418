"""The outbox worker: delivers what the database promised (case notes, relays, notices) to the
staff channel and to people, in order, paced, retried until it arrives.

One asyncio task reads undelivered `OutboxMessage` rows in id order and hands each to a channel
(`bot.handoff.delivery`: a `StaffChannel` for the counsellors' rows, a `PersonChannel` for
people's; `bot.channels.telegram.app.make_outbox` wires Telegram's) by its kind
(`bot.handoff.deliveries`). Rows form lanes (one per case and
destination: the staff topic, or the person's chat); a lane goes strictly in order, so a relay
never overtakes its case note and a failing case never blocks another.

- **Pacing.** The channels pace their own calls (Telegram's: `bot.channels.telegram.staff_group`
  and `people`); a row is taken up only when its channel says a call may go now, so a burst of
  cases waits in order instead of failing.
- **Retries.** A failed row gets `attempts + 1`, `next_attempt_at` with exponential backoff and
  `last_error` = what the channel said (`Retry`: exception class + Telegram's description, never
  message text); after `GIVE_UP_AFTER` attempts a row is dropped (a prompt for the
  counsellors after `PROMPT_GIVE_UP_AFTER`, about a minute: later it would answer nothing),
  except a case note, which is never given up. A rate limit is never a failure: a short one is waited out inside the row by
  the channel (so no part of the row goes twice), a long one (`RateLimited`) ends the attempt
  and the destination rests that long. A person who blocked the bot (`PersonGone`) is marked
  blocked and the row is dropped (`delivered_at` set, `last_error` "blocked").
- **Staff channel unreachable** (STAFF_CHAT_ID unset, chat not found, bot removed, not a forum,
  missing rights: `StaffUnreachable`): staff rows stay waiting, person rows still go, a WARNING
  once a minute says what is wrong and how to fix it, and delivery resumes by itself once the
  group works again (`bot.handoff.outage`).
- **What a crash repeats.** Each row is marked delivered in the transaction that records what
  its channel answered (a case note's id too), so a row goes again only when the process died
  (SIGKILL, power loss) or the answer was lost between the channel carrying out a call and that
  commit. Then the row goes again from its start: a relay, notice, prompt or reply to a person
  arrives twice (the Bot API offers no way to look up what was already done, so the window is kept
  as short as a single commit right after the answer). A case note never goes twice
  (`bot.handoff.deliveries`); only a topic whose createForumTopic was carried out but whose id
  was never committed stays behind, empty, beside the case's real one.

**Several instances on one PostgreSQL** deliver each row exactly once, each lane in order, and
pace the staff group for all of them together, because only one of them delivers at a time:

- **One holder.** Every instance runs a worker, but only the holder of the database's outbox lock
  delivers (`bot.storage.leadership`: a session advisory lock on a connection of its own). The
  others stand by and try for the lock at every poll (`poll_seconds`, 5 s) and whenever they are
  woken; so the staff group's pacing, the lanes' order and the retries live in one process, as
  with one instance. A stand-by that wrote rows wakes the holder with NOTIFY, so a case opened on
  any instance reaches the group at once. When the holder dies (even SIGKILL) PostgreSQL releases
  its lock with its connection and a stand-by takes over within `poll_seconds`; on SIGTERM it
  steps down at once. A new holder assumes the group's allowance was just spent by the old one
  (`StaffChannel.start_spent`).
- **Fenced rows.** The holder checks, before each row, that its lock connection is still alive,
  and delivers the row under a claim: the transaction-level advisory lock (`CLAIM_SPACE`, row id),
  the equivalent of `SELECT ... FOR UPDATE SKIP LOCKED` that does not block the row's own updates.
  A holder that lost its lock in the middle of a row (its connection was cut, the process lives
  on) still holds the claim until the row is done; the new holder skips that lane meanwhile and,
  once it gets the claim, reads the row again, so the row goes once. A claim dies with its
  connection too, so a dead holder leaves nothing locked. A holder killed in the middle of a call
  leaves the window described above, exactly as a single instance does.

SQLite serves one instance: its holder keeps a file lock beside the database, and a second process
on the same file stands by (and says once that this is a misconfiguration).
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import AsyncIterator, Callable

from bot.clock import utcnow
from bot.core.content.model import Content
from bot.handoff.deliveries import PERSON_KINDS, STAFF_KINDS, Deliveries, lane, to_staff
from bot.handoff.delivery import (
    Halt,
    OutboxKind,
    PersonChannel,
    PersonGone,
    Prompt,
    RateLimited,
    Retry,
    StaffChannel,
    StaffUnreachable,
    Stopping,
    Undeliverable,
)
from bot.handoff.outage import StaffOutage
from bot.ops import metrics
from bot.storage.leadership import Leadership, leadership_for
from bot.storage.outbox_rows import OutboxRow, OutboxRows
from bot.storage.repository import Storage

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
RETRY_BASE = 2.0
RETRY_MAX = 15 * 60.0
GIVE_UP_AFTER = 20
"""Attempts after which a row other than a case note is dropped (a case note is never dropped)."""
PROMPT_GIVE_UP_AFTER = 6
"""Attempts after which a prompt for the counsellors is dropped (2 + 4 + ... + 32 s of backoff)."""
CLAIM_SPACE = 0x4C4F5453
"""The first key of a row's claim (an advisory lock on two int4 keys: this, the row id)."""
UNSET = StaffUnreachable("STAFF_CHAT_ID is not set", "set STAFF_CHAT_ID to the staff group's id "
                         "(like -1001234567890) and restart")


def _describe(exc: BaseException) -> str:
    """For last_error and logs: what a channel said, or else the class (never message text)."""
    if isinstance(exc, Retry | Undeliverable):
        return str(exc)
    return type(exc).__name__


def _gives_up_after(kind: str) -> float:
    limits: dict[str, float] = {OutboxKind.CASE_NOTE: math.inf,
                                OutboxKind.STAFF_PROMPT: PROMPT_GIVE_UP_AFTER}
    return limits.get(kind, GIVE_UP_AFTER)


async def backlog(storage: Storage, now: dt.datetime) -> list[metrics.Waiting]:
    """What waits for delivery, per kind: how many and for how long. One grouped query over the
    index on delivered_at, cheap enough for every scrape of /metrics."""
    return [metrics.Waiting(w.kind, "staff" if w.kind in STAFF_KINDS else "person", w.count,
                            max(0.0, (now - w.oldest).total_seconds()))
            for w in await OutboxRows(storage).backlog()]


class OutboxWorker:
    """Delivers the outbox to `people` and to `staff` (None: no staff channel is set, its rows
    wait); `start()` with the bot, `wake()` after writing a row, `stop()` last. `halt` is shared
    with the channels, whose waits end when the worker stops."""

    def __init__(self, storage: Storage, content: Callable[[], Content], people: PersonChannel,
                 staff: StaffChannel | None, clock: Callable[[], dt.datetime] = utcnow, *,
                 halt: Halt | None = None, poll_seconds: float = POLL_SECONDS,
                 leadership: Leadership | None = None) -> None:
        self.storage = storage
        self.rows = OutboxRows(storage)
        self.staff = staff
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.halt = halt or Halt()
        self.deliveries = Deliveries(self.rows, content, people, staff, clock)
        self.outage = StaffOutage(None if staff is None else staff.where)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.leadership = leadership or leadership_for(storage.engine.url, self._wakeup.set)
        self._holder = False
        self._rows_added = False
        """Set by `wake()`: rows were written here, so a stand-by wakes the holder."""

    # ----- lifecycle --------------------------------------------------------------------------

    def wake(self) -> None:
        """Something new waits in the outbox: look now instead of at the next poll (and try an
        unreachable staff group again at once; a rate limit is still respected)."""
        self.outage.retry_now()
        self._rows_added = True
        self._wakeup.set()

    async def prompt(self, topic: int | None, prompt: Prompt) -> None:
        """A prompt for the counsellors in the staff channel's `topic` (None: where its general
        messages go): a row of its own, delivered paced and retried like every staff row, so
        the handler that asks for it never waits for the channel."""
        await self.rows.add(OutboxKind.STAFF_PROMPT, {"topic": topic, **prompt.as_json()},
                            self.clock())
        self.wake()

    @property
    def running(self) -> bool:
        """Whether the delivery task is alive (started, not stopped, not crashed)."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is None:
            self.halt.clear()
            self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the row in hand finish (up to `timeout`), end the task, and step down."""
        task, self._task = self._task, None
        if task is not None:
            self.halt.set()
            self._wakeup.set()
            done, _ = await asyncio.wait({task}, timeout=timeout)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            log.info("outbox worker stopped")
        self._holder = False
        await self.leadership.release()

    async def _run(self) -> None:
        log.info("outbox worker started staff=%s",
                 "none" if self.staff is None else self.staff.where)
        while not self.halt.is_set():
            self._wakeup.clear()
            rows_added, self._rows_added = self._rows_added, False
            try:
                wait = await self.deliver_ready()
                if rows_added and not self._holder:
                    await self.leadership.wake_holder()
            except Stopping:
                break
            except Exception as exc:  # a bug or the database: keep the worker alive, try again
                log.error("outbox worker pass failed: %s", _describe(exc))
                log.debug("outbox worker pass failed", exc_info=True)
                wait = self.poll_seconds
            if self.halt.is_set():
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(wait, self.poll_seconds)):
                    await self._wakeup.wait()

    # ----- one pass ---------------------------------------------------------------------------

    async def deliver_ready(self) -> float:
        """Deliver every row that can go now, if this instance is the holder; returns the seconds
        until the next one could (or until a stand-by tries for the lock again)."""
        busy: set[tuple[bool, int]] = set()  # lanes whose head row a former holder still has
        while not self.halt.is_set():
            if not await self._holding():
                return self.poll_seconds
            row, wait = await self._next_ready(busy)
            if row is None:
                return wait
            async with self._claim(row) as claimed:
                if claimed:
                    await self._deliver(row)
                else:
                    busy.add(lane(row))
        return 0.0

    async def _holding(self) -> bool:
        """Whether this instance delivers now; a new holder's staff pacing starts spent."""
        held = await self.leadership.held()
        if held and not self._holder and self.leadership.shared and self.staff is not None:
            self.staff.start_spent()
        self._holder = held
        return held

    @contextlib.asynccontextmanager
    async def _claim(self, row: OutboxRow) -> AsyncIterator[bool]:
        """Whether `row` is still waiting and no other instance has it; the claim lasts until the
        block ends. Only one instance uses SQLite."""
        if not self.leadership.shared:
            yield True
            return
        async with self.rows.claim(CLAIM_SPACE, row) as claimed:
            yield claimed

    async def _next_ready(self, busy: set[tuple[bool, int]]) -> tuple[OutboxRow | None, float]:
        now = self.clock()
        staff_wait = self.staff_wait()
        groups = [PERSON_KINDS, STAFF_KINDS] if self.staff is not None else [PERSON_KINDS]
        rows = await self.rows.waiting(groups)
        if self.staff is None and self.outage.warning_due(UNSET) and \
                await self.rows.any_waiting(STAFF_KINDS):
            self.outage.warn(UNSET)
        seen = set(busy)
        wait = math.inf
        for row in rows:
            if lane(row) in seen:
                continue
            seen.add(lane(row))
            due_in = (row.next_attempt_at - now).total_seconds()
            ready_in = max(due_in, staff_wait if to_staff(row) else
                           await self.deliveries.people.delay(row.person) if row.person else 0.0)
            if ready_in <= 0:
                return row, 0.0
            wait = min(wait, ready_in)
        return None, wait

    def staff_wait(self) -> float:
        """Seconds until a staff row may go: the channel's pacing, or the pause after it was
        unreachable."""
        pacing = self.staff.delay() if self.staff is not None else 0.0
        return max(self.outage.wait(), pacing)

    # ----- one row ----------------------------------------------------------------------------

    async def _deliver(self, row: OutboxRow) -> None:
        try:
            await self.deliveries.deliver(row)
        except Stopping:
            raise
        except RateLimited:
            pass  # the destination waits (its channel keeps the pause); the row is no failure
        except StaffUnreachable as problem:
            self.outage.down(problem)
        except PersonGone as exc:
            await self._person_gone(row, exc)
        except Undeliverable as exc:
            await self._drop(row, str(exc))
        except Exception as exc:  # any other failure is retried, never fatal
            # The traceback only at DEBUG: database errors can quote the values they were given.
            log.debug("outbox row=%s kind=%s failed", row.id, row.kind, exc_info=True)
            await self._failed(row, exc)
        else:
            if to_staff(row):
                self.outage.up()

    async def _failed(self, row: OutboxRow, exc: BaseException) -> None:
        attempts = row.attempts + 1
        error = _describe(exc)
        if attempts >= _gives_up_after(row.kind):
            log.error("outbox row=%s kind=%s case=%s given up after %d attempts: %s",
                      row.id, row.kind, row.case_id, attempts, error)
            await self._drop(row, f"gave up: {error}", attempts)
            return
        delay = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
        reason = exc.reason if isinstance(exc, Retry) else "other"  # a bug, the database
        metrics.SEND_RETRIES.labels("outbox", reason).inc()
        log.warning("outbox row=%s kind=%s case=%s attempt %d failed, next in %.0fs: %s",
                    row.id, row.kind, row.case_id, attempts, delay, error)
        await self.rows.failed(row.id, attempts, error,
                               self.clock() + dt.timedelta(seconds=delay))

    async def _drop(self, row: OutboxRow, reason: str, attempts: int | None = None) -> None:
        """Mark a row that can never arrive as done, with the reason in last_error."""
        log.info("outbox row=%s kind=%s case=%s dropped: %s", row.id, row.kind, row.case_id,
                 reason)
        metrics.OUTBOX_DROPPED.labels(row.kind).inc()
        await self.rows.drop(row.id, self.clock(), reason,
                             row.attempts if attempts is None else attempts)

    async def _person_gone(self, row: OutboxRow, exc: PersonGone) -> None:
        """The person blocked the bot, or their account is gone."""
        user_id = await self.rows.user_of(row.case_id)
        if exc.blocked and user_id is not None:
            await self.storage.mark_blocked(user_id)
            log.info("blocked by user=%s", user_id)
        await self._drop(row, "blocked" if exc.blocked else str(exc))
