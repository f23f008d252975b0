"""Thread subscriptions: "e-mail me new comments on this post", double opt-in, sent as digests.

A reader asks at POST /posts/{slug}/subscriptions with an address. The route writes a
pending subscription (SUBS#<slug> / SUB#<keyed hash>, with a TTL) and its entry under the
address (SUBBY#, for the address's own data), and answers the same 202 whoever asks. The
table's stream mails the confirmation link (signed over the post, the address's hash and the
request's time, so a link from before an unsubscribe cannot bring it back); only its POST makes
the subscription confirmed, and only a confirmed one gets digests.

Digests (blog/digests.py) are queued from the stream and sent by the one-minute schedule.
Every mail carries a one-click unsubscribe (RFC 8058) that ends this subscription, and a link
that stops all mail from the blog (notifications.unsubscribe_url).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from chalicelib import mail, signing
from chalicelib.blog import clock, records, views
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.stream_records import image
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Email, Field, read_fields
from chalicelib.errors import BadRequest, Forbidden, NotFound
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import END
from chalicelib.store.table import Item, Table, TransactionCancelled, delete, put, update
from chalicelib.values import Value

if TYPE_CHECKING:
    from email.message import EmailMessage

logger = logging.getLogger(__name__)

PENDING, CONFIRMED = records.SUBSCRIPTION_PENDING, records.SUBSCRIPTION_CONFIRMED
CONFIRM_SECONDS = 7 * 24 * 3600  # a confirmation link's lifetime, and a pending subscription's
RESEND_SECONDS = 3600  # a new confirmation mail for the same post and address at most this often
FIELDS = {"email": Field(Email(allow_blank=False), required=True)}
ACCEPTED = {"detail": "If this address may subscribe, a link to confirm it is on its way. "
                      "Nothing is sent about new comments until it is confirmed."}
# "<keyed hash, 32 hex>.<requested at, epoch seconds>.<HMAC, 16 bytes, base64url>"
_CONFIRM_TOKEN = lazy(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
# "<keyed hash, 32 hex>.<HMAC, 16 bytes, base64url>"
_STOP_TOKEN = lazy(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$")
_SIGNATURE_BYTES = 16
_PAGE = 100


def _duration(seconds: int) -> str:
    minutes = max(1, seconds // 60)
    return "minute" if minutes == 1 else f"{minutes} minutes"


class Link(Value):
    """A checked subscription link: which post, which address (by its keyed hash)."""

    __slots__ = ("email_hash", "slug")

    def __init__(self, slug: str, email_hash: str) -> None:
        self.slug: Final = slug
        self.email_hash: Final = email_hash


def each_page(table: Table, partition: str, sort_from: str | None = None,
              sort_to: str | None = None) -> Iterator[Item]:
    """Every item of a partition's key range, one Query page after another (stream and scheduler only)."""
    start: dict[str, str] | None = None
    while True:
        page = table.query(partition, sort_from=sort_from, sort_to=sort_to, limit=_PAGE, start_key=start)
        yield from page.items
        if page.last_key is None:
            return
        start = page.last_key


class Subscriptions:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, notifications: Notifications) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.notifications = notifications
        self.key = signing.derive_key(settings.mail_link_key, "subscription-links")

    # -- asking ----------------------------------------------------------------------

    def subscribe(self, principal: Principal | None, slug: str, payload: Any) -> dict[str, Any]:
        """Record a pending subscription (its confirmation is mailed from the stream); the same answer always."""
        address = read_fields(payload, FIELDS)["email"]
        post = self.table.get(keys.post(slug))
        if post is None or not views.is_public(post, clock.now_iso()):
            raise NotFound("there is no post at that address")
        digest, now = self.antispam.email_hash(address), clock.epoch()
        pending = records.subscription({"email": address, "post_slug": slug, "email_hash": digest, "state": PENDING,
                                        "requested_at": now, "ttl": now + CONFIRM_SECONDS,
                                        **({"username": principal.username} if principal else {})})
        # A confirmed subscription is never turned back into a pending one; a pending one is asked again
        # (a new mail) at most once per RESEND_SECONDS. Either way the caller learns nothing.
        with contextlib.suppress(TransactionCancelled):
            self.table.transact([
                put(pending, "attribute_not_exists(PK) OR (#state = :pending AND requested_at < :recent)",
                    {"#state": "state"}, pending=PENDING, recent=now - RESEND_SECONDS),
                put(records.subscriber_entry(pending, clock.now_iso()),
                    "attribute_not_exists(PK) OR attribute_exists(#ttl)", {"#ttl": "ttl"}),
            ])
        return ACCEPTED

    # -- the stream: confirmation requests --------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Mail a confirmation link for each new request in the batch; raises SendFailed (transient) at the end."""
        sent, retry = 0, None
        for request in self._new_requests(records):
            if not self.settings.notify_from:
                logger.warning("NOTIFY_FROM is not set: subscription confirmations are not sent")
                return sent
            address, slug, asked = str(request["email"]), str(request["post_slug"]), int(request["requested_at"])
            marker = keys.notification_sent(f"subscribe:{slug}:{asked}", str(request["email_hash"]))
            try:
                sent += self.notifications.deliver(marker, address, functools.partial(self._confirmation, request),
                                                   f"a subscription to {slug}", f"subscribe:{slug}")
            except mail.SendFailed as failure:
                retry = retry or failure
        if retry is not None:
            raise retry
        return sent

    @staticmethod
    def _new_requests(records: Iterable[Mapping[str, Any]]) -> Iterator[Item]:
        for record in records:
            change = record.get("dynamodb") or {}
            key = change.get("Keys") or {}
            if not (str(key.get("PK", {}).get("S", "")).startswith(keys.subscriptions_partition(""))
                    and str(key.get("SK", {}).get("S", "")).startswith(keys.SUBSCRIPTION_PREFIX)):
                continue
            new, old = image(change.get("NewImage")), image(change.get("OldImage"))
            if (new is not None and new.get("state") == PENDING
                    and (old is None or old.get("requested_at") != new.get("requested_at"))):
                yield new

    def _confirmation(self, request: Item) -> EmailMessage:
        slug, digest = str(request["post_slug"]), str(request["email_hash"])
        post = self.table.get(keys.post(slug)) or {}
        title = " ".join(str(post.get("title", slug)).split())
        link = mail.link(self.settings, "/subscriptions/confirm", post=slug,
                         token=self.confirm_token(slug, digest, int(request["requested_at"])))
        return self.compose(
            str(request["email"]), f"Confirm: new comments on “{title}” by e-mail",
            f"Someone, we hope you, asked for e-mail about new comments on “{title}”.\n\n"
            f"To get them (at most one e-mail every {_duration(self.settings.subscription_digest_seconds)}), "
            f"confirm within {CONFIRM_SECONDS // 86400} days: {link}\n\n"
            "If it was not you, do nothing: nothing more is sent about it.", slug, digest)

    def compose(self, address: str, subject: str, text: str, slug: str, digest: str) -> EmailMessage:
        """A mail about one subscription: its one-click unsubscribe ends it; the footer can also stop all mail."""
        from email import policy
        from email.message import EmailMessage

        stop = self.stop_url(slug, digest)
        everything = self.notifications.unsubscribe_url(address)
        # No folding below 998 characters: a folded List-Unsubscribe URL is no longer read as a URL.
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = address
        message["Subject"] = subject
        message["Auto-Submitted"] = "auto-generated"
        message["List-Unsubscribe"] = f"<{stop}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        message.set_content(f"{text}\n\n-- \nTo get no more e-mail about this post: {stop}\n"
                            f"To get no e-mail at all from this blog at this address: {everything}\n",
                            cte="quoted-printable")
        return message

    # -- links -------------------------------------------------------------------------

    def confirm_token(self, slug: str, digest: str, requested_at: int) -> str:
        signature = signing.sign(self.key, "subscribe", slug, digest, str(requested_at), size=_SIGNATURE_BYTES)
        return f"{digest}.{requested_at}.{signature}"

    def stop_token(self, slug: str, digest: str) -> str:
        return f"{digest}.{signing.sign(self.key, 'unsubscribe', slug, digest, size=_SIGNATURE_BYTES)}"

    def stop_url(self, slug: str, digest: str) -> str:
        return mail.link(self.settings, "/subscriptions/unsubscribe", post=slug, token=self.stop_token(slug, digest))

    def check_confirm(self, params: Mapping[str, str] | None) -> tuple[Link, int]:
        slug, token = self._parts(params, "confirmation")
        shape = _CONFIRM_TOKEN.match(token)
        if shape is None or not signing.verify(self.key, shape[3], "subscribe", slug, shape[1], shape[2],
                                               size=_SIGNATURE_BYTES):
            raise Forbidden("this confirmation link is not valid; use the one from the e-mail")
        if int(shape[2]) + CONFIRM_SECONDS < clock.epoch():
            raise Forbidden("this confirmation link has expired; subscribe again to get a new one")
        return Link(slug, shape[1]), int(shape[2])

    def check_stop(self, params: Mapping[str, str] | None) -> Link:
        slug, token = self._parts(params, "unsubscribe")
        shape = _STOP_TOKEN.match(token)
        if shape is None or not signing.verify(self.key, shape[2], "unsubscribe", slug, shape[1],
                                               size=_SIGNATURE_BYTES):
            raise Forbidden("this unsubscribe link is not valid; use the one from the e-mail")
        return Link(slug, shape[1])

    @staticmethod
    def _parts(params: Mapping[str, str] | None, what: str) -> tuple[str, str]:
        query = dict(params or {})
        slug, token = str(query.get("post") or ""), str(query.get("token") or "")
        if not slug or not token:
            raise BadRequest(f"the {what} link lacks its post or token",
                             {name: ["is required"] for name in ("post", "token") if not query.get(name)})
        return slug, token

    def confirm(self, params: Mapping[str, str] | None) -> None:
        """Confirm the subscription the link was mailed for (again: no change); refused once it was ended."""
        link, requested_at = self.check_confirm(params)
        gone = Forbidden("this confirmation link is no longer valid; subscribe again to get a new one")
        try:
            self.table.transact([
                update(keys.subscription(link.slug, link.email_hash),
                       "SET #state = :confirmed, confirmed_at = if_not_exists(confirmed_at, :now) REMOVE #ttl",
                       "requested_at = :asked", {"#state": "state", "#ttl": "ttl"}, refusal=gone,
                       confirmed=CONFIRMED, now=clock.now_iso(), asked=requested_at),
                update(keys.subscriber_entry(link.email_hash, link.slug), "SET post_slug = :slug REMOVE #ttl",
                       None, {"#ttl": "ttl"}, slug=link.slug),
            ])
        except TransactionCancelled:
            raise gone from None

    def stop(self, params: Mapping[str, str] | None) -> None:
        """End the subscription the link names (one-click; idempotent). Queued comments are then never sent."""
        link = self.check_stop(params)
        self.table.transact([delete(keys.subscription(link.slug, link.email_hash)),
                             delete(keys.subscriber_entry(link.email_hash, link.slug))])

    # -- personal data ------------------------------------------------------------------

    def of_address(self, digests: Iterable[str], limit: int | None = None) -> list[dict[str, Any]]:
        """An address's subscriptions (under each of its keyed hashes, at most ``limit``), for its own export."""
        found: list[dict[str, Any]] = []
        for digest in digests:
            entries = list(each_page(self.table, keys.subscriber_partition(digest)))
            for chunk in range(0, len(entries), _PAGE):
                found += self._exported(digest, entries[chunk:chunk + _PAGE])
                if limit is not None and len(found) >= limit:
                    return found[:limit]
        return found

    def page_of_address(self, digest: str, limit: int,
                        start: dict[str, str] | None) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """One page of an account's subscriptions (its export's last section)."""
        page = self.table.query(keys.subscriber_partition(digest), limit=limit, start_key=start)
        return self._exported(digest, page.items), page.last_key

    def _exported(self, digest: str, entries: list[Item]) -> list[dict[str, Any]]:
        """The subscriptions the entries name, by allow-list, in the entries' order (the address is the asker's)."""
        subs = {str(s["post_slug"]): s for s in self.table.batch_get(
            [keys.subscription(str(e["post_slug"]), digest) for e in entries])}
        return [{"post": s["post_slug"], "state": s["state"],
                 "requested_at": clock.from_epoch(int(s["requested_at"])), "confirmed_at": s.get("confirmed_at")}
                for s in (subs.get(str(e["post_slug"])) for e in entries) if s is not None]

    def forget(self, digests: Iterable[str]) -> int:
        """Delete every subscription of an address (its deletion); how many there were."""
        doomed = []
        for digest in digests:
            for entry in each_page(self.table, keys.subscriber_partition(digest)):
                doomed += [keys.subscription(str(entry["post_slug"]), digest),
                           keys.subscriber_entry(digest, str(entry["post_slug"]))]
        self.table.batch_delete(doomed)
        return len(doomed) // 2

    def confirmed_of(self, slug: str) -> Iterator[Item]:
        """A post's confirmed subscribers (the stream's reading, never a request's)."""
        for item in each_page(self.table, keys.subscriptions_partition(slug), keys.SUBSCRIPTION_PREFIX,
                              keys.SUBSCRIPTION_PREFIX + END):
            if item.get("state") == CONFIRMED:
                yield item
