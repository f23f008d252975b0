"""Mail sent at most once, within daily limits: the delivery every mail of the blog goes through.

Delivery is at most once per (message, address): a sent-marker item
(NOTIFIED#<comment>#<sha256>) is claimed with a conditional Put before sending,
so a batch the stream delivers again sends nothing twice. A transient SES
failure lets the claim go and is raised after the batch, so Lambda delivers
the batch again; a permanent refusal (e.g. MessageRejected) is logged and
settled, never retried. A claim whose sender died mid-send lapses after
LEASE_SECONDS, so a later delivery can send it.

Every mail, confirmation requests included, counts in a daily window per
recipient *and sender* (MAILRATE#, NOTIFY_RATE_LIMIT), and a recipient gets at
most RECIPIENT_CEILING times that a day from everyone together; a mail beyond
either is dropped, not delayed (blog/notifications.py says who the sender is).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import mail
from chalicelib.blog import clock
from chalicelib.blog.antispam import AntiSpam
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import ConditionFailed, Table, TransactionCancelled, Write, delete, put, update

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

SENDING, SENT, REFUSED, LIMITED = "sending", "sent", "refused", "limited"
DAY_SECONDS = 24 * 3600
RECIPIENT_CEILING = 10  # times NOTIFY_RATE_LIMIT: one address's mail a day from all senders together
LEASE_SECONDS = 120  # longer than one send may take (bounded timeouts and retries in mail.py)
MARKER_TTL_SECONDS = 7 * 24 * 3600  # far beyond the stream's 24-hour retention

Sender = Callable[["EmailMessage"], str]


class MailDelivery:
    """The sending half of Notifications (its base): what it needs is set by Notifications.__init__."""

    table: Table
    settings: Settings
    antispam: AntiSpam
    send: Sender

    def deliver(self, marker: Key, address: str, build: Callable[[], EmailMessage], about: str, sender: str,
                *, when_limited: Callable[[], None] | None = None, limited: bool = True) -> int:
        """Send the message ``build`` makes to ``address`` at most once (``marker``), within the daily limits
        of its recipient and ``sender`` (within_daily_limit); ``limited=False``: outside them (a digest, at
        most one a window, whose point is that the limits were reached).

        Over a limit, ``when_limited`` (if given) keeps the news for later instead of dropping it: it runs
        before the claim is settled, and if it fails the claim is let go, so a redelivery runs it again
        (it must be idempotent). Returns 1 when a mail went. Raises SendFailed (transient) after letting
        the claim go.
        """
        if not self._claim(marker):
            return 0  # sent (or refused) by an earlier delivery of this record
        if limited and not self.within_daily_limit(address, sender):
            if when_limited is None:
                logger.warning("mail about %s dropped: its address had its mails today from its sender (%d) "
                               "or from everyone (%d)", about, self.settings.notify_rate_limit,
                               self.settings.notify_rate_limit * RECIPIENT_CEILING)
            else:
                try:
                    when_limited()
                except Exception:
                    self._release(marker)
                    raise
            self._settle(marker, LIMITED, "")
            return 0
        try:
            message_id = self.send(build())
        except mail.SendFailed as failure:
            if failure.permanent:
                logger.error("mail about %s refused, not retried: %s", about, failure)
                self._settle(marker, REFUSED, "")
                return 0
            logger.warning("mail about %s failed, the batch will be retried: %s", about, failure)
            self._release(marker)
            raise
        self._settle(marker, SENT, message_id)
        return 1

    def within_daily_limit(self, address: str, sender: str) -> bool:
        """Count one mail from ``sender`` to ``address`` today, in one transaction with the address's window for
        every sender; False (nothing counted) once NOTIFY_RATE_LIMIT from that sender, or RECIPIENT_CEILING
        times it from all, are counted."""
        now = clock.epoch()
        day = now // DAY_SECONDS
        recipient = self.antispam.email_hash(address)
        sender_hash = hashlib.sha256(sender.encode()).hexdigest()[:32]
        limit = self.settings.notify_rate_limit

        def count(key: Key, allowed: int) -> Write:
            return update(key, "ADD #n :one SET #ttl = :ttl", "attribute_not_exists(#n) OR #n < :allowed",
                          {"#n": "count", "#ttl": "ttl"}, one=1, ttl=(day + 1) * DAY_SECONDS + 3600, allowed=allowed)

        try:
            self.table.transact([count(keys.sender_mail_window(recipient, sender_hash, day), limit),
                                 count(keys.mail_window(recipient, day), limit * RECIPIENT_CEILING)])
        except (ConditionFailed, TransactionCancelled):
            return False
        return True

    def _claim(self, marker: Key) -> bool:
        now = clock.epoch()
        try:
            self.table.write(put(
                {**marker, "state": SENDING, "lease_until": now + LEASE_SECONDS, "ttl": now + MARKER_TTL_SECONDS},
                "attribute_not_exists(PK) OR (#state = :sending AND lease_until < :now)", {"#state": "state"},
                sending=SENDING, now=now,
            ))
            return True
        except ConditionFailed:
            pass
        existing = self.table.get(marker)
        if existing is None or existing.get("state") == SENDING:
            # Another delivery holds it right now (or just let it go): let the stream try again later.
            raise mail.SendFailed("another delivery of this record is sending the same message", permanent=False)
        return False

    def _settle(self, marker: Key, state: str, message_id: str) -> None:
        try:
            self.table.write(update(marker, "SET #state = :state, message_id = :id REMOVE lease_until",
                                    None, {"#state": "state"}, state=state, id=message_id))
        except (BotoCoreError, ClientError) as error:
            # The message went (or was refused): failing the batch now would only risk a
            # duplicate once the lease lapses. The claim keeps it from being resent meanwhile.
            logger.error("could not record notification %s as %s: %s", marker["PK"], state, error)

    def _release(self, marker: Key) -> None:
        try:
            self.table.write(delete(marker, "#state = :sending", {"#state": "state"}, sending=SENDING))
        except (ConditionFailed, BotoCoreError, ClientError) as error:
            logger.warning("could not release notification %s (its lease will lapse): %s", marker["PK"], error)
