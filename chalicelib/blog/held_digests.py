"""Held-comment mail that is never silent: past a moderator's quota, one digest per window.

A held comment is mailed to each moderator on its own (blog/moderation_mail.py) while the
moderator's daily limits allow (NOTIFY_RATE_LIMIT per sender, and the recipient's ceiling;
blog/mail_delivery.py). Past them the comment is not dropped: the delivery's ``when_limited``
queues it here, and the moderator gets one mail per HELD_DIGEST_SECONDS window listing every
comment held since, each with its own approve, spam and delete links.

Queueing (the stream), one transaction of three puts:
  - HELDSEEN#<user>#<episode> (attribute_not_exists): this stay in the queue was queued for this
    moderator once; a batch the stream delivers again cancels the transaction;
  - HELDDIGEST#<user> / <due>#<episode>: the comment, in the window due at <due>;
  - HELDDUE / <due>#<user>: the window, where the schedule finds it by key range.
Windows are aligned to the epoch (due = the next multiple of HELD_DIGEST_SECONDS), so nothing
has to remember which window is open.

Sending (the one-minute schedule): windows due more than GRACE_SECONDS ago, each claimed with
the notifications' sent-marker (NOTIFIED#helddigest:<due>#<sha256 of the address>), so a run
that sends again finds it sent; only then are the window's items deleted. A transient SES
failure leaves every item in place for the next run. The digest itself is outside the daily
limits (at most one a window): a limit that could drop it would bring the silence back.
It lists the comments still pending when it is sent; one moderated meanwhile is left out, and
a window whose comments were all moderated, or whose recipient no longer moderates by mail,
sends nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib import mail
from chalicelib.blog import clock, renames
from chalicelib.blog.digests import GRACE_SECONDS, MAX_WINDOWS_PER_RUN
from chalicelib.blog.mail_delivery import MARKER_TTL_SECONDS
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.status import Status
from chalicelib.blog.subscriptions import each_page
from chalicelib.blog.tokens import ADMIN, AUTHOR, applied_role
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import END
from chalicelib.store.table import Item, Table, TransactionCancelled, put

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

ACTIONS = ("approve", "spam", "delete")
LINK_SECONDS = 7 * 24 * 3600  # as long as a single held-comment mail's links
_MAX_LISTED = 90  # comments listed in one digest: one BatchGetItem; the rest are counted, in the console's queue
_EXCERPT_LENGTH = 300
# (comment, action, account, expires) -> the signed one-click link (ModerationMail.link)
Linker = Callable[[Item, str, Item, int], str]


def moderates_by_mail(account: Item | None, admins: frozenset[str]) -> str | None:
    """The role under which ``account`` gets held-comment mail (admin, or an author who asked), else None."""
    if account is None:
        return None
    role = applied_role(str(account["username"]), str(account.get("role", "")), admins)
    return role if role == ADMIN or (role == AUTHOR and account.get("mail_held_comments")) else None


class HeldDigests:
    def __init__(self, table: Table, settings: Settings, notifications: Notifications, link: Linker) -> None:
        self.table = table
        self.settings = settings
        self.notifications = notifications
        self.link = link

    # -- the stream: queueing ----------------------------------------------------------

    def queue(self, account: Item, comment: Item, episode: str) -> None:
        """Put one stay of ``comment`` in the queue into the moderator's open window, once (idempotent)."""
        username = str(account["username"])
        now = clock.epoch()
        window = self.settings.held_digest_seconds
        due = (now // window + 1) * window
        ttl = now + MARKER_TTL_SECONDS
        with contextlib.suppress(TransactionCancelled):  # queued by an earlier delivery of this record
            self.table.transact([
                put({**keys.held_digest_seen(username, episode), "due": due, "ttl": ttl}, "attribute_not_exists(PK)"),
                put({**keys.held_digest_entry(username, due, episode), "post_slug": str(comment["post_slug"]),
                     "comment_id": str(comment["id"]), "episode": episode, "ttl": ttl}),
                put({**keys.held_digest_due(due, username), "username": username, "due": due, "ttl": ttl}),
            ])

    # -- the schedule: sending ---------------------------------------------------------

    def send_due(self) -> int:
        """Send every held-comment digest whose window closed; how many mails went."""
        if not (self.settings.notifications and self.settings.notify_from):
            return 0
        latest = keys.digest_window(clock.epoch() - GRACE_SECONDS) + END
        page = self.table.query(keys.HELD_DIGESTS_DUE_PARTITION, sort_to=latest, limit=MAX_WINDOWS_PER_RUN)
        sent = 0
        for window in page.items:
            try:
                sent += self._send(str(window["username"]), int(window["due"]))
            except mail.SendFailed as failure:
                logger.warning("a held-comment digest was not sent; the next run tries again: %s", failure)
        return sent

    def _send(self, username: str, due: int) -> int:
        window = keys.digest_window(due)
        entries = list(each_page(self.table, keys.held_digest_partition(username), window, window + END))
        account = renames.account_named(self.table, username)  # renamed since the comment was queued, too
        role = moderates_by_mail(account, self.settings.admins)
        address = str((account or {}).get("email") or "").strip().lower()
        comments = self._still_held(entries)
        sent = 0
        if account is not None and role is not None and address and comments:
            marker = keys.notification_sent(f"helddigest:{due}", hashlib.sha256(address.encode()).hexdigest())
            sent = self.notifications.deliver(
                marker, address, lambda: self.message(account, address, role, comments, len(entries)),
                f"the held-comment digest of {username}", f"helddigest:{due}", limited=False)
        self.table.batch_delete([keys.held_digest_entry(username, due, str(e["episode"]))
                                 for e in entries] + [keys.held_digest_due(due, username)])
        return sent

    def _still_held(self, entries: list[Item]) -> list[Item]:
        """The listed entries' comments still waiting for a moderator, each once, oldest first."""
        wanted = {str(e["comment_id"]): keys.held_comment(str(e["post_slug"]), str(e["comment_id"]))
                  for e in entries[:_MAX_LISTED]}
        found = self.table.batch_get(list(wanted.values()))
        return sorted((c for c in found if c.get("status") == Status.PENDING), key=lambda c: str(c["id"]))

    def message(self, account: Item, address: str, role: str, comments: list[Item], queued: int) -> EmailMessage:
        from email import policy
        from email.message import EmailMessage

        posts = {str(p["slug"]): p for p in self.table.batch_get(
            [keys.post(slug) for slug in sorted({str(c["post_slug"]) for c in comments})], ("slug", "title"))}
        expires = clock.epoch() + LINK_SECONDS
        parts = []
        for comment in comments:
            slug = str(comment["post_slug"])
            title = " ".join(str(posts.get(slug, {}).get("title", slug)).split())
            name = " ".join(str(comment.get("author_name") or "Someone").split())
            body = str(comment.get("body", "")).strip()
            if len(body) > _EXCERPT_LENGTH:
                body = body[:_EXCERPT_LENGTH].rstrip() + "…"
            quoted = "\n".join("> " + line if line else ">" for line in body.splitlines())
            links = "\n".join(f"{action.capitalize()}: {self.link(comment, action, account, expires)}"
                              for action in ACTIONS)
            parts.append(f"{name} on “{title}”:\n{quoted}\n{links}")
        if queued > _MAX_LISTED:
            parts.append(f"…and up to {queued - _MAX_LISTED} more: see the moderation queue in the console.")
        count = len(comments)
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = address
        message["Subject"] = f"{count} held comment{'s' if count != 1 else ''} to moderate"
        message["Auto-Submitted"] = "auto-generated"
        why = ("You get this e-mail because you are an admin of this blog (BLOG_ADMINS)." if role == ADMIN else
               "You get this e-mail because you asked to be told about held comments on your posts; "
               "turn it off under Account in the console.")
        message.set_content(
            "Today's mail about held comments reached its limit (NOTIFY_RATE_LIMIT), so the comments held "
            "since are listed here together. Each link opens a page that asks you to confirm; it works once, "
            f"for {LINK_SECONDS // 86400} days, and needs no sign-in, so do not forward this e-mail.\n\n"
            + "\n\n".join(parts) + f"\n\n-- \n{why}\n",
            cte="quoted-printable")
        return message
