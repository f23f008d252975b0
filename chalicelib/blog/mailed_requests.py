"""Requests for a mailed link (a personal-data link, a password reset): recorded by a route, mailed from the stream.

The route puts a request item and answers at once, the same whoever asks. The table's stream then
hands each new request to its service (``each_new``), which claims it by deleting it (``claim``),
so a batch delivered again sends nothing twice, and mails the link within the address's daily
bucket for that kind of link (``send_within_limit``), never spending a commenter's notices.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import mail
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.stream_records import image
from chalicelib.store.table import ConditionFailed, Item, Table, delete

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)


def each_new(records: Iterable[Mapping[str, Any]], prefix: str) -> Iterator[Item]:
    """The new request items among the stream's ``records`` whose key starts with ``prefix``."""
    for record in records:
        change = record.get("dynamodb") or {}
        if record.get("eventName") != "INSERT" or not str(
                (change.get("Keys") or {}).get("PK", {}).get("S", "")).startswith(prefix):
            continue
        request = image(change.get("NewImage"))
        if request is not None:
            yield request


def claim(table: Table, notifications: Notifications, request: Item, what: str) -> bool:
    """Whether this delivery of ``request`` is the one to act on: sending is configured, and it deleted the item."""
    if not notifications.settings.notify_from:
        logger.warning("NOTIFY_FROM is not set: %s are not sent", what)
        return False
    try:
        table.write(delete({"PK": request["PK"], "SK": request["SK"]}, "attribute_exists(PK)"))
    except ConditionFailed:
        return False
    return True


def send_within_limit(notifications: Notifications, address: str, bucket: str, what: str,
                      message: Callable[[], EmailMessage]) -> int:
    """Send ``message()`` to ``address`` unless its daily ``bucket`` is spent; 1 if it went, else 0 (logged)."""
    if not notifications.within_daily_limit(address, bucket):
        logger.warning("a %s was dropped: its address had its mails today", what)
        return 0
    try:
        notifications.send(message())
    except mail.SendFailed as failure:
        logger.error("a %s was not sent (the requester may ask again): %s", what, failure)
        return 0
    return 1
