"""The outbox worker: delivers what the database promised (case notes, relays, notices) to the
staff channel and to people, in order, paced, retried until it arrives.

One asyncio task reads undelivered `OutboxMessage` rows in id order and hands each to a channel
(`bot.handoff.delivery`: a `StaffChannel` for the counsellors' rows, a `PersonChannel` for
people's; `bot.channels.telegram.delivery` wires Telegram's). Rows form lanes (one per case and
destination: the staff topic, or the person's chat); a lane goes strictly in order, so a relay
never overtakes its case note and a failing case never blocks another.

- **Pacing.** The channels pace their own calls (Telegram's: `bot.channels.telegram.staff_group`
  and `people`); a row is taken up only when its channel says a call may go now, so a burst of
  cases waits in order instead of failing.
- **Retries.** A failed row gets `attempts + 1`, `next_attempt_at` with exponential backoff and
  `last_error` = what the channel said (`Retry`: exception class + Telegram's description, never
  message text); after `GIVE_UP_AFTER` attempts a row is dropped, except a case note, which is
  never given up. A rate limit is never a failure: a short one is waited out inside the row by
  the channel (so no part of the row goes twice), a long one (`RateLimited`) ends the attempt
  and the destination rests that long. A person who blocked the bot (`PersonGone`) is marked
  blocked and the row is dropped (`delivered_at` set, `last_error` "blocked").
- **Staff channel unreachable** (STAFF_CHAT_ID unset, chat not found, bot removed, not a forum,
  missing rights: `StaffUnreachable`): staff rows stay waiting, person rows still go, a WARNING
  once a minute says what is wrong and how to fix it, and delivery resumes by itself once the
  group works again.
- **Idempotency.** A case note goes in two steps: the topic is opened only while
  `Case.staff_thread_id` is null, and its id is committed at once, before anything is posted; the
  note is posted only while `Case.staff_message_id` is null, and its id is committed in the same
  transaction that marks the row delivered. A crash at any point therefore repeats at most the one
  call whose answer was not yet committed.

  The one window no one can close: Telegram carried out a call but the process died (SIGKILL,
  power loss, a lost HTTP answer) before our commit of its result. Then that call is made again
  after the restart: an empty duplicate topic (if it was createForumTopic) or a second copy of the
  message. The Bot API offers no way to look up what was already done, so the window is kept as
  short as a single commit right after Telegram's answer.

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
  leaves the one window described above, exactly as a single instance does.

SQLite serves one instance: its holder keeps a file lock beside the database, and a second process
on the same file stands by (and says once that this is a misconfiguration).
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, update

from bot.clock import utcnow
from bot.core.case_status import CaseStatus
from bot.core.content.model import Content
from bot.core.events import Reply
from bot.handoff.cases import staff_topic
from bot.handoff.delivery import (CaseNote, Halt, OutboxKind, PersonChannel, PersonGone,
                                  RateLimited, Relayed, Retry, StaffChannel, StaffUnreachable,
                                  Stopping, TopicGone, Undeliverable)
from bot.ops import metrics
from bot.storage.leadership import Leadership, leadership_for
from bot.storage.models import Case, OutboxMessage, TranscriptMessage, User
from bot.storage.repository import Storage

log = logging.getLogger(__name__)

STAFF_KINDS = frozenset(kind for kind in OutboxKind if kind.to_staff)
PERSON_KINDS = frozenset(kind for kind in OutboxKind if not kind.to_staff)
POLL_SECONDS = 5.0
SCAN_LIMIT = 200
RETRY_BASE = 2.0
RETRY_MAX = 15 * 60.0
GIVE_UP_AFTER = 20
"""Attempts after which a row other than a case note is dropped (a case note is never dropped)."""
OUTAGE_RETRY = (5.0, 60.0)
"""First and longest pause before the staff group is tried again after it was unreachable."""
WARN_EVERY = 60.0
CLAIM_SPACE = 0x4C4F5453
"""The first key of a row's claim (an advisory lock on two int4 keys: this, the row id)."""
UNSET = StaffUnreachable("STAFF_CHAT_ID is not set", "set STAFF_CHAT_ID to the staff group's id "
                         "(like -1001234567890) and restart")


@dataclass(frozen=True)
class _Row:
    id: int
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: dt.datetime
    person: str | None  # the person's id on their channel (User.external_id) for person rows

    @property
    def to_staff(self) -> bool:
        return self.kind in STAFF_KINDS

    @property
    def lane(self) -> tuple[bool, int]:
        return (self.to_staff, self.case_id if self.case_id is not None else -self.id)


def _describe(exc: BaseException) -> str:
    """For last_error and logs: what a channel said, or else the class (never message text)."""
    if isinstance(exc, Retry | Undeliverable):
        return str(exc)
    return type(exc).__name__


async def backlog(storage: Storage, now: dt.datetime) -> list[metrics.Waiting]:
    """What waits for delivery, per kind: how many and for how long. One grouped query over the
    index on delivered_at, cheap enough for every scrape of /metrics."""
    async with storage.session() as session:
        rows = (await session.execute(
            select(OutboxMessage.kind, func.count(), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.delivered_at.is_(None)).group_by(OutboxMessage.kind))).all()
    return [metrics.Waiting(kind, "staff" if kind in STAFF_KINDS else "person", count,
                            max(0.0, (now - oldest).total_seconds()))
            for kind, count, oldest in rows]


class OutboxWorker:
    """Delivers the outbox to `people` and to `staff` (None: no staff channel is set, its rows
    wait); `start()` with the bot, `wake()` after writing a row, `stop()` last. `halt` is shared
    with the channels, whose waits end when the worker stops."""

    def __init__(self, storage: Storage, content: Callable[[], Content], people: PersonChannel,
                 staff: StaffChannel | None, clock: Callable[[], dt.datetime] = utcnow, *,
                 halt: Halt | None = None, poll_seconds: float = POLL_SECONDS,
                 leadership: Leadership | None = None) -> None:
        self.storage = storage
        self.content = content
        self.people = people
        self.staff = staff
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.halt = halt or Halt()
        self._outage: StaffUnreachable | None = None
        self._outage_pause = OUTAGE_RETRY[0]
        self._outage_until = 0.0
        self._warned: tuple[str, float] | None = None
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
        self._outage_until = 0.0
        self._rows_added = True
        self._wakeup.set()

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
                    busy.add(row.lane)
        return 0.0

    async def _holding(self) -> bool:
        """Whether this instance delivers now; a new holder's staff pacing starts spent."""
        held = await self.leadership.held()
        if held and not self._holder and self.leadership.shared and self.staff is not None:
            self.staff.start_spent()
        self._holder = held
        return held

    @contextlib.asynccontextmanager
    async def _claim(self, row: _Row) -> AsyncIterator[bool]:
        """Whether `row` is still waiting and no other instance has it; the claim lasts until the
        block ends (a transaction-level advisory lock). Only one instance uses SQLite."""
        if not self.leadership.shared:
            yield True
            return
        async with self.storage.session() as session:
            claimed = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:space, :row)"),
                                           {"space": CLAIM_SPACE, "row": row.id})
            if claimed:  # a former holder may have finished the row since it was read
                attempts = await session.scalar(select(OutboxMessage.attempts).where(
                    OutboxMessage.id == row.id, OutboxMessage.delivered_at.is_(None)))
                claimed = attempts == row.attempts
            yield bool(claimed)

    async def _next_ready(self, busy: set[tuple[bool, int]]) -> tuple[_Row | None, float]:
        now = self.clock()
        staff_wait = self.staff_wait()
        rows = await self._load(include_staff=self.staff is not None)
        if self.staff is None and self._warning_due(UNSET) and await self._staff_rows_waiting():
            self._warn(UNSET)
        seen = set(busy)
        wait = math.inf
        for row in rows:
            if row.lane in seen:
                continue
            seen.add(row.lane)
            due_in = (row.next_attempt_at - now).total_seconds()
            ready_in = max(due_in, staff_wait if row.to_staff else
                           await self.people.delay(row.person) if row.person else 0.0)
            if ready_in <= 0:
                return row, 0.0
            wait = min(wait, ready_in)
        return None, wait

    def staff_wait(self) -> float:
        """Seconds until a staff row may go: the channel's pacing, or the pause after it was
        unreachable."""
        pacing = self.staff.delay() if self.staff is not None else 0.0
        return max(self._outage_until - self._now(), pacing)

    async def _load(self, include_staff: bool) -> list[_Row]:
        """The oldest undelivered rows, separately per destination so neither starves the other
        (read by the holder alone; each row is claimed before it goes, see `_claim`)."""
        groups = [PERSON_KINDS, STAFF_KINDS] if include_staff else [PERSON_KINDS]
        rows: list[_Row] = []
        async with self.storage.session() as session:
            for kinds in groups:
                query = (select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.case_id,
                                OutboxMessage.payload, OutboxMessage.attempts,
                                OutboxMessage.next_attempt_at, User.external_id)
                         .outerjoin(Case, Case.id == OutboxMessage.case_id)
                         .outerjoin(User, User.id == Case.user_id)
                         .where(OutboxMessage.delivered_at.is_(None),
                                OutboxMessage.kind.in_(sorted(kinds)))
                         .order_by(OutboxMessage.id).limit(SCAN_LIMIT))
                rows += [_Row(*r) for r in (await session.execute(query)).all()]
        return sorted(rows, key=lambda r: r.id)

    async def _staff_rows_waiting(self) -> bool:
        async with self.storage.session() as session:
            return await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_(None),
                                               OutboxMessage.kind.in_(sorted(STAFF_KINDS)))
                .limit(1)) is not None

    # ----- one row ----------------------------------------------------------------------------

    async def _deliver(self, row: _Row) -> None:
        handlers: dict[str, Callable[[_Row], Awaitable[None]]] = {
                    OutboxKind.CASE_NOTE: self._case_note,
                    OutboxKind.CASE_UPDATE: self._case_update,
                    OutboxKind.RELAY_TO_STAFF: self._relay_to_staff,
                    OutboxKind.STAFF_NOTICE: self._staff_notice,
                    OutboxKind.RELAY_TO_USER: self._relay_to_user,
                    OutboxKind.REPLY_TO_USER: self._reply_to_user,
                    OutboxKind.CASE_ERASED: self._case_erased}
        handler = handlers.get(row.kind)
        try:
            if handler is None:
                raise Undeliverable(f"unknown kind {row.kind!r}")
            await handler(row)
        except Stopping:
            raise
        except RateLimited:
            pass  # the destination waits (its channel keeps the pause); the row is no failure
        except StaffUnreachable as problem:
            self._staff_down(problem)
        except PersonGone as exc:
            await self._person_gone(row, exc)
        except Undeliverable as exc:
            await self._drop(row, str(exc))
        except Exception as exc:  # any other failure is retried, never fatal
            # The traceback only at DEBUG: database errors can quote the values they were given.
            log.debug("outbox row=%s kind=%s failed", row.id, row.kind, exc_info=True)
            await self._failed(row, exc)
        else:
            if row.to_staff:
                self._staff_up()

    async def _failed(self, row: _Row, exc: BaseException) -> None:
        attempts = row.attempts + 1
        error = _describe(exc)
        if attempts >= GIVE_UP_AFTER and row.kind != OutboxKind.CASE_NOTE:
            log.error("outbox row=%s kind=%s case=%s given up after %d attempts: %s",
                      row.id, row.kind, row.case_id, attempts, error)
            await self._drop(row, f"gave up: {error}", attempts)
            return
        delay = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
        reason = exc.reason if isinstance(exc, Retry) else "other"  # a bug, the database
        metrics.SEND_RETRIES.labels("outbox", reason).inc()
        log.warning("outbox row=%s kind=%s case=%s attempt %d failed, next in %.0fs: %s",
                    row.id, row.kind, row.case_id, attempts, delay, error)
        async with self.storage.session() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                attempts=attempts, last_error=error,
                next_attempt_at=self.clock() + dt.timedelta(seconds=delay)))

    async def _drop(self, row: _Row, reason: str, attempts: int | None = None) -> None:
        """Mark a row that can never arrive as done, with the reason in last_error."""
        log.info("outbox row=%s kind=%s case=%s dropped: %s", row.id, row.kind, row.case_id,
                 reason)
        metrics.OUTBOX_DROPPED.labels(row.kind).inc()
        async with self.storage.session() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                delivered_at=self.clock(), last_error=reason,
                attempts=row.attempts if attempts is None else attempts))

    async def _person_gone(self, row: _Row, exc: PersonGone) -> None:
        """The person blocked the bot, or their account is gone."""
        async with self.storage.session() as session:
            user_id = await session.scalar(select(Case.user_id).where(Case.id == row.case_id))
        if exc.blocked and user_id is not None:
            await self.storage.mark_blocked(user_id)
            log.info("blocked by user=%s", user_id)
        await self._drop(row, "blocked" if exc.blocked else str(exc))

    async def _mark_delivered(self, row: _Row, **case_values: Any) -> None:
        async with self.storage.session() as session:
            if case_values:
                await session.execute(update(Case).where(Case.id == row.case_id)
                                      .values(case_values))
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                                  .values(delivered_at=self.clock(), last_error=None))
        log.info("outbox delivered row=%s kind=%s case=%s", row.id, row.kind, row.case_id)
        metrics.OUTBOX_DELIVERED.labels(row.kind).inc()

    # ----- the staff channel's state ----------------------------------------------------------

    def _staff_down(self, problem: StaffUnreachable) -> None:
        if self._outage is None:
            self._outage_pause = OUTAGE_RETRY[0]
        else:
            self._outage_pause = min(self._outage_pause * 2, OUTAGE_RETRY[1])
        self._outage = problem
        self._outage_until = self._now() + self._outage_pause
        self._warn(problem)

    def _staff_up(self) -> None:
        if self._outage is not None:
            log.warning("staff group %s reachable again; delivering what waited",
                        self._staff_channel().where)
        self._outage = None
        self._outage_until = 0.0
        self._warned = None

    def _warning_due(self, problem: StaffUnreachable) -> bool:
        return self._warned is None or self._warned[0] != problem.key or \
            self._now() - self._warned[1] >= WARN_EVERY

    def _warn(self, problem: StaffUnreachable) -> None:
        """At most once a minute (or when the problem changes): what is wrong, how to fix it."""
        if not self._warning_due(problem):
            return
        self._warned = (problem.key, self._now())
        if self.staff is None:
            log.warning("%s — %s; case notes wait in the outbox until then", problem.problem,
                        problem.fix)
        else:
            log.warning("%s: %s — %s; case notes wait in the outbox until then",
                        self.staff.where, problem.problem, problem.fix)

    # ----- the staff channel: case notes, updates, relays, notices ----------------------------

    def _staff_channel(self) -> StaffChannel:
        assert self.staff is not None  # staff rows are loaded only when there is a channel
        return self.staff

    async def _case(self, row: _Row) -> Case:
        async with self.storage.session() as session:
            case = await session.get(Case, row.case_id) if row.case_id is not None else None
        if case is None:
            raise Undeliverable("no such case")
        return case

    async def _topic(self, row: _Row) -> tuple[int, Case]:
        """The case's topic and the case (LookupError while it has no topic)."""
        case = await self._case(row)
        if case.staff_thread_id is None:
            raise LookupError("the case has no topic yet")
        return case.staff_thread_id, case

    def _note(self, case: Case) -> CaseNote:
        return CaseNote(case.id, CaseStatus(case.status), case.note,
                        staff_topic(self.content(), case))

    async def _case_note(self, row: _Row) -> None:
        staff, case = self._staff_channel(), await self._case(row)
        if case.staff_thread_id is None:
            topic = await staff.open_topic(self._note(case).topic)
            async with self.storage.session() as session:  # committed before anything is posted
                await session.execute(update(Case).where(Case.id == case.id).values(
                    staff_thread_id=topic))
            case.staff_thread_id = topic
            log.info("topic created case=%s thread=%s", case.id, case.staff_thread_id)
        if case.staff_message_id is not None:
            await self._mark_delivered(row)
            return
        try:
            message_id = await staff.post_note(case.staff_thread_id, self._note(case))
        except TopicGone:  # deleted before the note was posted: the next try opens another
            async with self.storage.session() as session:
                await session.execute(update(Case).where(Case.id == case.id)
                                      .values(staff_thread_id=None))
            raise
        await self._mark_delivered(row, staff_message_id=message_id)

    async def _case_update(self, row: _Row) -> None:
        topic, case = await self._topic(row)
        if case.staff_message_id is None:
            raise LookupError("the case note is not posted yet")
        await self._staff_channel().update_note(topic, case.staff_message_id, self._note(case))
        await self._mark_delivered(row)

    async def _relay_to_staff(self, row: _Row) -> None:
        topic, _ = await self._topic(row)
        await self._staff_channel().relay(topic, await self._transcript(row))
        await self._mark_delivered(row)

    async def _staff_notice(self, row: _Row) -> None:
        topic, _ = await self._topic(row)
        await self._staff_channel().notice(topic, str(row.payload.get("text", "")))
        await self._mark_delivered(row)

    async def _case_erased(self, row: _Row) -> None:
        """The person deleted their data (or its time ran out): the case's topic with everything
        in it is deleted, and one line in the group says why."""
        topic, _ = await self._topic(row)
        await self._staff_channel().erase_topic(topic, str(row.payload.get("notice", "")))
        await self._mark_delivered(row)

    # ----- people -----------------------------------------------------------------------------

    def _person(self, row: _Row) -> str:
        if row.person is None:
            raise Undeliverable("no person to deliver to")
        return row.person

    async def _relay_to_user(self, row: _Row) -> None:
        person = self._person(row)
        await self.people.relay(person, await self._transcript(row))
        await self._mark_delivered(row)

    async def _reply_to_user(self, row: _Row) -> None:
        person = self._person(row)
        await self.people.reply(person, Reply.from_json(row.payload))
        await self._mark_delivered(row)

    # ----- shared -----------------------------------------------------------------------------

    async def _transcript(self, row: _Row) -> Relayed:
        message_id = row.payload.get("message")
        async with self.storage.session() as session:
            message = await session.get(TranscriptMessage, message_id) if message_id else None
        if message is None:
            raise Undeliverable("no such transcript message")
        return Relayed(message.kind, message.text, message.file_id)

    @staticmethod
    def _now() -> float:
        return time.monotonic()
