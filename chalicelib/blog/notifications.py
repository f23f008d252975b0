"""Comment notifications: decided from the table's stream, sent by SES, never inside a request.

A comment becomes visible when a stream record's NEW image is an approved
COMMENT# item and its OLD image was not one: a new comment, or a held one that
moderation moved from HELD#<ulid> to COMMENT#<ulid> (an INSERT of the COMMENT#
item). Edits, votes and tombstones are not news. For a visible comment:
  - the post's author hears about it, unless they wrote it;
  - the parent comment's author hears about a reply when they asked to
    (``notify_replies``) and did not write the reply themselves.
An address gets at most one message per comment, and none once it has
unsubscribed (OPTOUT#<sha256 of the address>).

Double opt-in: reply notifications go only to an address its owner confirmed
(CONFIRMED#<keyed hash of the address>) through a signed link. A visible
comment that asks for replies (or, under first-time moderation, carries an
e-mail) from an address not yet confirmed brings its writer one confirmation
request instead, at most one per address per CONFIRM_LINK_SECONDS (the link's
lifetime), quoting nothing the commenter wrote. The post's author is written to
at their account's address without confirmation: an admin made them an author.
An opt-out wins over a confirmation. Every mail, confirmation requests
included, counts in a daily window per recipient *and sender* (MAILRATE#,
NOTIFY_RATE_LIMIT): the sender is whoever made the mail happen (the commenter's
account, else the network address they wrote from, as a keyed hash), so ten
anonymous comments from one address spend their own quota, not the genuine
reader's. A recipient also gets at most RECIPIENT_CEILING times that a day from
everyone together, against a flood from many addresses. A mail beyond either is
dropped, not delayed.

Delivery is at most once per (comment, address): a sent-marker item
(NOTIFIED#<comment>#<sha256>) is claimed with a conditional Put before sending,
so a batch the stream delivers again sends nothing twice. A transient SES
failure lets the claim go and is raised after the batch, so Lambda delivers
the batch again; a permanent refusal (e.g. MessageRejected) is logged and
settled, never retried. A claim whose sender died mid-send lapses after
LEASE_SECONDS, so a later delivery can send it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import mail, signing
from chalicelib.blog import clock
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.status import Status
from chalicelib.errors import BadRequest, Forbidden
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import ConditionFailed, Item, Table, TransactionCancelled, Write, delete, put, update
from chalicelib.values import Value

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

SENDING, SENT, REFUSED, LIMITED = "sending", "sent", "refused", "limited"
CONFIRM_LINK_SECONDS = 7 * 24 * 3600
# The marker of a confirmation request takes this in place of a comment id.
CONFIRMATION = "confirm"
# "<keyed hash of the address, 32 hex>.<expiry, epoch seconds>.<HMAC, 16 bytes, base64url>".
_CONFIRM_TOKEN = lazy(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
_CONFIRM = "confirm"
DAY_SECONDS = 24 * 3600
RECIPIENT_CEILING = 10  # times NOTIFY_RATE_LIMIT: one address's mail a day from all senders together
LEASE_SECONDS = 120  # longer than one send may take (bounded timeouts and retries in mail.py)
MARKER_TTL_SECONDS = 7 * 24 * 3600  # far beyond the stream's 24-hour retention
EXCERPT_LENGTH = 1500
# "<sha256 of the address, hex>.<HMAC over "unsubscribe|<sha256>", 16 bytes, base64url>":
# the shape is checked before anything else.
_TOKEN = lazy(r"^([0-9a-f]{64})\.([A-Za-z0-9_-]{22})$")
_UNSUBSCRIBE = "unsubscribe"
_SIGNATURE_BYTES = 16
_deserializer = TypeDeserializer()

Sender = Callable[["EmailMessage"], str]


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def image(raw: Mapping[str, Any] | None) -> Item | None:
    """A stream image (DynamoDB JSON) as plain values."""
    return {k: _deserializer.deserialize(v) for k, v in raw.items()} if raw else None


def _is_public_comment(item: Item | None) -> bool:
    return (item is not None and str(item.get("SK", "")).startswith(keys.COMMENT_PREFIX)
            and item.get("status") == Status.APPROVED)


def newly_visible(record: Mapping[str, Any]) -> Item | None:
    """The comment a stream record makes visible to readers, or None."""
    change = record.get("dynamodb") or {}
    sort_key = (change.get("Keys") or {}).get("SK", {}).get("S", "")
    if not sort_key.startswith(keys.COMMENT_PREFIX):
        return None  # not a public comment's key: nothing to deserialise
    new = image(change.get("NewImage"))
    if not _is_public_comment(new) or _is_public_comment(image(change.get("OldImage"))):
        return None
    if new is not None and new.get("imported_from"):
        return None  # brought in by the importer (importer/): old news, nobody is told
    return new


def newly_held(record: Mapping[str, Any]) -> Item | None:
    """The comment a stream record puts in the moderation queue (a pending HELD# item inserted), or None."""
    change = record.get("dynamodb") or {}
    sort_key = (change.get("Keys") or {}).get("SK", {}).get("S", "")
    if not sort_key.startswith(keys.HELD_PREFIX) or record.get("eventName") != "INSERT":
        return None
    held = image(change.get("NewImage"))
    if held is None or held.get("status") != Status.PENDING or held.get("imported_from"):
        return None
    return held


# Plain classes, not dataclasses: creating a dataclass costs about a millisecond at every cold start.
class Person(Value):
    __slots__ = ("address", "username")

    def __init__(self, username: str | None, address: str | None) -> None:
        self.username: Final = username
        self.address: Final = address

    def same_as(self, other: Person) -> bool:
        return bool((self.username and other.username and self.username.casefold() == other.username.casefold())
                    or (self.address and other.address and self.address == other.address))


class Notice(Value):
    """One message to write: to whom, and why."""

    __slots__ = ("address", "confirmation", "opening", "reason", "subject")

    def __init__(self, address: str, subject: str, opening: str, reason: str, confirmation: bool = False) -> None:
        self.address: Final = address
        self.subject: Final = subject
        self.opening: Final = opening
        self.reason: Final = reason
        # A request to confirm the address (no comment quoted), not news of a comment.
        self.confirmation: Final = confirmation


def mail_sender(comment: Item) -> str:
    """Who a mail about ``comment`` counts against: its writer's account, else the address it came from.

    Comments from before senders were recorded (and imported ones) count as their account's or, anonymous,
    all together.
    """
    if comment.get("sender"):
        return str(comment["sender"])
    return f"user:{str(comment['author_user']).casefold()}" if comment.get("author_user") else "anonymous"


def _address(raw: Any) -> str | None:
    address = str(raw or "").strip().lower()
    return address or None


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _k(item: Key | Item) -> tuple[str, str]:
    return str(item["PK"]), str(item["SK"])


class Notifications:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, send: Sender = mail.send) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.send = send
        # Links in mail must outlive edit tokens: MAIL_LINK_KEY, one derived key per kind of link.
        self.key = signing.derive_key(settings.mail_link_key, "unsubscribe-links")
        self.confirm_key = signing.derive_key(settings.mail_link_key, "confirm-links")

    # -- the stream ------------------------------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Send what a batch of stream records calls for; returns how many messages went out.

        Raises SendFailed (transient) after trying the whole batch when SES failed
        for some message, so that Lambda delivers the batch again.
        """
        if not self.settings.notifications:
            return 0
        if not self.settings.notify_from:
            logger.warning("NOTIFY_FROM is not set: comment notifications are not sent")
            return 0
        sent, retry = 0, None
        for record in records:
            comment = newly_visible(record)
            if comment is None:
                continue
            for notice in self.notices(comment):
                try:
                    sent += self._deliver(comment, notice)
                except mail.SendFailed as failure:
                    retry = retry or failure
        if retry is not None:
            raise retry
        return sent

    def notices(self, comment: Item) -> list[Notice]:
        """Who hears about ``comment``: at most one notice per address, none to its writer or opted-out addresses."""
        slug, parent_id = comment["post_slug"], comment.get("parent_id")
        wanted = [keys.post(slug)] + ([keys.comment(slug, parent_id)] if parent_id else [])
        found = {_k(i): i for i in self.table.batch_get(wanted)}
        post = found.get(_k(keys.post(slug)))
        if post is None:
            return []  # the post is gone meanwhile
        parent = found.get(_k(keys.comment(slug, parent_id))) if parent_id else None
        if parent is not None and not (parent.get("status") == Status.APPROVED
                                       and parent.get("notify_replies") is True):
            parent = None
        writer_user = comment.get("author_user")
        usernames = {str(u).casefold(): str(u)
                     for u in (post["author"], parent and parent.get("author_user"), writer_user) if u}
        accounts = {str(i["username"]).casefold(): i for i in self.table.batch_get(
            [keys.user(u) for u in usernames.values()])}

        def account_address(username: str) -> str | None:
            account = accounts.get(username.casefold())
            return _address(account.get("email")) if account else None

        writer = Person(writer_user, account_address(writer_user) if writer_user
                        else _address(comment.get("author_email")))
        name, title = _one_line(comment.get("author_name") or "Someone"), _one_line(post.get("title", ""))
        # (person, notice, needs a confirmed address)
        candidates: list[tuple[Person, Notice, bool]] = []
        if parent is not None:
            # A signed-in commenter is written to at their account's address; anyone else at the one they gave.
            user = parent.get("author_user")
            person = Person(user, account_address(user) if user else _address(parent.get("author_email")))
            candidates.append((person, Notice(
                person.address or "", f"{name} replied to your comment on “{title}”",
                f"{name} replied to your comment on “{title}”:",
                "You get this e-mail because you asked to hear about replies to your comment."), True))
        author = Person(post["author"], account_address(post["author"]))
        candidates.append((author, Notice(
            author.address or "", f"New comment on “{title}” from {name}",
            f"{name} commented on your post “{title}”:",
            "You get this e-mail because you wrote the post."), False))

        wants_confirmation = comment.get("notify_replies") is True or (
            self.settings.moderation == "first-time" and not writer_user)
        addresses = {p.address for p, _, _ in candidates if p.address} | ({writer.address} if writer.address else set())
        stored = {_k(i) for i in self.table.batch_get(
            [keys.notify_optout(address_hash(a)) for a in addresses]
            # both hashes during a HASH_KEY rotation's grace period: a confirmation from before it still counts
            + [keys.email_confirmed(digest) for a in addresses for digest in self.antispam.email_hashes(a)])}

        def opted_out(address: str) -> bool:
            return _k(keys.notify_optout(address_hash(address))) in stored

        def confirmed(address: str) -> bool:
            return any(_k(keys.email_confirmed(digest)) in stored for digest in self.antispam.email_hashes(address))

        notices: list[Notice] = []
        for person, notice, needs_confirmation in candidates:
            if (person.address and not person.same_as(writer) and not opted_out(person.address)
                    and (confirmed(person.address) or not needs_confirmation)
                    and all(n.address != person.address for n in notices)):
                notices.append(notice)
        # An opt-out wins over everything, a confirmation request included.
        if (writer.address and wants_confirmation and not confirmed(writer.address) and not opted_out(writer.address)
                and all(n.address != writer.address for n in notices)):
            notices.append(Notice(
                writer.address, f"Confirm your e-mail address for “{title}”",
                f"Someone, we hope you, gave this address with a comment on “{title}”.", "", confirmation=True))
        return notices

    def _deliver(self, comment: Item, notice: Notice) -> int:
        marker = keys.notification_sent(CONFIRMATION if notice.confirmation else comment["id"],
                                        address_hash(notice.address))
        return self.deliver(marker, notice.address, lambda: self.message(comment, notice), comment["id"],
                            mail_sender(comment))

    def deliver(self, marker: Key, address: str, build: Callable[[], EmailMessage], about: str, sender: str) -> int:
        """Send the message ``build`` makes to ``address`` at most once (``marker``), within the daily limits
        of its recipient and ``sender`` (within_daily_limit).

        Returns 1 when it went. Raises SendFailed (transient) after letting the claim go.
        """
        if not self._claim(marker):
            return 0  # sent (or refused) by an earlier delivery of this record
        if not self.within_daily_limit(address, sender):
            logger.warning("mail about %s dropped: its address had its mails today from its sender (%d) "
                           "or from everyone (%d)", about, self.settings.notify_rate_limit,
                           self.settings.notify_rate_limit * RECIPIENT_CEILING)
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

    def message(self, comment: Item, notice: Notice) -> EmailMessage:
        # Imported here: only the stream handler writes mail, so API cold starts skip it.
        from email import policy
        from email.message import EmailMessage

        slug = str(comment["post_slug"])
        link = f"{self.settings.site_url}/posts/{quote(slug, safe='')}#comment-{comment['id']}"
        unsubscribe = self.unsubscribe_url(notice.address)
        if notice.confirmation:
            return self._confirmation_message(notice, unsubscribe, EmailMessage, policy.SMTP)
        body = str(comment.get("body", "")).strip()
        if len(body) > EXCERPT_LENGTH:
            body = body[:EXCERPT_LENGTH].rstrip() + "…"
        quoted = "\n".join("> " + line if line else ">" for line in body.splitlines())
        # No folding below 998 characters: a folded List-Unsubscribe URL would be
        # encoded as RFC 2047 words that mail clients do not read as a URL.
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = notice.address
        message["Subject"] = notice.subject
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058 one-click
        message.set_content(
            f"{notice.opening}\n\n{quoted}\n\nRead it and reply: {link}\n\n-- \n{notice.reason}\n"
            f"To get no more e-mail from this blog at this address: {unsubscribe}\n",
            cte="quoted-printable",
        )
        return message

    def _confirmation_message(self, notice: Notice, unsubscribe: str, make: type[EmailMessage],
                              smtp: Any) -> EmailMessage:
        """The request to confirm an address: the post's title and two links, nothing a commenter wrote."""
        expires = clock.epoch() + CONFIRM_LINK_SECONDS
        link = mail.link(self.settings, "/email/confirm", token=self.confirm_token(notice.address, expires))
        message = make(policy=smtp.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = notice.address
        message["Subject"] = notice.subject
        message["Auto-Submitted"] = "auto-generated"
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(
            f"{notice.opening}\n\nTo get e-mail about replies at this address, confirm it within "
            f"{CONFIRM_LINK_SECONDS // DAY_SECONDS} days: {link}\n\n"
            "If it was not you, do nothing: this blog sends nothing more to this address about it.\n\n-- \n"
            f"To get no e-mail at all from this blog at this address: {unsubscribe}\n",
            cte="quoted-printable",
        )
        return message

    # -- confirming an address -------------------------------------------------------

    def confirm_token(self, address: str, expires: int) -> str:
        digest = self.antispam.email_hash(address)
        signature = signing.sign(self.confirm_key, _CONFIRM, digest, str(expires), size=_SIGNATURE_BYTES)
        return f"{digest}.{expires}.{signature}"

    def check_confirm_token(self, token: str | None) -> str:
        """The keyed address hash a genuine, unexpired confirmation token carries; refuses anything else."""
        if not token:
            raise BadRequest("the confirmation link lacks its token", {"token": ["is required"]})
        shape = _CONFIRM_TOKEN.match(token)
        if shape is None or not signing.verify(self.confirm_key, shape[3], _CONFIRM, shape[1], shape[2],
                                               size=_SIGNATURE_BYTES):
            raise Forbidden("this confirmation link is not valid; use the one from the e-mail")
        if int(shape[2]) < clock.epoch():
            raise Forbidden("this confirmation link has expired; comment again with notify_replies to get a new one")
        return shape[1]

    def confirm(self, token: str | None) -> None:
        """Record that the address's owner confirmed it (idempotent: a second use changes nothing)."""
        digest = self.check_confirm_token(token)
        with contextlib.suppress(ConditionFailed):  # confirmed before: the first date stands
            self.table.write(put({**keys.email_confirmed(digest), "at": clock.now_iso()}, "attribute_not_exists(PK)"))

    # -- unsubscribing ---------------------------------------------------------------

    def unsubscribe_token(self, address: str) -> str:
        digest = address_hash(address)
        return f"{digest}.{signing.sign(self.key, _UNSUBSCRIBE, digest, size=_SIGNATURE_BYTES)}"

    def unsubscribe_url(self, address: str) -> str:
        return mail.link(self.settings, "/unsubscribe", token=self.unsubscribe_token(address))

    def check_token(self, token: str | None) -> str:
        """The address hash a genuine unsubscribe token carries; refuses anything else."""
        if not token:
            raise BadRequest("the unsubscribe link lacks its token", {"token": ["is required"]})
        shape = _TOKEN.match(token)
        if shape is None or not signing.verify(self.key, shape[2], _UNSUBSCRIBE, shape[1], size=_SIGNATURE_BYTES):
            raise Forbidden("this unsubscribe link is not valid; use the one from the e-mail")
        return shape[1]

    def unsubscribe(self, token: str | None) -> None:
        """Stop all notifications to the address the token names (idempotent)."""
        digest = self.check_token(token)
        self.table.write(put({**keys.notify_optout(digest), "at": clock.now_iso()}))

