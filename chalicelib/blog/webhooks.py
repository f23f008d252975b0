"""Webhooks: a blog's events POSTed to receivers the operator names, from the table's stream.

Events (decided from stream records, as notifications are, never inside a request):
  comment.held       a new comment waits in the moderation queue (a HELD# item inserted, pending)
  comment.published  a comment became visible (notifications.newly_visible)
  post.published     a post's stored status became published (written so, or by the scheduler)
Imported items (``imported_from``) are old news and raise none.

Receivers come from the WEBHOOKS setting, ``<shape>:<url>`` separated by spaces or
commas. Shapes: ``json`` (the generic envelope below), ``slack`` and ``discord``
(the ``{"text": …}`` and ``{"content": …}`` bodies their incoming webhooks take).

Every request is signed, whatever its shape, so any receiver can check it:
  X-Blog-Event: comment.held
  X-Blog-Delivery: <event id, the same on every attempt>
  X-Blog-Timestamp: <epoch seconds when sent>
  X-Blog-Signature: sha256=<hex HMAC-SHA256 with WEBHOOK_SECRET over "<timestamp>.<body bytes>">
A receiver recomputes the HMAC over the raw body, compares in constant time, and
refuses a timestamp more than a few minutes old (that stops replays).

Delivery is at most once per (event, receiver): a marker item (WEBHOOK#…) is
claimed with a conditional Put before sending, as notifications' sent-markers are,
so a batch the stream delivers again sends nothing twice. A 5xx, a 429 or a timeout
is retried in place with exponential backoff (RETRY_DELAYS); a 4xx is the receiver's
answer and final. A receiver still failing after its retries is logged, marked failed
for that event, and skipped for the rest of the batch, so one dead receiver costs a
batch at most one event's retries and never holds back mail or other receivers.
This never raises: a lost webhook is logged, not retried by redelivering the batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalicelib.blog import clock, views
from chalicelib.blog.status import Status
from chalicelib.blog.stream_records import image, newly_held, newly_visible
from chalicelib.settings import Webhook
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, Table, put

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3
RETRY_DELAYS = (0.5, 1.0, 2.0)  # before the 2nd, 3rd and 4th attempt
LEASE_SECONDS = 60  # longer than one event's attempts may take
MARKER_TTL_SECONDS = 7 * 24 * 3600
_EXCERPT = 500

# (url, body, headers, timeout) -> HTTP status; raises OSError (timeouts included) when no answer came.
Poster = Callable[[str, bytes, dict[str, str], float], int]


class Event:
    __slots__ = ("data", "id", "name")

    def __init__(self, name: str, event_id: str, data: dict[str, Any]) -> None:
        self.name = name
        self.id = event_id
        self.data = data


def post_http(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST once; a redirect is the receiver's answer, never followed.

    Following one would send the X-Blog-* headers on to wherever the receiver
    points (urllib turns a 302 into a GET to any http URL, internal ones included).
    """
    # Imported here: urllib.request pulls in http.client and email, which a cold start need not pay for.
    import urllib.error
    import urllib.request

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # urllib then raises the 3xx as an HTTPError: its status is the answer

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def destination_problem(hook: Webhook) -> str | None:
    """Why ``hook``'s host, as it resolves now, may not be sent to; or None.

    Settings refuse private and link-local addresses written in WEBHOOKS; a name
    is checked here, each time, as it resolves (to 169.254.169.254, say). Loopback
    is allowed only to a receiver named as loopback. (The request resolves the name
    again: a name that changes its answer between the two is not caught.)
    """
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(hook.url)
    host = parts.hostname or ""
    named_loopback = host == "localhost" or host.startswith("127.") or host == "::1"
    try:
        found = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return None  # unresolvable: the request fails as no answer, and is retried as one
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address.is_global or (address.is_loopback and named_loopback) or (
                hook.allow_private and not address.is_loopback):
            continue
        return f"{host} resolves to {address}, a private, loopback or link-local address"
    return None


def event_of(record: Mapping[str, Any]) -> Event | None:
    """The event a stream record is, or None."""
    comment = newly_visible(record)
    if comment is not None:
        return Event("comment.published", f"comment.published:{comment['id']}", _comment(comment))
    held = newly_held(record)
    if held is not None:
        # Once per stay in the queue: a comment edited back into it is news again (its edited_at tells the stays apart).
        stay = f":{held['edited_at']}" if held.get("edited_at") else ""
        return Event("comment.held", f"comment.held:{held['id']}{stay}", _comment(held))
    change = record.get("dynamodb") or {}
    if (change.get("Keys") or {}).get("SK", {}).get("S", "") == keys.POST_SK:
        new, old = image(change.get("NewImage")), image(change.get("OldImage"))
        if (new and new.get("status") == Status.PUBLISHED and not new.get("imported_from")
                and (old is None or old.get("status") != Status.PUBLISHED)):
            return Event("post.published", f"post.published:{new['slug']}:{new['published_at']}", {
                "slug": new["slug"], "title": new["title"], "author": new["author"],
                "published_at": new["published_at"], "summary": new.get("summary", "")})
    return None


def _comment(item: Mapping[str, Any]) -> dict[str, Any]:
    view = views.comment_view(dict(item))
    author = view["author"] or {}
    return {"id": view["id"], "post": view["post"], "parent_id": view["parent_id"], "status": view["status"],
            "author_name": author.get("name"), "author_website": author.get("website"), "html": view["html"],
            "created_at": view["created_at"]}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def payload(shape: str, event: Event, site_url: str) -> dict[str, Any]:
    """The body for a receiver of ``shape``: our envelope, or a chat message."""
    if shape == "json":
        return {"event": event.name, "id": event.id, "data": event.data}
    data = event.data
    if event.name == "post.published":
        line = f"New post: {data['title']} by {data['author']} {site_url}/posts/{data['slug']}"
    else:
        what = "held for moderation" if event.name == "comment.held" else "published"
        excerpt = _plain(str(data.get("html", "")))[:_EXCERPT]
        line = f"Comment {what} on {site_url}/posts/{data['post']} by {data.get('author_name')}: {excerpt}"
    # Chat services render their own markup: a commenter's text must not become a mention of everyone,
    # nor a Markdown link whose text hides where it goes ("[Admin notice](https://phish.example)"):
    # a zero-width space after "]" keeps Discord and Slack from reading one.
    line = line.replace("@", "@\u200b").replace("](", "]\u200b(")
    if shape == "slack":
        # Slack reads <…> as links and mentions (<!channel>): its documented escapes turn them into text.
        return {"text": line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    return {"content": line[:2000], "allowed_mentions": {"parse": []}}


def _plain(html: str) -> str:
    from chalicelib.blog.rendering import plain_text

    return plain_text(html, _EXCERPT)


class Webhooks:
    def __init__(self, table: Table, hooks: tuple[Webhook, ...], secret: str, site_url: str,
                 post: Poster = post_http, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.hooks = hooks
        self.secret = secret
        self.site_url = site_url
        self.post = post
        self.sleep = sleep

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Deliver the events in a batch of stream records; returns how many requests succeeded. Never raises."""
        if not self.hooks:
            return 0
        delivered, down = 0, set()
        for record in records:
            event = event_of(record)
            if event is None:
                continue
            for hook in self.hooks:
                if hook.url in down:
                    logger.warning("webhook skipped: %s failed earlier in this batch; %s not sent to it",
                                   hook.url, event.id)
                    continue
                outcome = self._deliver(hook, event)
                delivered += outcome == "sent"
                if outcome == "failed":
                    down.add(hook.url)
        return delivered

    def _deliver(self, hook: Webhook, event: Event) -> str:
        marker = keys.webhook_sent(event.id, hashlib.sha256(hook.url.encode()).hexdigest()[:32])
        now = clock.epoch()
        try:
            self.table.write(put({**marker, "state": "sending", "lease": now + LEASE_SECONDS,
                                  "ttl": now + MARKER_TTL_SECONDS},
                                 "attribute_not_exists(PK) OR (#s = :sending AND lease < :now)", {"#s": "state"},
                                 sending="sending", now=now))
        except ConditionFailed:
            return "already"
        outcome = self._attempts(hook, event)
        self.table.write(put({**marker, "state": outcome, "ttl": now + MARKER_TTL_SECONDS}))
        return outcome

    def _attempts(self, hook: Webhook, event: Event) -> str:
        body = json.dumps(payload(hook.shape, event, self.site_url), separators=(",", ":")).encode()
        status: int | str = "no answer"
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                self.sleep(delay)
            problem = destination_problem(hook)
            if problem:
                logger.error("webhook not sent: %s; %s not sent to %s", problem, event.id, hook.url)
                return "refused"
            timestamp = clock.epoch()
            headers = {"Content-Type": "application/json", "User-Agent": "serverless-blog-webhooks",
                       "X-Blog-Event": event.name, "X-Blog-Delivery": event.id,
                       "X-Blog-Timestamp": str(timestamp), "X-Blog-Signature": sign(self.secret, timestamp, body)}
            try:
                status = self.post(hook.url, body, headers, TIMEOUT_SECONDS)
            except OSError as error:  # refused, reset, timed out
                status = f"no answer ({error.__class__.__name__})"
                continue
            if 200 <= status < 300:
                return "sent"
            if status < 500 and status != 429:
                logger.warning("webhook refused: %s answered %s to %s (attempt %d); not retried",
                               hook.url, status, event.id, attempt + 1)
                return "refused"
        logger.error("webhook failed: %s gave %s to %s after %d attempts", hook.url, status, event.id,
                     len(RETRY_DELAYS) + 1)
        return "failed"
