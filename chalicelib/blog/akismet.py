"""Akismet: new comments checked from the table's stream, and moderators' verdicts sent back to it.

Off unless AKISMET_KEY is set. Akismet's REST protocol (https://akismet.com/developers/) is
spoken with the standard library: the maintained client on PyPI (``akismet``) needs httpx and its
dependencies, megabytes in the Lambda zip and tens of milliseconds of import, for four form POSTs.

What happens, all from the stream, never inside a request:

- A new comment (public or held) that the anti-spam rules apply to is written, when Akismet is on,
  in one transaction with an ``AKISMET#<id>`` context item: the request's address, browser and
  referrer, which Akismet needs and the comment itself does not keep (TTL: CONTEXT_TTL_SECONDS).
- The context item's INSERT is the cue: ``comment-check`` with the comment's own fields. "true"
  moves the comment to spam through the moderation service's own transition (counts stay exact),
  audited as FILTER with the reason; "true" with ``X-akismet-pro-tip: discard`` (blatant spam,
  which Akismet documents as safe to drop unseen) deletes it the same way.
- An audit entry of a moderator's ``spam`` sends ``submit-spam``; ``unspam``, or ``approve`` of a
  comment in the spam list, sends ``submit-ham`` (Akismet takes ham for its false positives).

Idempotent: a check claims its context item (state ``unchecked`` -> ``checking``, with a lease)
and a verdict sent back claims an ``AKISMETSENT#`` marker first, so a batch delivered again checks
and sends nothing twice. Akismet down (no answer, timeout, 5xx, 429, or an answer that is not one)
is retried in place (RETRY_DELAYS); then the comment keeps its status (for a moderator), its
context item is left ``unreachable``, and Akismet is skipped for the rest of the batch. An invalid
key (``verify-key``, once per container) leaves every comment to the moderators and logs
Akismet's ``X-akismet-debug-help``. Nothing here raises.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalicelib.blog import clock
from chalicelib.blog.moderation import Moderation
from chalicelib.blog.status import Status
from chalicelib.blog.stream_records import image
from chalicelib.blog.threads import Threads
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, Item, Table, Write, put, update

logger = logging.getLogger(__name__)

FILTER = "akismet (filter)"  # who, in the audit trail: a space, so no account can have the name
TIMEOUT_SECONDS = 3
RETRY_DELAYS = (0.5, 1.5)  # before the 2nd and 3rd attempt
LEASE_SECONDS = 30  # longer than one comment's attempts may take
# How long a comment's address and browser are kept for Akismet: its check, then a moderator's
# verdict sent back (Akismet wants the same fields with submit-spam and submit-ham).
CONTEXT_TTL_SECONDS = 14 * 24 * 3600
MARKER_TTL_SECONDS = 7 * 24 * 3600
MAX_HEADER_CHARS = 512  # a browser's User-Agent or Referer, as stored; longer ones are cut
USER_AGENT = "serverless-blog/1.0 | akismet-rest/1.1"

UNCHECKED, CHECKING = "unchecked", "checking"


class Answer:
    """What Akismet said: the HTTP status, the headers (names lower-cased) and the body's text."""

    __slots__ = ("headers", "status", "text")

    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def debug_help(self) -> str:
        return self.headers.get("x-akismet-debug-help", "")


# (url, form fields, timeout) -> Akismet's answer; raises OSError (timeouts included) when none came.
Transport = Callable[[str, dict[str, str], float], Answer]


class Unanswered(Exception):
    """Akismet gave no usable answer after the retries."""


def post_form(url: str, fields: dict[str, str], timeout: float) -> Answer:
    # Imported here: urllib.request pulls in http.client and email, which a cold start need not pay for.
    import urllib.error
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(int(response.status), {k.lower(): v for k, v in response.headers.items()},
                          response.read(4096).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Answer(int(error.code), {k.lower(): v for k, v in error.headers.items()}, "")


def request_context(item: Item, address: str, user_agent: str, referrer: str, now_epoch: int) -> Write:
    """The context item written with a new comment (comments.create): what Akismet needs of the request."""
    return put({**keys.akismet_context(item["id"]), "comment_id": item["id"], "post_slug": item["post_slug"],
                "user_ip": address, "user_agent": user_agent[:MAX_HEADER_CHARS],
                "referrer": referrer[:MAX_HEADER_CHARS], "state": UNCHECKED,
                "ttl": now_epoch + CONTEXT_TTL_SECONDS})


def comment_fields(blog: str, comment: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
    """The form Akismet is sent about a comment, by allow-list: what its documentation asks for, nothing else.

    Never the edit token, the keyed hashes, the account's e-mail or anything about other comments.
    """
    fields = {
        "blog": blog,
        "user_ip": str(context.get("user_ip") or ""),
        "user_agent": str(context.get("user_agent") or ""),
        "referrer": str(context.get("referrer") or ""),
        "permalink": f"{blog}/posts/{comment['post_slug']}",
        "comment_type": "reply" if comment.get("parent_id") else "comment",
        "comment_author": str(comment.get("author_name") or ""),
        "comment_author_email": str(comment.get("author_email") or ""),
        "comment_author_url": str(comment.get("author_website") or ""),
        "comment_content": str(comment.get("body") or ""),
        "comment_date_gmt": str(comment.get("created_at") or ""),
        "blog_charset": "UTF-8",
    }
    return {name: value for name, value in fields.items() if value}


class Akismet:
    def __init__(self, table: Table, settings: Settings, moderation: Moderation, threads: Threads,
                 transport: Transport = post_form, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.key = settings.akismet_key
        self.endpoint = settings.akismet_url
        self.blog = settings.site_url
        self.moderation = moderation
        self.threads = threads
        self.transport = transport
        self.sleep = sleep
        self._key_valid: bool | None = None  # asked once per container (verify-key)

    def handle(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Check new comments and send moderators' verdicts in a batch of stream records. Never raises."""
        if not self.key:
            return
        down = False
        for record in records:
            change = record.get("dynamodb") or {}
            sort_key = (change.get("Keys") or {}).get("SK", {}).get("S", "")
            partition = (change.get("Keys") or {}).get("PK", {}).get("S", "")
            if record.get("eventName") != "INSERT":
                continue
            is_context = sort_key == keys.AKISMET_CONTEXT_SK
            if not is_context and partition != keys.AUDIT_PARTITION:
                continue
            new = image(change.get("NewImage")) or {}
            try:
                if down:
                    logger.warning("akismet skipped: it failed earlier in this batch (%s %s)", partition, sort_key)
                    if is_context:
                        self._settle(new, "unreachable")
                elif is_context:
                    self._check(new)
                else:
                    self._feedback(sort_key, new)
            except Unanswered as error:
                logger.error("akismet unreachable: %s; comments keep their status (moderators decide)", error)
                down = True
                if is_context:
                    self._settle(new, "unreachable")
            except Exception:  # one bad record must not cost the others (nor the batch's mail)
                logger.exception("akismet: record %s %s not handled", partition, sort_key)

    # --- comment-check -----------------------------------------------------------

    def _check(self, context: Item) -> None:
        if not self._claim(context):
            return  # checked already (a batch delivered again)
        try:
            comment = self.threads.locate(str(context["comment_id"]), str(context["post_slug"]))
        except NotFound:
            self._settle(context, "gone")
            return
        if comment["status"] not in (Status.APPROVED, Status.PENDING):
            self._settle(context, "skipped")  # a moderator was quicker
            return
        if not self._verified():
            self._settle(context, "key-invalid")
            return
        answer = self._call("comment-check", comment_fields(self.blog, comment, context), ("true", "false"))
        if answer.text == "false":
            self._settle(context, "ham")
            return
        discard = answer.headers.get("x-akismet-pro-tip", "").strip().lower() == "discard"
        action, verdict = ("delete", "discarded") if discard else ("spam", "spam")
        reason = ("Akismet: blatant spam (its discard hint)" if discard else "Akismet: spam")
        try:
            self.moderation.by_filter(FILTER, action, comment, reason)
        except Conflict as refused:  # a reply came, or a moderator acted meanwhile: theirs to decide
            logger.warning("akismet called comment %s spam, left as it is: %s", comment["id"], refused)
            verdict = "spam-unmoved"
        self._settle(context, verdict)

    def _claim(self, context: Item) -> bool:
        now = clock.epoch()
        try:
            self.table.write(update(keys.akismet_context(str(context["comment_id"])),
                                    "SET #s = :checking, lease = :lease",
                                    "#s = :unchecked OR (#s = :checking AND lease < :now)", {"#s": "state"},
                                    checking=CHECKING, unchecked=UNCHECKED, lease=now + LEASE_SECONDS, now=now))
        except ConditionFailed:
            return False
        return True

    def _settle(self, context: Item, state: str) -> None:
        """The context item's last state (ham, spam, discarded, unreachable…): the record of what happened."""
        with contextlib.suppress(ConditionFailed):  # expired meanwhile: nothing left to record on
            self.table.write(update(keys.akismet_context(str(context["comment_id"])), "SET #s = :state REMOVE lease",
                                    "attribute_exists(PK)", {"#s": "state"}, state=state))

    def _verified(self) -> bool:
        if self._key_valid is None:
            answer = self._call("verify-key", {"blog": self.blog}, ("valid", "invalid"))
            self._key_valid = answer.text == "valid"
            if not self._key_valid:
                logger.error("akismet: AKISMET_KEY is not valid for %s (%s); comments are left to the moderators",
                             self.blog, answer.debug_help or "no help given")
        return self._key_valid

    # --- submit-spam / submit-ham ------------------------------------------------

    def _feedback(self, audit_sort_key: str, entry: Item) -> None:
        action, was = entry.get("action"), entry.get("from_status")
        if entry.get("who") == FILTER:
            return  # our own verdict: Akismet knows
        if action == "spam":
            call = "submit-spam"
        elif action == "unspam" or (action == "approve" and was == Status.SPAM):
            call = "submit-ham"
        else:
            return
        comment_id, slug = str(entry.get("comment_id")), str(entry.get("post"))
        context = self.table.get(keys.akismet_context(comment_id))
        if context is None:  # written before Akismet was on, or past its TTL: Akismet needs the address
            logger.info("akismet: no request context for comment %s; %s not sent", comment_id, call)
            return
        try:
            comment = self.threads.locate(comment_id, slug)
        except NotFound:
            return
        if not self._verified():
            return
        marker = keys.akismet_feedback_sent(audit_sort_key)
        now = clock.epoch()
        try:
            self.table.write(put({**marker, "call": call, "ttl": now + MARKER_TTL_SECONDS},
                                 "attribute_not_exists(PK)"))
        except ConditionFailed:
            return  # sent already (a batch delivered again)
        self._call(call, comment_fields(self.blog, comment, context), None)

    # --- the protocol ------------------------------------------------------------

    def _call(self, name: str, fields: dict[str, str], expected: tuple[str, ...] | None) -> Answer:
        """POST one of Akismet's calls; the answer once it is one of ``expected`` (any 2xx when None)."""
        url = f"{self.endpoint}/{name}"
        form = {"api_key": self.key, **fields}
        problem = "no attempt"
        for delay in (0.0, *RETRY_DELAYS):
            if delay:
                self.sleep(delay)
            try:
                answer = self.transport(url, form, TIMEOUT_SECONDS)
            except OSError as error:  # refused, reset, timed out
                problem = f"no answer ({error.__class__.__name__})"
                continue
            answer.text = answer.text.strip()
            if 200 <= answer.status < 300 and (expected is None or answer.text in expected):
                return answer
            problem = f"{answer.status} {answer.text[:80]!r} {answer.debug_help}".strip()
            if answer.status < 500 and answer.status != 429:
                break  # an answer, though not one we can use ("invalid", a 4xx): asking again will not help
        raise Unanswered(f"{name}: {problem}")
