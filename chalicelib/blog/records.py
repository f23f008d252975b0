"""One constructor per stored record: every writer (API services, importer, restore, make admin) builds items here.

(Longer than 400 lines on purpose: every record's constructor in one place is the point, as keys.py holds
every key; each constructor is small.)

Each constructor takes the record's fields, refuses an attribute it does not
know (an allow-list: a restored file cannot smuggle one in), checks what it is
given (dates, statuses, lengths) and adds what is derived: the item's keys and
index attributes (from store/keys.py), a post's HTML and summary, a comment's
place in the public range or the moderation queue. A refusal is a RecordError:
an Invalid (422 on the API) naming the field, which the importer and the
restore report with the record it came from.

A post's implied items (summary item, label memberships, counts) are written
by post_upkeep.py from the post item built here; an account's e-mail claim by
email_claim().
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from chalicelib.blog import clock
from chalicelib.blog.status import HELD_STATUSES, POST_STATUSES, Status
from chalicelib.errors import Invalid
from chalicelib.store import keys

if TYPE_CHECKING:
    from typing import NotRequired, TypedDict

    # The functional form (noqa UP013): its field names are strings, which mypy checks at every call and
    # vulture (which cannot see a TypedDict's fields read) leaves alone.
    # What a post is made of; post() adds its keys, HTML and summary.
    PostFields = TypedDict("PostFields", {  # noqa: UP013
        "slug": str, "title": str, "body": str, "author": str, "status": str, "published_at": str | None,
        "created_at": str, "updated_at": str, "labels": NotRequired[list[str]],
        "custom_summary": NotRequired[str | None], "comments_closed": NotRequired[bool], "version": NotRequired[int],
        "first_published": NotRequired[bool], "format": NotRequired[str],
        "imported_from": NotRequired[str], "source_ref": NotRequired[str],
        "source_published_at": NotRequired[str | None], "source_url": NotRequired[str | None],
        "source_digest": NotRequired[str], "current_slug": NotRequired[str], "aliases": NotRequired[list[str]],
    })
    # What a comment is made of; comment() files it (keys, indexes) as its status says.
    CommentFields = TypedDict("CommentFields", {  # noqa: UP013
        "id": str, "post_slug": str, "parent_id": str | None, "depth": int, "body": str, "html": str,
        "author_name": str, "author_user": str | None, "author_email": str | None, "author_website": str | None,
        "notify_replies": bool, "status": str, "created_at": str, "likes": int, "dislikes": int, "reply_count": int,
        "held_because": NotRequired[str | None], "sender": NotRequired[str], "shadow": NotRequired[str | None],
        "post_author": NotRequired[str],
        "imported_from": NotRequired[str], "source_ref": NotRequired[str],
        "imported_likes": NotRequired[int], "imported_dislikes": NotRequired[int],
    })
    # What an account is made of; account() adds its keys, its indexes and, when new, its id.
    AccountFields = TypedDict("AccountFields", {  # noqa: UP013
        "username": str, "email": str, "role": str, "password_hash": str, "created_at": str,
        "account_id": NotRequired[str], "imported_from": NotRequired[str], "source_author": NotRequired[str],
    })

MAX_TITLE: Final = 200
MAX_LABELS: Final = 10
MAX_LABEL_LENGTH: Final = 40  # as validation.MAX_LABEL_LENGTH (the API's rule)
MAX_NAME: Final = 80
SUMMARY_LENGTH: Final = 280
FIRST_YEAR: Final = 1970
LAST_YEAR: Final = 9999
# An account without a usable password: no password verifies against it (passwords.verify_password).
NO_PASSWORD: Final = "none$exported-without-secrets"
READER, AUTHOR, ADMIN = "reader", "author", "admin"  # as tokens.py spells them

# Where an imported or restored record came from: kept on it, never derived.
_PROVENANCE = ("imported_from", "source_ref", "source_published_at", "source_url", "source_digest",
               "imported_version", "source_author")
POST_FIELDS: Final = frozenset({
    "slug", "title", "body", "format", "labels", "custom_summary", "comments_closed", "author", "status",
    "published_at", "created_at", "updated_at", "version", "first_published", "comment_count",
    "favorites_count", "html", "summary", "current_slug", "aliases", *_PROVENANCE})
COMMENT_FIELDS: Final = frozenset({
    "id", "post_slug", "parent_id", "depth", "body", "html", "author_name", "author_user", "author_email",
    "author_website", "notify_replies", "status", "created_at", "edited_at", "likes", "dislikes",
    "reply_count", "held_because", "spam_by", "sender", "shadow", "imported_likes", "imported_dislikes", "reactions",
    "post_author", "pinned", *_PROVENANCE})
ACCOUNT_FIELDS: Final = frozenset({
    "account_id", "username", "email", "role", "password_hash", "created_at", "bio", "image", "mail_held_comments",
    "token_version", "kept_session", "kept_at", "ended_sessions", "deleting", "former_names", *_PROVENANCE})
_TOMBSTONE_GONE = ("body", "html", "author_name", "author_user", "author_email", "author_website", "sender")


class RecordError(Invalid):
    """A record that breaks a rule of its kind; ``errors`` names the field."""


def _refuse(name: str, message: str) -> RecordError:
    return RecordError(f"{name}: {message}", {name: [message]})


def _allowed(fields: Mapping[str, Any], allowed: frozenset[str], kind: str) -> dict[str, Any]:
    unknown = sorted(k for k in fields if k not in allowed and k not in ("PK", "SK", *keys.INDEX_KEY_ATTRIBUTES))
    if unknown:
        raise _refuse(unknown[0], f"is not an attribute of a stored {kind} (unknown: {', '.join(unknown)[:200]})")
    # Keys and index attributes are derived here, never taken from the caller.
    return {k: v for k, v in fields.items() if k not in ("PK", "SK", *keys.INDEX_KEY_ATTRIBUTES)}


def _text(fields: Mapping[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or (required and not value.strip()):
        raise _refuse(name, "must be a non-empty string" if required else "must be a string")
    if len(value) > limit:
        raise _refuse(name, f"must be at most {limit} characters")
    return value


def whole(fields: Mapping[str, Any], name: str, minimum: int = 0) -> int:
    """A count or version as stored: a whole number (an int, or a whole Decimal as DynamoDB reads one)."""
    value = fields.get(name, 0)
    is_whole = isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value())
    if isinstance(value, bool) or not is_whole:
        raise _refuse(name, "must be a whole number")
    if int(value) < minimum:
        raise _refuse(name, f"must be at least {minimum}")
    return int(value)


def stored_date(value: Any, name: str) -> str:
    """A date as stored and sorted: canonical UTC ISO 8601 with milliseconds, years 1970 to 9999 only.

    A year before 1970 or after 9999 would not sort (or print) as the table's
    four-digit timestamps do, and one before 1000 broke /archive; both are refused.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:
            raise _refuse(name, f"is not an ISO 8601 date-time: {value[:40]!r}") from None
    else:
        raise _refuse(name, "must be an ISO 8601 date-time string")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise _refuse(name, f"must be a year between {FIRST_YEAR} and {LAST_YEAR}") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise _refuse(name, f"must be a year between {FIRST_YEAR} and {LAST_YEAR} (not {moment.year})")
    return clock.to_iso(moment)


def clean_labels(raw: Iterable[str]) -> list[str]:
    """Labels as stored: whitespace collapsed, at most 40 characters, first spelling of each kept, at most 10."""
    labels: list[str] = []
    seen: set[str] = set()
    for label in raw:
        if not isinstance(label, str):
            raise _refuse("labels", "must be a list of strings")
        cleaned = " ".join(label.split())[:MAX_LABEL_LENGTH].strip()
        if cleaned and keys.label_key(cleaned) not in seen:
            seen.add(keys.label_key(cleaned))
            labels.append(cleaned)
    return labels[:MAX_LABELS]


def render_post(post: dict[str, Any], bounded: bool = False) -> None:
    """Fill in the HTML and summary a post's body (Markdown, or HTML when imported so) and custom summary call for.

    An edit keeps the post's ``format``: an imported HTML post stays HTML. ``bounded`` (a body sent to the
    API): raw HTML that nests too deep or holds too many elements is refused (422) first, since the
    sanitiser's time grows faster than its length (rendering.check_html_shape); an import is taken whole.
    """
    from chalicelib.blog import rendering

    if bounded:
        rendering.check_html_shape(post["body"])
    if post.get("format") == "html":
        post["html"] = rendering.post_html_from_html(post["body"])
    else:
        post["html"] = rendering.post_html(post["body"])
    post["summary"] = post.get("custom_summary") or rendering.plain_text(post["html"], SUMMARY_LENGTH)


def post(fields: PostFields) -> dict[str, Any]:
    """A new post item (its counts beside it, for post_upkeep.py, which files them on the summary item)."""
    return post_item(fields)


def post_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A post item from a stored one (a restored file's, or one filed again under another slug)."""
    item = _allowed(fields, POST_FIELDS, "post")
    slug = _slug(item.get("slug"), "slug")
    _post_aliases(item, slug)
    _text(item, "title", MAX_TITLE)
    _text(item, "body", 400_000, required=False)  # an imported post may have none; the API asks for one
    _text(item, "author", 64)
    if item.get("status") not in (*POST_STATUSES, Status.DELETING):
        raise _refuse("status", f"must be one of {', '.join(POST_STATUSES)}")
    for name in ("published_at", "created_at", "updated_at"):
        if name == "published_at" and item.get(name) is None and item["status"] == Status.DRAFT:
            item[name] = None  # a draft gets its date when it is published
            continue
        item[name] = stored_date(item.get(name), name)
    item["labels"] = clean_labels(item.get("labels") or [])
    item["version"] = whole(item, "version", 1) if "version" in item else 1
    for name in ("comment_count", "favorites_count"):
        item[name] = whole(item, name)
    item["comments_closed"] = bool(item.get("comments_closed", False))
    item.setdefault("custom_summary", None)
    if not item.get("first_published"):  # only a post once published carries it (its slug is then fixed)
        item.pop("first_published", None)
    if item.get("format") not in (None, "html", "markdown"):
        raise _refuse("format", "must be html or markdown")
    render_post(item)
    return {**keys.post(slug), **item}


def _slug(value: Any, name: str) -> str:
    from chalicelib.blog.slugs import is_valid_slug

    if not isinstance(value, str) or not is_valid_slug(value):
        raise _refuse(name, "must be a slug: lower-case letters or digits in words joined by single hyphens")
    return value


def _post_aliases(item: dict[str, Any], slug: str) -> None:
    """A renamed post's current slug and the slugs it was renamed to (each has a slug_alias item)."""
    from chalicelib.blog.slugs import MAX_ALIASES

    current = item.get("current_slug")
    if current is None or current == slug:
        item.pop("current_slug", None)  # shown under its first slug: nothing to say
    else:
        _slug(current, "current_slug")
    aliases = item.get("aliases")
    if aliases is None:
        item.pop("aliases", None)
        return
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        raise _refuse("aliases", f"must be a list of at most {MAX_ALIASES} slugs")
    item["aliases"] = list(dict.fromkeys(_slug(alias, "aliases") for alias in aliases if alias != slug))
    if "current_slug" in item and item["current_slug"] not in item["aliases"]:
        raise _refuse("current_slug", "must be one of the post's aliases (each reserves its slug)")
    if not item["aliases"]:
        item.pop("aliases")


def slug_alias(slug: str, home: str) -> dict[str, Any]:
    """A slug a post was renamed to: a pointer to the post's permanent partition, reserving the slug."""
    return {**keys.slug_alias(_slug(slug, "slug")), "slug": slug, "home": _slug(home, "home")}


def comment(fields: CommentFields) -> dict[str, Any]:
    """A new comment item, filed as its status says (see comment_item)."""
    return comment_item(fields)


def comment_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A comment item filed where its status puts it: the public range (with its by-score and feed index keys),
    the moderation queue (pending, spam), or a tombstone (deleted: no text, no author, no feed entry)."""
    from chalicelib.blog.ids import is_ulid

    item = _allowed(fields, COMMENT_FIELDS, "comment")
    for name in ("id",) + (("parent_id",) if item.get("parent_id") is not None else ()):
        if not isinstance(item.get(name), str) or not is_ulid(item[name]):
            raise _refuse(name, "must be a comment id (a ULID)")
    _text(item, "post_slug", 200)
    status = item.get("status")
    if status not in (Status.APPROVED, *HELD_STATUSES, Status.DELETED):
        raise _refuse("status", "must be approved, pending, spam or deleted")
    item["created_at"] = stored_date(item.get("created_at"), "created_at")
    if item.get("edited_at") is not None:
        item["edited_at"] = stored_date(item["edited_at"], "edited_at")
    for name in ("depth", "likes", "dislikes", "reply_count"):
        item[name] = whole(item, name)
    for name in ("imported_likes", "imported_dislikes"):
        if name in item:
            item[name] = whole(item, name)
    if "reactions" in item:
        item["reactions"] = reaction_counts(item["reactions"])
    item.setdefault("parent_id", None)
    if status != Status.APPROVED:
        item.pop("pinned", None)  # only a public comment is pinned (blog/thread_controls.py)
    if not item.get("shadow") or status != Status.SPAM:
        item.pop("shadow", None)  # kept only on a shadow-banned commenter's comment, while it is spam
    elif item["shadow"] not in (Status.APPROVED, Status.PENDING):
        raise _refuse("shadow", "must be approved or pending (the status its author is shown)")
    if status == Status.DELETED:
        for gone in (*_TOMBSTONE_GONE, "held_because", "spam_by"):
            item.pop(gone, None)
    else:
        _text(item, "body", 20_000, required=False)
        _text(item, "html", 200_000, required=False)
        name = " ".join(str(item.get("author_name") or "").split())[:MAX_NAME]
        item["author_name"] = name or "Anonymous"
    slug, cid = item["post_slug"], item["id"]
    if status in HELD_STATUSES:
        # The post's author (kept on the comment since it was written) finds it in their own queue too.
        author = item.get("post_author")
        mine = keys.author_queue_keys(str(author), status, item["created_at"], cid) if author else {}
        return {**item, **keys.held_comment(slug, cid), **keys.moderation_queue_keys(status, item["created_at"], cid),
                **mine}
    item.pop("held_because", None)  # why it was held, and whose spam verdict: a public comment has neither
    item.pop("spam_by", None)
    score = item["likes"] - item["dislikes"]
    filed = {**item, **keys.comment(slug, cid), **keys.score_index_keys(slug, score, cid)}
    if status == Status.APPROVED:  # a tombstone leaves the site-wide comments feed
        filed.update(keys.recent_comment_index_keys(item["created_at"], cid))
    return filed


def pin(comment: Mapping[str, Any], view: Mapping[str, Any], by: str, at: str) -> dict[str, Any]:
    """A thread's pin: which comment, who pinned it when, and ``view``, what readers see of the comment (its public
    view), so the one Query of a post page draws it first whatever page the comment itself is on."""
    if comment.get("status") != Status.APPROVED:
        raise _refuse("status", "only a public comment can be pinned")
    return {**keys.thread_pin(str(comment["post_slug"])), "comment_id": comment["id"], "pinned_by": by,
            "pinned_at": stored_date(at, "pinned_at"), "comment": dict(view)}


def pin_item(slug: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A pin as stored (a restore's), checked: its comment's id, who pinned it when, and a view of that comment."""
    from chalicelib.blog.ids import is_ulid

    item = _allowed(fields, frozenset({"comment_id", "pinned_by", "pinned_at", "comment"}), "pin")
    if not isinstance(item.get("comment_id"), str) or not is_ulid(item["comment_id"]):
        raise _refuse("comment_id", "must be a comment id (a ULID)")
    _text(item, "pinned_by", MAX_NAME)
    view = item.get("comment")
    if not isinstance(view, Mapping) or view.get("id") != item["comment_id"]:
        raise _refuse("comment", "must be the pinned comment's view")
    # The copy's reaction counts move in place (thread_controls.pin_reactions): the map must be there.
    return {**keys.thread_pin(slug), **item, "comment": {
        **view, "reactions": view["reactions"] if isinstance(view.get("reactions"), Mapping) else {}},
            "pinned_at": stored_date(item.get("pinned_at"), "pinned_at")}


def account(fields: AccountFields) -> dict[str, Any]:
    """A new account item (see account_item)."""
    return account_item(fields)


def account_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An account item, in the admin's list of people (GSI1) and, when its stored role is admin, in the admins'
    index (GSI2) that held-comment mail reads."""
    from chalicelib.blog.ids import is_ulid, new_ulid

    item = _allowed(fields, ACCOUNT_FIELDS, "account")
    username = _text(item, "username", 32)
    _text(item, "email", 254)
    if item.get("role") not in (READER, AUTHOR, ADMIN):
        raise _refuse("role", "must be reader, author or admin")
    _text(item, "password_hash", 500)
    item["created_at"] = stored_date(item.get("created_at"), "created_at")
    # The account's immutable id, which its tokens name (tokens.py): made once, kept by a restore.
    item.setdefault("account_id", new_ulid())
    if not isinstance(item["account_id"], str) or not is_ulid(item["account_id"]):
        raise _refuse("account_id", "must be an account id (a ULID)")
    index = keys.stored_admin_index_keys(username) if item["role"] == ADMIN else {}
    return {**keys.user(username), **keys.account_index_keys(username), **index, **item}


def name_reservation(old: str, current: str, account_id: str, at: str) -> dict[str, Any]:
    """An account's old name after a rename (blog/renames.py): it stays the account's, and answers for it."""
    from chalicelib.blog.ids import is_ulid

    for name, value in (("username", old), ("renamed_to", current)):
        _text({name: value}, name, 32)
    if not is_ulid(account_id):
        raise _refuse("owner_id", "must be an account id (a ULID)")
    return {**keys.user(old), "username": old, "renamed_to": current, "owner_id": account_id,
            "renamed_at": stored_date(at, "renamed_at")}


def rename_job(account_id: str, old: str, new: str, at: str) -> dict[str, Any]:
    """A rename for the stream to carry out (blog/rename_job.py): from its first phase, at step 0."""
    return {**keys.rename_job(account_id), "account_id": account_id, "old": old, "new": new, "phase": "posts",
            "step": 0, "started_at": stored_date(at, "started_at")}


def email_claim(email: str, username: str) -> dict[str, Any]:
    """The item that keeps an e-mail address to one account, written in the account's transaction."""
    return {**keys.email(email), "username": username}


def sign_in_request(request_id: str, email: str, return_to: str, ttl: int) -> dict[str, Any]:
    """A request for a mailed sign-in link (blog/email_sign_in.py), for the stream to mail."""
    return {**keys.sign_in_request(request_id), "email": email, "return_to": return_to, "ttl": ttl}


def sign_in_link(link_id: str, email: str, return_to: str, ttl: int, account: Mapping[str, Any] | None) -> dict[
        str, Any]:
    """A mailed sign-in link until its use deletes it: the account it was mailed for (its id and token_version),
    none when it makes one."""
    bound = {"account_id": account["account_id"], "token_version": int(account.get("token_version", 0))} \
        if account else {}
    return {**keys.sign_in_link(link_id), "email": email, "return_to": return_to, "ttl": ttl, **bound}


PASSKEY_FIELDS: Final = frozenset({"credential_id", "account_id", "username", "public_key", "sign_count", "name",
                                    "created_at", "last_used_at", "backed_up"})


def passkey(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A registered passkey (blog/passkeys.py): its account's id and name, its COSE public key (base64url) and the
    signature counter its authenticator last reported; in its account's list (GSI1)."""
    item = _allowed(fields, PASSKEY_FIELDS, "passkey")
    credential_id = _text(item, "credential_id", 1400)
    account_id = _text(item, "account_id", 26)
    _text(item, "username", 32)
    _text(item, "public_key", 2000)
    _text(item, "name", 64, required=False)
    item["sign_count"] = whole(item, "sign_count")
    item["backed_up"] = bool(item.get("backed_up", False))
    item["created_at"] = stored_date(item.get("created_at"), "created_at")
    if item.get("last_used_at") is not None:
        item["last_used_at"] = stored_date(item["last_used_at"], "last_used_at")
    return {**keys.passkey(credential_id), **keys.passkey_index_keys(account_id, item["created_at"], credential_id),
            **item}


def passkey_ceremony(ceremony_id: str, purpose: str, challenge: str, ttl: int,
                     account: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A passkey challenge until its answer deletes it (or its TTL): a registration's is bound to the account and
    the token_version it was asked with, a sign-in's to nothing but itself."""
    if purpose not in ("register", "sign-in") or (purpose == "register") != (account is not None):
        raise _refuse("purpose", "must be register (with its account) or sign-in (without)")
    bound = {"account_id": account["account_id"], "username": account["username"],
             "token_version": int(account.get("token_version", 0))} if account else {}
    return {**keys.passkey_ceremony(ceremony_id), "purpose": purpose, "challenge": challenge, "ttl": ttl, **bound}


def vote(slug: str, comment_id: str, voter: str, value: int, at: str) -> dict[str, Any]:
    """One voter's vote; a signed-in voter's ("user:<name>") is in their votes' index, for their own data."""
    if value not in (1, -1):
        raise _refuse("value", "must be 1 or -1")
    index = keys.voter_index_keys(voter, comment_id) if voter.startswith("user:") else {}
    return {**keys.vote(slug, comment_id, voter), **index, "value": value, "at": stored_date(at, "at")}


def reaction_counts(counts: Any) -> dict[str, int]:
    """A comment's (or post's) reaction counts as stored: a map of short emoji strings to whole numbers."""
    if not isinstance(counts, Mapping) or len(counts) > 50 or not all(
            isinstance(emoji, str) and 0 < len(emoji) <= 16 for emoji in counts):
        raise _refuse("reactions", "must map at most 50 emoji to counts")
    return {emoji: whole(counts, emoji) for emoji in counts}


def reaction(slug: str, target: str, reactor: str, emoji: str, at: str) -> dict[str, Any]:
    """One reader's reaction on a post (target "post") or a comment (its id); a signed-in reader's
    ("user:<name>") is in their reactions' index, for their own data."""
    index = keys.reactor_index_keys(reactor, slug, target, emoji) if reactor.startswith("user:") else {}
    return {**keys.reaction(slug, target, reactor, emoji), **index, "post_slug": slug, "target": target,
            "emoji": emoji, "at": stored_date(at, "at")}


BAN_MODES: Final = ("ban", "shadow")


def ban(subject: str, mode: str, reason: str, by: str, created_at: str, until: int | None,
        source: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A ban (mode "ban") or shadow-ban ("shadow") of a commenter identity, until the epoch ``until`` or for good.

    ``until`` is also the item's TTL: DynamoDB removes it some time after; readers compare it themselves.
    ``source``: the comment it was made from (comment_id, post), for the console.
    """
    if mode not in BAN_MODES:
        raise _refuse("mode", "must be ban or shadow")
    kind, _, value = subject.partition(":")
    if not value or kind not in ("user", "email", "address") or len(value) > 64 or not value.isprintable():
        raise _refuse("subject", "must be user:<name>, email:<hash> or address:<hash>")
    _text({"reason": reason}, "reason", 300, required=False)
    if until is not None and (isinstance(until, bool) or not isinstance(until, int) or until <= 0):
        raise _refuse("until_epoch", "must be a time (seconds since 1970)")
    item: dict[str, Any] = {**keys.ban(subject), **keys.ban_index_keys(stored_date(created_at, "created_at"), subject),
                            "subject": subject, "mode": mode, "reason": reason, "by": by, "created_at": created_at,
                            **{k: v for k, v in (source or {}).items() if k in ("comment_id", "post")}}
    if until is not None:
        item["until_epoch"] = item["ttl"] = until
    return item


def favorite(slug: str, username: str, favorited_at: str) -> dict[str, Any]:
    at = stored_date(favorited_at, "favorited_at")
    return {**keys.favorite(slug, username), **keys.favorites_index_keys(username, at, slug),
            "slug": slug, "username": username, "favorited_at": at}


def follow(follower: str, followee: str, since: str) -> dict[str, Any]:
    return {**keys.follow(follower, followee), "username": followee, "since": stored_date(since, "since")}


SUBSCRIPTION_PENDING, SUBSCRIPTION_CONFIRMED = "pending", "confirmed"  # blog/subscriptions.py's states
SUBSCRIPTION_FIELDS: Final = frozenset({
    "email", "post_slug", "email_hash", "state", "requested_at", "ttl", "username", "confirmed_at"})


def subscription(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A thread subscription: pending (with the TTL that ends an unconfirmed one) or confirmed (without)."""
    import re

    from chalicelib.blog.slugs import is_valid_slug
    from chalicelib.blog.validation import Email, FieldError

    item = _allowed(fields, SUBSCRIPTION_FIELDS, "subscription")
    if not is_valid_slug(_text(item, "post_slug", 200)):
        raise _refuse("post_slug", "must be a post's slug")
    if not re.fullmatch(r"[0-9a-f]{32}", str(item.get("email_hash", ""))):
        raise _refuse("email_hash", "must be an address's keyed hash (32 hex digits)")
    try:
        item["email"] = Email(allow_blank=False)(item.get("email"))
    except FieldError as refused:
        raise _refuse("email", str(refused)) from None
    item["requested_at"] = whole(item, "requested_at")
    if item.get("state") == SUBSCRIPTION_PENDING:
        item["ttl"] = whole(item, "ttl", minimum=1)
    elif item.get("state") == SUBSCRIPTION_CONFIRMED:
        item.pop("ttl", None)
        if item.get("confirmed_at") is not None:
            item["confirmed_at"] = stored_date(item["confirmed_at"], "confirmed_at")
    else:
        raise _refuse("state", "must be pending or confirmed")
    if "username" in item:
        _text(item, "username", MAX_NAME)
    return {**keys.subscription(item["post_slug"], item["email_hash"]), **item}


def subscriber_entry(subscription: Mapping[str, Any], since: str) -> dict[str, Any]:
    """A subscription seen from its address (its owner's export and deletion find it by Query); ends with it."""
    slug, digest = str(subscription["post_slug"]), str(subscription["email_hash"])
    ends = {"ttl": subscription["ttl"]} if subscription.get("state") == SUBSCRIPTION_PENDING else {}
    return {**keys.subscriber_entry(digest, slug), "post_slug": slug, "since": stored_date(since, "since"), **ends}


_BLOCK_END: Final = r"</(?:p|div|li|h[1-6]|blockquote|pre)>|<br\s*/?>"


def comment_text(markup: str) -> str:
    """The plain text of a comment's HTML, paragraphs on lines of their own: what an edit would start from."""
    import html
    import re

    text = re.sub(r"<[^>]*>", "", re.sub(_BLOCK_END, "\n", markup, flags=re.IGNORECASE))
    lines = html.unescape(text).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())
