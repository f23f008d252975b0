"""Moderators told where they are: a held comment e-mailed to the blog's admins, with one-click links.

When a comment lands in the moderation queue (notifications.newly_held), each admin
named in BLOG_ADMINS who has an account with an e-mail address gets one message, and
so does the post's author when they asked (``mail_held_comments`` on their account,
set by PATCH /auth/me or the console's Account page). Mail goes through the
notifications' delivery (at most once per comment and address, within
NOTIFY_RATE_LIMIT, from the stream); past those limits a held comment is not dropped but listed
in the moderator's next digest (blog/held_digests.py). It shows the post, the commenter's name and site,
the comment and why it was held, and three links: approve, spam, delete.

A link is signed (MAIL_LINK_KEY, "moderation-links") over the comment, the action, the
person it was sent to and its expiry (LINK_SECONDS). Opening it changes nothing: its
page asks for a confirming click, a POST, because mail scanners open links on their
own. The POST works once (a MODLINK# marker claimed with a condition), and only while
the person it names still moderates by mail: an admin, or an author who still wants
the mail and still wrote the post. It acts as them, in the audit trail too, through the
same moderation the queue uses, so an action that no longer fits (approving a comment
already approved) is refused as there.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib import mail, signing
from chalicelib.blog import clock
from chalicelib.blog.held_digests import HeldDigests
from chalicelib.blog.moderation import Moderation
from chalicelib.blog.notifications import Notifications, mail_sender
from chalicelib.blog.status import Status
from chalicelib.blog.stream_records import newly_held
from chalicelib.blog.tokens import ADMIN, AUTHOR, Principal, applied_role
from chalicelib.errors import BadRequest, Conflict, Forbidden
from chalicelib.mail import SendFailed
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, Item, Table, put

if TYPE_CHECKING:
    from email.message import EmailMessage

LINK_SECONDS = 7 * 24 * 3600
ACTIONS = ("approve", "spam", "delete")
_PURPOSE = "moderate"
_SIGNATURE_BYTES = 16
# "<comment ulid>.<action>.<expiry>.<token version>.<text digest>.<HMAC, base64url>.<username>": the username
# last, since it may hold dots. The version is the recipient's account's (signing out everywhere moves it on);
# the digest, of the comment's text as mailed (text_digest).
_TOKEN = lazy(r"^([0-9A-HJKMNP-TV-Z]{26})\.(approve|spam|delete)\.([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{11})\."
              r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9][A-Za-z0-9_.-]{2,31})$")
_SEEN = lazy(r"^[A-Za-z0-9_-]{11}$")
_EXCERPT_LENGTH = 1500
_WHY_MAILED = {
    ADMIN: "You get this e-mail because you are an admin of this blog (BLOG_ADMINS).",
    AUTHOR: "You get this e-mail because you wrote the post and asked to be told about held comments; "
            "turn it off under Account in the console.",
}


def held_episode(comment: Item) -> str:
    """One stay of a comment in the queue: held when written, and again each time an edit sends it back.

    Moderators are mailed once per stay (the sent-marker's name), so a comment edited back into the queue
    after an approval is mailed about again, with its new text.
    """
    edited = comment.get("edited_at")
    return f"held-{comment['id']}" + (f"-{edited}" if edited else "")


def text_digest(comment: Item) -> str:
    """A short digest of a comment's text: a link knows the text it was mailed with, a page the text it showed."""
    digest = hashlib.sha256(str(comment.get("body", "")).encode()).digest()[:8]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class LinkGrant:
    __slots__ = ("account", "action", "comment_id", "mailed_text", "username", "version")

    def __init__(self, comment_id: str, action: str, username: str, version: int, mailed_text: str,
                 account: Item | None) -> None:
        self.account = account  # the recipient's account as it is now (None: deleted)
        self.comment_id = comment_id
        self.action = action
        self.username = username
        self.version = version
        self.mailed_text = mailed_text


class ModerationMail:
    def __init__(self, table: Table, settings: Settings, notifications: Notifications,
                 moderation: Moderation) -> None:
        self.table = table
        self.settings = settings
        self.notifications = notifications
        self.moderation = moderation
        self.key = signing.derive_key(settings.mail_link_key, "moderation-links")
        # Past a moderator's daily limits, held comments go into their digest instead of being dropped.
        self.held = HeldDigests(table, settings, notifications, self.link)

    # -- the stream --------------------------------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Mail the admins about each comment a batch of stream records holds; raises SendFailed as notifications do."""
        if not (self.settings.notifications and self.settings.notify_from):
            return 0
        sent, retry = 0, None
        for record in records:
            comment = newly_held(record)
            if comment is None:
                continue
            try:
                sent += self.tell_moderators(comment)
            except SendFailed as failure:
                retry = retry or failure
        if retry is not None:
            raise retry
        return sent

    def tell_moderators(self, comment: Item) -> int:
        """E-mail each admin, and the post's author when they asked, about a comment just held; how many mails went."""
        post = self.table.get(keys.post(comment["post_slug"]))
        stored_admins = self._stored_admins()
        names = {admin.casefold(): admin for admin in self.settings.admins if admin.casefold() not in stored_admins}
        author = str((post or {}).get("author") or "")
        if author and author.casefold() not in stored_admins:
            names.setdefault(author.casefold(), author)
        named = self.table.batch_get([keys.user(name) for name in sorted(names.values(), key=str.casefold)])
        sent = 0
        for account in sorted([*named, *stored_admins.values()], key=lambda a: str(a["username"]).casefold()):
            username = str(account["username"])
            role = applied_role(username, str(account.get("role", "")), self.settings.admins)
            address = str(account.get("email") or "").strip().lower()
            if not address or not (role == ADMIN or (role == AUTHOR and account.get("mail_held_comments"))):
                continue
            marker = keys.notification_sent(held_episode(comment), hashlib.sha256(address.encode()).hexdigest())
            sent += self.notifications.deliver(marker, address, functools.partial(
                self.message, comment, post, account, address, role), f"held comment {comment['id']}",
                mail_sender(comment), when_limited=functools.partial(self.held.queue, account, comment,
                                                                     held_episode(comment)))
        return sent

    def _stored_admins(self) -> dict[str, Item]:
        """The accounts whose stored role is admin (deploy.admin), by casefolded name: their index, paged."""
        found: dict[str, Item] = {}
        start = None
        while True:
            page = self.table.query(keys.ADMINS_PARTITION, index="GSI2", limit=100, start_key=start)
            found.update((str(item["username"]).casefold(), item) for item in page.items)
            if not page.last_key:
                return found
            start = page.last_key

    def message(self, comment: Item, post: Item | None, account: Item, address: str, role: str) -> EmailMessage:
        from email import policy
        from email.message import EmailMessage

        title = " ".join(str((post or {}).get("title", comment["post_slug"])).split())
        name = " ".join(str(comment.get("author_name") or "Someone").split())
        body = str(comment.get("body", "")).strip()
        if len(body) > _EXCERPT_LENGTH:
            body = body[:_EXCERPT_LENGTH].rstrip() + "…"
        quoted = "\n".join("> " + line if line else ">" for line in body.splitlines())
        expires = clock.epoch() + LINK_SECONDS
        links = "\n".join(f"{action.capitalize()}: "
                          f"{self.link(comment, action, account, expires)}" for action in ACTIONS)
        website = f"Website: {comment['author_website']}\n" if comment.get("author_website") else ""
        why = f"Held because: {comment['held_because']}\n" if comment.get("held_because") else ""
        post_link = f"{self.settings.site_url}/posts/{quote(str(comment['post_slug']), safe='')}"
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = address
        message["Subject"] = f"Comment to moderate on “{title}” from {name}"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(
            f"{name} commented on “{title}” ({post_link}), and the comment waits for moderation.\n"
            f"{website}{why}\n{quoted}\n\n"
            f"Each link opens a page that asks you to confirm; it works once, for "
            f"{LINK_SECONDS // 86400} days, and needs no sign-in, so do not forward this e-mail.\n{links}\n\n"
            f"-- \n{_WHY_MAILED[role]}\n",
            cte="quoted-printable")
        return message

    def link(self, comment: Item, action: str, account: Item, expires: int) -> str:
        """The link doing ``action`` to ``comment`` as ``account``: signed over its immutable id too (not in the
        link), so it never works for the next owner of a deleted account's name."""
        username = str(account["username"])
        parts = (str(comment["id"]), action, str(expires), str(int(account.get("token_version", 0))),
                 text_digest(comment))
        signature = signing.sign(self.key, _PURPOSE, *parts, username, str(account.get("account_id") or ""),
                                 size=_SIGNATURE_BYTES)
        return mail.link(self.settings, "/moderation/by-mail", token=".".join((*parts, signature, username)))

    # -- the links ---------------------------------------------------------------------

    def check(self, token: str | None) -> LinkGrant:
        """What a genuine, unexpired link grants; refuses anything else."""
        if not token:
            raise BadRequest("the moderation link lacks its token", {"token": ["is required"]})
        shape = _TOKEN.match(token)
        invalid = Forbidden("this moderation link is not valid; use the one from the e-mail")
        if shape is None:
            raise invalid
        account = self.table.get(keys.user(shape[7]))
        if not signing.verify(self.key, shape[6], _PURPOSE, *shape.group(1, 2, 3, 4, 5), shape[7],
                              str((account or {}).get("account_id") or ""), size=_SIGNATURE_BYTES):
            raise invalid
        if int(shape[3]) < clock.epoch():
            raise Forbidden("this moderation link has expired; moderate from the console's queue")
        return LinkGrant(shape[1], shape[2], shape[7], int(shape[4]), shape[5], account)

    def describe(self, token: str | None) -> dict[str, Any]:
        """What the confirming page shows: the action and the comment, as the queue would, and whether its text
        changed since the mail (``seen``, the digest of the text shown, goes back with the confirming click)."""
        grant = self.check(token)
        comment = self.moderation.threads.locate(grant.comment_id)
        return {"action": grant.action, "author_name": comment.get("author_name", ""),
                "status": comment["status"], "post": comment["post_slug"],
                "body": "" if comment["status"] == Status.DELETED else str(comment.get("body", "")),
                "changed": text_digest(comment) != grant.mailed_text, "seen": text_digest(comment)}

    def use(self, token: str | None, seen: str | None = None) -> dict[str, Any]:
        """Carry out the link's action once, as the person it was sent to, while they still moderate by mail.

        Refused once the recipient signed out everywhere (their token version moved on), and, for a comment
        edited since the mail, unless the click comes from the page that showed its new text (``seen``).
        """
        grant = self.check(token)
        if seen is not None and not _SEEN.match(seen):
            raise BadRequest("seen must be the digest the confirming page gave", {"seen": ["is not a digest"]})
        account = grant.account
        role = applied_role(grant.username, str((account or {}).get("role", "")), self.settings.admins)
        if account is None or not (role == ADMIN or (role == AUTHOR and account.get("mail_held_comments"))):
            raise Forbidden(f"{grant.username} no longer moderates this blog's comments by e-mail; "
                            "this link no longer works")
        if int(account.get("token_version", 0)) != grant.version:
            raise Forbidden(f"{grant.username} signed out everywhere since this e-mail was sent; "
                            "this link no longer works: moderate from the console's queue")
        current = text_digest(self.moderation.threads.locate(grant.comment_id))
        if current != grant.mailed_text and seen != current:
            raise Conflict("the comment was edited after this e-mail was sent; open the link again "
                           "to see what it says now before you act on it")
        marker = keys.moderation_link_used(hashlib.sha256(str(token).encode()).hexdigest())
        now = clock.epoch()
        try:
            self.table.write(put({**marker, "at": clock.now_iso(), "ttl": now + LINK_SECONDS + 86400},
                                 "attribute_not_exists(PK)"))
        except ConditionFailed:
            raise Conflict("this link was used already") from None
        principal = Principal(grant.username, role, expires=now + 60, version=int(account.get("token_version", 0)),
                              account_id=account.get("account_id"), current=True)
        return self.moderation.act_on_own_post(principal, grant.comment_id, grant.action)
