"""Digests for thread subscribers: queued from the stream, sent by the one-minute schedule, each comment once.

Queueing (the stream): a comment that becomes public (notifications.newly_visible) is queued
for each confirmed subscriber of its post, except the one who wrote it (same account, or same
address). A subscriber has one open window at a time (``open_due`` on the subscription,
opened SUBSCRIPTION_DIGEST_SECONDS after the first comment in it, by a conditional update).
The comment goes in with one transaction of three puts:
  - DIGESTSEEN#… (attribute_not_exists): this comment was queued for this subscriber; a batch
    the stream delivers again, even after the window closed, cancels the transaction;
  - DIGEST#<slug>#<hash> / <due>#<ulid>: the comment, in the window due at <due>;
  - DIGESTDUE / <due>#<slug>#<hash>: the window, where the schedule finds it by key range.

Sending (the schedule): one Query of DIGESTDUE for windows due more than GRACE_SECONDS ago
(a stream write that read the window just before it closed has landed by then). A window's
mail is claimed with the notifications' sent-marker (NOTIFIED#digest:<slug>:<due>#<hash>,
claim, send, settle), so a run that sends again finds it sent; only after that are the
window's items deleted. A transient SES failure lets the claim go and leaves every item in
place: the next run sends the same window. Comments deleted or unpublished meanwhile, a post
no longer public, an ended subscription or an opted-out address send nothing; their window
is cleared.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib import mail
from chalicelib.blog import clock, views
from chalicelib.blog.mail_delivery import MARKER_TTL_SECONDS
from chalicelib.blog.notifications import EXCERPT_LENGTH, address_hash
from chalicelib.blog.status import Status
from chalicelib.blog.stream_records import newly_visible
from chalicelib.blog.subscriptions import CONFIRMED, Subscriptions, each_page
from chalicelib.store import keys
from chalicelib.store.keys import END
from chalicelib.store.table import ConditionFailed, Item, Table, TransactionCancelled, put, update

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

GRACE_SECONDS = 60
MAX_WINDOWS_PER_RUN = 200  # digests one scheduled run sends; the rest wait a minute
_WINDOW_RETRIES = 3
_MAX_QUOTED = 98  # comments quoted in one digest: with the post and the subscription, one BatchGetItem


class Digests:
    def __init__(self, table: Table, subscriptions: Subscriptions) -> None:
        self.table = table
        self.subscriptions = subscriptions
        self.settings = subscriptions.settings
        self.notifications = subscriptions.notifications

    # -- the stream: queueing ----------------------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Queue each newly public comment of the batch for its post's subscribers; how many entries were queued."""
        queued = 0
        for record in records:
            comment = newly_visible(record)
            if comment is not None:
                queued += self.queue(comment)
        return queued

    def queue(self, comment: Item) -> int:
        slug, comment_id = str(comment["post_slug"]), str(comment["id"])
        writer_user = str(comment.get("author_user") or "").casefold()
        writer_hashes = set(self._writer_hashes(comment))
        queued = 0
        for subscription in self.subscriptions.confirmed_of(slug):
            if str(subscription["email_hash"]) in writer_hashes or (
                    writer_user and str(subscription.get("username", "")).casefold() == writer_user):
                continue  # the subscriber's own comment
            queued += self._queue_one(subscription, comment_id)
        return queued

    def _writer_hashes(self, comment: Item) -> list[str]:
        address = comment.get("author_email")
        if comment.get("author_user"):
            account = self.table.get(keys.user(str(comment["author_user"])))
            address = account.get("email") if account else None
        return self.subscriptions.antispam.email_hashes(str(address)) if address else []

    def _queue_one(self, subscription: Item, comment_id: str) -> int:
        slug, digest = str(subscription["post_slug"]), str(subscription["email_hash"])
        due = self._open_window(subscription)
        if due is None:
            return 0  # the subscription ended meanwhile
        now = clock.epoch()
        try:
            self.table.transact([
                put({**keys.digest_seen(slug, digest, comment_id), "due": due, "ttl": now + MARKER_TTL_SECONDS},
                    "attribute_not_exists(PK)"),
                put({**keys.digest_entry(slug, digest, due, comment_id), "comment_id": comment_id,
                     "ttl": now + MARKER_TTL_SECONDS}),
                put({**keys.digest_due(due, slug, digest), "post_slug": slug, "email_hash": digest, "due": due,
                     "ttl": now + MARKER_TTL_SECONDS}),
            ])
        except TransactionCancelled:
            return 0  # queued by an earlier delivery of this record
        return 1

    def _open_window(self, subscription: Item) -> int | None:
        """The due time of the subscriber's open window, opening one when none is open."""
        key = keys.subscription(str(subscription["post_slug"]), str(subscription["email_hash"]))
        current: Item | None = subscription
        for _ in range(_WINDOW_RETRIES):
            if current is None or current.get("state") != CONFIRMED:
                return None
            now = clock.epoch()
            if int(current.get("open_due", 0)) > now:
                return int(current["open_due"])
            due = now + self.settings.subscription_digest_seconds
            previous = current.get("open_due")
            try:
                self.table.write(update(
                    key, "SET open_due = :due",
                    "#state = :confirmed AND " + ("open_due = :previous" if previous is not None
                                                  else "attribute_not_exists(open_due)"),
                    {"#state": "state"}, due=due, confirmed=CONFIRMED,
                    **({"previous": previous} if previous is not None else {})))
                return due
            except ConditionFailed:
                current = self.table.get(key)  # another delivery opened one (or it ended): read it again
        raise mail.SendFailed("the subscriber's digest window kept changing", permanent=False)

    # -- the schedule: sending ---------------------------------------------------------

    def send_due(self) -> int:
        """Send every digest whose window closed; how many mails went. A failed send waits for the next run."""
        if not self.settings.notify_from:
            logger.warning("NOTIFY_FROM is not set: subscription digests are not sent")
            return 0
        latest = keys.digest_window(clock.epoch() - GRACE_SECONDS) + END
        page = self.table.query(keys.DIGESTS_DUE_PARTITION, sort_to=latest, limit=MAX_WINDOWS_PER_RUN)
        sent = 0
        for window in page.items:
            try:
                sent += self._send(window)
            except mail.SendFailed as failure:
                logger.warning("a digest was not sent; the next run tries again: %s", failure)
        return sent

    def _send(self, window: Item) -> int:
        slug, digest, due = str(window["post_slug"]), str(window["email_hash"]), int(window["due"])
        entries = list(each_page(self.table, keys.digest_partition(slug, digest), keys.digest_window(due),
                                 keys.digest_window(due) + END))
        wanted = [keys.post(slug), keys.subscription(slug, digest)] + [
            keys.comment(slug, str(e["comment_id"])) for e in entries[:_MAX_QUOTED]]
        found = {(str(i["PK"]), str(i["SK"])): i for i in self.table.batch_get(wanted)}
        post = found.get((keys.post_partition(slug), keys.POST_SK))
        subscription = found.get((keys.subscriptions_partition(slug), keys.SUBSCRIPTION_PREFIX + digest))
        comments = [c for c in (found.get((keys.post_partition(slug), keys.COMMENT_PREFIX + str(e["comment_id"])))
                                for e in entries) if c is not None and c.get("status") == Status.APPROVED]
        sent = 0
        if (post is not None and views.is_public(post, clock.now_iso()) and comments and subscription is not None
                and subscription.get("state") == CONFIRMED and not self._opted_out(str(subscription["email"]))):
            address = str(subscription["email"])
            marker = keys.notification_sent(f"digest:{slug}:{due}", digest)
            # Each window counts as its own sender: only the recipient's daily ceiling applies to digests.
            sent = self.notifications.deliver(
                marker, address, lambda: self.message(address, digest, post, comments, len(entries)),
                f"a digest of {slug}", f"digest:{slug}:{due}")
        self.table.batch_delete([keys.digest_entry(slug, digest, due, str(e["comment_id"])) for e in entries]
                                + [keys.digest_due(due, slug, digest)])
        return sent

    def _opted_out(self, address: str) -> bool:
        return self.table.get(keys.notify_optout(address_hash(address))) is not None

    def message(self, address: str, digest: str, post: Item, comments: list[Item], queued: int) -> EmailMessage:
        slug, title = str(post["slug"]), " ".join(str(post.get("title", "")).split())
        parts = []
        for comment in comments:
            body = str(comment.get("body", "")).strip()
            if len(body) > EXCERPT_LENGTH:
                body = body[:EXCERPT_LENGTH].rstrip() + "…"
            quoted = "\n".join("> " + line if line else ">" for line in body.splitlines())
            name = " ".join(str(comment.get("author_name") or "Someone").split())
            link = f"{self.settings.site_url}/posts/{quote(slug, safe='')}#comment-{comment['id']}"
            parts.append(f"{name} wrote:\n\n{quoted}\n\nRead it and reply: {link}")
        if queued > _MAX_QUOTED:
            parts.append(f"…and {queued - _MAX_QUOTED} more on the post: "
                         f"{self.settings.site_url}/posts/{quote(slug, safe='')}")
        count = len(comments)
        subject = f"{count} new comment{'s' if count != 1 else ''} on “{title}”"
        return self.subscriptions.compose(
            address, subject, f"New comments on “{title}”, which you subscribed to:\n\n" + "\n\n".join(parts),
            slug, digest)
