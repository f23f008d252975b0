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

Delivery is at most once per (comment, address): a sent-marker item
(NOTIFIED#<comment>#<sha256>) is claimed with a conditional Put before sending,
so a batch the stream delivers again sends nothing twice. A transient SES
failure lets the claim go and is raised after the batch, so Lambda delivers
the batch again; a permanent refusal (e.g. MessageRejected) is logged and
settled, never retried. A claim whose sender died mid-send lapses after
LEASE_SECONDS, so a later delivery can send it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import mail, signing
from chalicelib.blog import clock
from chalicelib.blog.status import Status
from chalicelib.errors import BadRequest, Forbidden
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import ConditionFailed, Item, Table, delete, put, update

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

SENDING, SENT, REFUSED = "sending", "sent", "refused"
LEASE_SECONDS = 120  # longer than one send may take (bounded timeouts and retries in mail.py)
MARKER_TTL_SECONDS = 7 * 24 * 3600  # far beyond the stream's 24-hour retention
EXCERPT_LENGTH = 1500
# "<sha256 of the address, hex>.<HMAC over "unsubscribe|<sha256>", 16 bytes, base64url>":
# the shape is checked before anything else.
_TOKEN = re.compile(r"^([0-9a-f]{64})\.([A-Za-z0-9_-]{22})$")
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


@dataclass(frozen=True)
class Person:
    username: str | None
    address: str | None

    def same_as(self, other: Person) -> bool:
        return bool((self.username and other.username and self.username.casefold() == other.username.casefold())
                    or (self.address and other.address and self.address == other.address))


@dataclass(frozen=True)
class Notice:
    """One message to write: to whom, and why."""

    address: str
    subject: str
    opening: str
    reason: str


def _address(raw: Any) -> str | None:
    address = str(raw or "").strip().lower()
    return address or None


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _k(item: Key | Item) -> tuple[str, str]:
    return str(item["PK"]), str(item["SK"])


class Notifications:
    def __init__(self, table: Table, settings: Settings, send: Sender = mail.send) -> None:
        self.table = table
        self.settings = settings
        self.send = send
        # Unsubscribe links get a key of their own, derived like the cursor key.
        self.key = signing.derive_key(settings.edit_token_key, "unsubscribe-links")

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
        usernames = {str(u).casefold(): str(u) for u in (post["author"], parent and parent.get("author_user")) if u}
        accounts = {str(i["username"]).casefold(): i for i in self.table.batch_get(
            [keys.user(u) for u in usernames.values()])}

        def account_address(username: str) -> str | None:
            account = accounts.get(username.casefold())
            return _address(account.get("email")) if account else None

        writer = Person(comment.get("author_user"), _address(comment.get("author_email")))
        name, title = _one_line(comment.get("author_name") or "Someone"), _one_line(post.get("title", ""))
        candidates: list[tuple[Person, Notice]] = []
        if parent is not None:
            # A signed-in commenter is written to at their account's address; anyone else at the one they gave.
            user = parent.get("author_user")
            person = Person(user, account_address(user) if user else _address(parent.get("author_email")))
            candidates.append((person, Notice(
                person.address or "", f"{name} replied to your comment on “{title}”",
                f"{name} replied to your comment on “{title}”:",
                "You get this e-mail because you asked to hear about replies to your comment.")))
        author = Person(post["author"], account_address(post["author"]))
        candidates.append((author, Notice(
            author.address or "", f"New comment on “{title}” from {name}",
            f"{name} commented on your post “{title}”:",
            "You get this e-mail because you wrote the post.")))

        notices: list[Notice] = []
        for person, notice in candidates:
            if person.address and not person.same_as(writer) and all(n.address != person.address for n in notices):
                notices.append(notice)
        opted_out = {_k(i) for i in self.table.batch_get(
            [keys.notify_optout(address_hash(n.address)) for n in notices])}
        return [n for n in notices if _k(keys.notify_optout(address_hash(n.address))) not in opted_out]

    def _deliver(self, comment: Item, notice: Notice) -> int:
        marker = keys.notification_sent(comment["id"], address_hash(notice.address))
        if not self._claim(marker):
            return 0  # sent (or refused) by an earlier delivery of this record
        try:
            message_id = self.send(self.message(comment, notice))
        except mail.SendFailed as failure:
            if failure.permanent:
                logger.error("notification about comment %s refused, not retried: %s", comment["id"], failure)
                self._settle(marker, REFUSED, "")
                return 0
            logger.warning("notification about comment %s failed, the batch will be retried: %s",
                           comment["id"], failure)
            self._release(marker)
            raise
        self._settle(marker, SENT, message_id)
        return 1

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

    # -- unsubscribing ---------------------------------------------------------------

    def unsubscribe_token(self, address: str) -> str:
        digest = address_hash(address)
        return f"{digest}.{signing.sign(self.key, _UNSUBSCRIBE, digest, size=_SIGNATURE_BYTES)}"

    def unsubscribe_url(self, address: str) -> str:
        return f"{self.settings.site_url}/unsubscribe?token={self.unsubscribe_token(address)}"

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

