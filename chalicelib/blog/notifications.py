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
An opt-out wins over a confirmation.

Delivery is at most once per (comment, address), within daily limits per
recipient and sender (blog/mail_delivery.py, this class's base): the sender is
whoever made the mail happen (the commenter's account, else the network address
they wrote from, as a keyed hash), so ten anonymous comments from one address
spend their own quota, not the genuine reader's.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from chalicelib import mail, signing
from chalicelib.blog import clock
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.mail_delivery import DAY_SECONDS, MailDelivery, Sender
from chalicelib.blog.status import Status
from chalicelib.blog.stream_records import newly_visible
from chalicelib.errors import BadRequest, Forbidden
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import ConditionFailed, Item, Table, put
from chalicelib.values import Value

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

CONFIRM_LINK_SECONDS = 7 * 24 * 3600
# The marker of a confirmation request takes this in place of a comment id.
CONFIRMATION = "confirm"
# "<keyed hash of the address, 32 hex>.<expiry, epoch seconds>.<HMAC, 16 bytes, base64url>".
_CONFIRM_TOKEN = lazy(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
_CONFIRM = "confirm"
EXCERPT_LENGTH = 1500
# "<sha256 of the address, hex>.<HMAC over "unsubscribe|<sha256>", 16 bytes, base64url>":
# the shape is checked before anything else.
_TOKEN = lazy(r"^([0-9a-f]{64})\.([A-Za-z0-9_-]{22})$")
_UNSUBSCRIBE = "unsubscribe"
_SIGNATURE_BYTES = 16


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


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


class Notifications(MailDelivery):
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

