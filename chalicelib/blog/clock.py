"""The one source of the time of day, in the one format the table sorts by.

Everything that needs "now" asks this module, whether as an ISO 8601 string
(UTC, milliseconds, 'Z': what sort keys and responses carry) or as whole epoch
seconds (what token expiries and TTL attributes carry); both derive from now(),
so a test that moves now() moves every clock the code reads. Durations measured
within one request (store/client.py's deadline) use time.monotonic, which is a
stopwatch, not a clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.errors import Invalid


def to_iso(moment: datetime) -> str:
    # The year padded to four digits: strftime's %Y writes year 1 as "1", which sorts and reads as no date.
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    return to_iso(now())


def epoch() -> int:
    """Now, in whole seconds since 1970 (for expiries and TTLs)."""
    return int(now().timestamp())


def days_before(iso: str, days: int) -> str:
    return to_iso(datetime.fromisoformat(iso.replace("Z", "+00:00")) - timedelta(days=days))


def from_epoch(seconds: float) -> str:
    return to_iso(datetime.fromtimestamp(seconds, UTC))


def parse_iso(value: str, field: str) -> str:
    """Accept any ISO 8601 date or date-time; return the canonical UTC form."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except (ValueError, AttributeError):
        raise Invalid.field(field, "must be an ISO 8601 date-time, e.g. 2017-03-22T09:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 9999:
        raise Invalid.field(field, "must be a year between 1970 and 9999")
    return to_iso(moment)
