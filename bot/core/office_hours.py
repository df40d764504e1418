"""When the office is open: used to tell a person when a counsellor will answer."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.content.schema import OfficeHours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _spans(hours: OfficeHours, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    spans = hours.days.get(WEEKDAYS[day.weekday()], [])  # type: ignore[call-overload]
    return [(dt.time.fromisoformat(s[:5]), dt.time.fromisoformat(s[6:])) for s in spans]


def is_open(hours: OfficeHours, now: dt.datetime) -> bool:
    local = now.astimezone(ZoneInfo(hours.timezone))
    return any(start <= local.time() < end for start, end in _spans(hours, local.date()))


def next_opening(hours: OfficeHours, now: dt.datetime) -> dt.datetime | None:
    """The next time the office opens after `now`, in the office's time zone (None: never)."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        for start, _ in _spans(hours, day):
            opening = dt.datetime.combine(day, start, tzinfo=zone)
            if opening > local:
                return opening
    return None
