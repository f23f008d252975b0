"""What a restore writes for a record of a file: the record rebuilt by its constructor, never the file's item as is.

A file is input like any other: it may be damaged or crafted. Each record's
attributes go to its constructor (chalicelib/blog/records.py), which refuses one
it does not know and derives the keys and index attributes itself, so a file
cannot add an attribute, an index entry or a key the API would not write. An
account's role and password hash are taken from the file only when it was
written with --with-secrets and the operator passes --trust-accounts: otherwise
the account comes in as a reader that cannot sign in until given a password.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from chalicelib.blog import records
from chalicelib.blog.ids import is_ulid
from chalicelib.blog.post_upkeep import COUNT_FIELDS, LOCK_FIELDS, SUMMARY_FIELDS
from chalicelib.blog.records import NO_PASSWORD, READER, RecordError
from chalicelib.blog.slugs import is_valid_slug
from chalicelib.store import keys
from chalicelib.store.table import Item

# Records kept as the file has them, but only these attributes (their keys are checked by backup.kind_of).
_PLAIN: Final = {
    "commenter": frozenset({"since", "post_slug", "comment_id"}),
    "optout": frozenset({"at"}),
    "confirmed": frozenset({"at"}),
    "audit": frozenset({"at", "who", "action", "comment_id", "post", "from_status", "reason", "subject", "until"}),
    "imported": frozenset({"slug", "source_ref", "username", "exported_at"}),
}
_COUNTS: Final = frozenset({*SUMMARY_FIELDS, *COUNT_FIELDS, *LOCK_FIELDS, "reactions"})
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")
# Kinds the restore leaves out, and why (the report says so).
NOT_RESTORED: Final = "other"


def _fields(item: Mapping[str, Any], allowed: frozenset[str] | None = None) -> dict[str, Any]:
    fields = {k: v for k, v in item.items() if k not in ("PK", "SK", *keys.INDEX_KEY_ATTRIBUTES)}
    if allowed is not None:
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise RecordError(f"{unknown[0]}: is not an attribute of this record (unknown: {', '.join(unknown)})",
                              {unknown[0]: ["is not an attribute of this record"]})
    return fields


def _after(value: str, prefix: str, what: str) -> str:
    if not value.startswith(prefix) or len(value) == len(prefix):
        raise RecordError(f"{what}: the key does not name one", {what: ["the key does not name one"]})
    return value[len(prefix):]


def _reaction(item: Mapping[str, Any]) -> Item:
    """A reaction, its key checked against what it says (REACT#<target>#<reactor>#<emoji>, keys.reaction)."""
    fields = _fields(item, frozenset({"post_slug", "target", "emoji", "at"}))
    slug = _after(str(item["PK"]), keys.post_partition(""), "slug")
    target, emoji = str(fields.get("target", "")), str(fields.get("emoji", ""))
    reactor = _after(str(item["SK"]), f"{keys.REACTION_PREFIX}{target}#", "reaction").removesuffix(f"#{emoji}")
    rebuilt = records.reaction(slug, target, reactor, emoji, str(fields.get("at", "")))
    if not emoji or not reactor.startswith(("user:", "anon:")) or rebuilt["SK"] != item["SK"] or fields.get(
            "post_slug", slug) != slug or not (target == "post" or is_ulid(target)):
        raise RecordError("reaction: the key does not name one", {"reaction": ["the key does not name one"]})
    return rebuilt


def _passkey(item: Mapping[str, Any]) -> Item:
    """A passkey (blog/passkeys.py), its key and index entry made again from its fields: a file cannot file one
    under another credential id, list it in another account's passkeys, or give it a key py_webauthn cannot read
    as base64url. Whether it is written at all is the restore's choice (a passkey signs in: restore.py)."""
    passkey = records.passkey(_fields(item, records.PASSKEY_FIELDS))
    if (passkey["PK"], passkey["SK"]) != (item["PK"], item["SK"]):
        raise RecordError("credential_id: is not the passkey's key", {"credential_id": ["is not the passkey's key"]})
    if not is_ulid(str(passkey["account_id"])):
        raise RecordError("account_id: must be an account id (a ULID)", {"account_id": ["must be a ULID"]})
    for name in ("credential_id", "public_key"):
        if not _BASE64URL.fullmatch(str(passkey[name])):
            raise RecordError(f"{name}: must be base64url without padding", {name: ["must be base64url"]})
    return passkey


def account(item: Mapping[str, Any], trusted: bool) -> tuple[Item, bool]:
    """The account, and whether the file's role or password was set aside (the file or the operator not trusted)."""
    fields = _fields(item)
    set_aside = False
    if not trusted:
        set_aside = fields.get("role", READER) != READER or fields.get("password_hash", NO_PASSWORD) != NO_PASSWORD
        fields["role"], fields["password_hash"] = READER, NO_PASSWORD
    fields.setdefault("password_hash", NO_PASSWORD)
    return records.account_item(fields), set_aside


def rebuild(kind: str, item: Mapping[str, Any]) -> Item:
    """The record of ``kind`` as its constructor builds it from the file's item (accounts: see account())."""
    if kind == "post":
        return records.post_item(_fields(item))
    if kind == "comment":
        fields = _fields(item)
        fields.setdefault("imported_from", "export")  # no notification goes out for it
        return records.comment_item(fields)
    if kind == "counts":
        fields = _fields(item, _COUNTS)
        if not isinstance(fields.get("slug"), str) or not is_valid_slug(fields["slug"]):
            raise RecordError("slug: must be a post's slug", {"slug": ["must be a post's slug"]})
        reactions = {"reactions": records.reaction_counts(fields["reactions"])} if "reactions" in fields else {}
        lock = {}
        if fields.get("locked_at") is not None:  # a moderator locked the thread (blog/thread_controls.py)
            lock = {"locked_at": records.stored_date(fields["locked_at"], "locked_at"),
                    "locked_by": str(fields.get("locked_by") or "")[:records.MAX_NAME]}
        return {"slug": fields["slug"], **{name: records.whole(fields, name) for name in COUNT_FIELDS}, **reactions,
                **lock}
    if kind == "pin":
        return records.pin_item(_after(str(item["PK"]), keys.post_partition(""), "slug"), _fields(item))
    if kind == "vote":
        slug = _after(str(item["PK"]), keys.post_partition(""), "slug")
        comment_id, _, voter = _after(str(item["SK"]), keys.VOTE_PREFIX, "vote").partition("#")
        fields = _fields(item, frozenset({"value", "at"}))
        return records.vote(slug, comment_id, voter, fields.get("value", 0), str(fields.get("at", "")))
    if kind == "reaction":
        return _reaction(item)
    if kind == "reservation":
        fields = _fields(item, frozenset({"username", "renamed_to", "owner_id", "renamed_at"}))
        return records.name_reservation(str(fields.get("username", "")), str(fields.get("renamed_to", "")),
                                        str(fields.get("owner_id", "")), str(fields.get("renamed_at", "")))
    if kind == "favorite":
        fields = _fields(item, frozenset({"slug", "username", "favorited_at"}))
        return records.favorite(str(fields.get("slug")), str(fields.get("username")),
                                str(fields.get("favorited_at", "")))
    if kind == "follow":
        follower = _after(str(item["PK"]), keys.user_partition(""), "follower")
        fields = _fields(item, frozenset({"username", "since"}))
        return records.follow(follower, str(fields.get("username")), str(fields.get("since", "")))
    if kind == "subscription":
        return records.subscription(_fields(item))
    if kind == "ban":
        fields = _fields(item, frozenset({"subject", "mode", "reason", "by", "created_at", "until_epoch", "ttl",
                                          "comment_id", "post"}))
        until = fields.get("until_epoch")
        ban = records.ban(str(fields.get("subject", "")), str(fields.get("mode", "")), str(fields.get("reason", "")),
                          str(fields.get("by", "")), str(fields.get("created_at", "")),
                          records.whole(fields, "until_epoch", 1) if until is not None else None,
                          {k: str(fields[k]) for k in ("comment_id", "post") if fields.get(k)})
        if (ban["PK"], ban["SK"]) != (item["PK"], item["SK"]):
            raise RecordError("subject: is not the ban's key", {"subject": ["is not the ban's key"]})
        return ban
    if kind == "identity":  # an OpenID Connect identity (blog/oidc_sign_in.py), its key made again from its fields
        fields = _fields(item, frozenset({"issuer", "subject", "provider", "account_id", "username", "created_at"}))
        identity = records.identity(str(fields.get("issuer", "")), str(fields.get("subject", "")),
                                    str(fields.get("provider", "")), {"account_id": str(fields.get("account_id", "")),
                                                                      "username": str(fields.get("username", ""))},
                                    str(fields.get("created_at", "")))
        if (identity["PK"], identity["SK"]) != (item["PK"], item["SK"]):
            raise RecordError("subject: is not the identity's key", {"subject": ["is not the identity's key"]})
        return identity
    if kind == "passkey":
        return _passkey(item)
    if kind in _PLAIN:
        fields = _fields(item, _PLAIN[kind])
        index = (keys.audit_post_index_keys(str(fields.get("post")), str(item["SK"]).split("#", 1)[0],
                                            str(item["SK"]).split("#", 1)[-1])
                 if kind == "audit" and fields.get("post") else {})  # a ban's entry may have no post
        return {"PK": item["PK"], "SK": item["SK"], **index, **fields}
    raise RecordError(f"{kind}: not a kind this release restores", {kind: ["is not restored"]})
