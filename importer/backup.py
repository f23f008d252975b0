"""This blog's own export format: JSON Lines, one table item per record, and how to read it back safely.

A file is
  line 1      {"format": "serverless-blog-export", "version": 1, "export_id": …, "exported_at": …,
               "table": …, "secrets": false}
  then        {"kind": "post", "item": {…}}   one line per item, in the table's own attribute names
  last line   {"end": true, "records": N}     N records above it: a file cut short is told apart

Values are plain JSON where JSON has the type (strings, whole numbers, booleans,
null, lists, objects); a fraction is {"$decimal": "1.5"}, a set {"$set": [...]},
bytes {"$binary": "<base64>"}.

Kinds, by the item's key (chalicelib/store/keys.py):
  post, counts (a post's counts, reactions and lock, from its summary item), comment
  (public, held, spam and tombstones alike: the status says), pin (a thread's
  pinned comment), vote,
  favorite, account, follow, commenter (once approved), optout, confirmed (e-mail
  addresses), subscription (a thread's, pending or confirmed), audit, imported (an
  earlier import's markers), ban (a ban or shadow-ban of a commenter), other (a key
  this module does not know: kept as it is rather than lost).
Not exported, because the restore rebuilds them from the records above:
  label memberships and counts, archive, schedule, post totals and authors' counts
  (chalicelib.blog.post_upkeep, from each post), comment references (from each
  comment), e-mail uniqueness items (from each account), each user's favorites
  count (from the favorites), a subscription's entry under its address (from the
  subscription), slug pointers (from each post's ``aliases``).
Not exported, because the restore indexes each post and comment again (as the stream
  does): the search indexes (each post's search document and postings; comments' postings).
Not exported, because they are short-lived (rate windows, duplicate-body and
idempotency records, sent-notification and daily mail counters, mailed links and
requests, digests waiting to go, Akismet checks, webhook deliveries and the challenge's
per-address windows: all with a TTL).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from chalicelib.store import keys
from importer.model import ImportError_

FORMAT = "serverless-blog-export"
VERSION = 1
# Without --with-secrets an account keeps everything but its password hash;
# the restore gives it this one, which no password matches (verify_password refuses it).
SECRET_FIELDS = ("password_hash",)
NO_PASSWORD = "none$exported-without-secrets"

KINDS = ("post", "counts", "comment", "pin", "vote", "reaction", "favorite", "account", "reservation", "follow",
         "commenter", "optout", "confirmed", "subscription", "audit", "imported", "ban", "identity", "passkey",
         "other")
# What the restore reads of a record, beyond its key.
REQUIRED = {"post": ("slug", "status"), "comment": ("id", "post_slug", "status", "created_at"),
            "account": ("username",), "favorite": ("username",)}
# First part of a key -> not exported: rebuilt on restore, or short-lived.
REBUILT = ("LABEL", "LABELS", "ARCHIVE", "SCHEDULE", "STATS", "AUTHORS", "COMMENTREF", "EMAIL", "SUBBY", "TERM",
           "CTERM", "SLUG")
SHORT_LIVED = ("RATE", "VOTERATE", "LOGINFAIL", "SIGNUPRATE", "PREVIEWRATE", "DUP", "IDEM", "NOTIFIED", "MAILRATE",
               "FORMUSED", "DATARATE", "DATALINK", "DATAREQ", "RESETRATE", "RESETREQ", "MODLINK", "AKISMET",
               "AKISMETSENT", "WEBHOOK", "DIGEST", "DIGESTDUE", "DIGESTSEEN", "SIGNINREQ", "SIGNINLINK", "SIGNINRATE",
               "CHALLENGERATE", "PASSKEYCEREMONY", "OIDCSTATE", "OIDCHANDOFF")


def kind_of(item: dict[str, Any]) -> str | None:
    """The record kind of a table item, or None for an item the export leaves out."""
    pk, sk = str(item["PK"]), str(item["SK"])
    head = pk.split("#", 1)[0]
    if head in REBUILT or head in SHORT_LIVED:
        return None
    if head == "POST":
        if sk == keys.POST_SK:
            return "post"
        if sk == keys.POST_SUMMARY_SK:
            return "counts"  # the post's counts; the rest of its summary item is rebuilt from the post
        if sk.startswith((keys.COMMENT_PREFIX, keys.HELD_PREFIX)):
            return "comment"
        if sk.startswith(keys.VOTE_PREFIX):
            return "vote"
        if sk.startswith(keys.REACTION_PREFIX):
            return "reaction"
        if sk.startswith(keys.FAVORITE_PREFIX):
            return "favorite"
        if sk == keys.SEARCH_DOC_SK:
            return None  # the search index: rebuilt
        if sk == keys.PIN_SK:
            return "pin"  # the thread's pinned comment (blog/thread_controls.py)
    if head == "USER":
        if sk == keys.USER_SK:  # an account, or an old name kept for the account it became (blog/renames.py)
            return "reservation" if item.get("renamed_to") else "account"
        if sk == keys.FAVORITES_SK:
            return None  # counted again from the favorites
        if sk.startswith(keys.FOLLOWS_PREFIX):
            return "follow"
    simple = {"COMMENTER": "commenter", "OPTOUT": "optout", "CONFIRMED": "confirmed", "IMPORTED": "imported",
              "SUBS": "subscription", keys.AUDIT_PARTITION: "audit", "BAN": "ban", "IDENTITY": "identity",
              "PASSKEY": "passkey"}
    return simple.get(head, "other")


# -- values ------------------------------------------------------------------

def encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else {"$decimal": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"$binary": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, set | frozenset):
        return {"$set": sorted(encode(v) for v in value)}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, inner), = value.items()
            if tag == "$decimal":
                return Decimal(str(inner))
            if tag == "$binary":
                return base64.b64decode(str(inner), validate=True)
            if tag == "$set":
                return {decode(v) for v in inner}
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def record_line(kind: str, item: dict[str, Any]) -> str:
    return json.dumps({"kind": kind, "item": encode(item)}, ensure_ascii=False, sort_keys=True) + "\n"


# -- reading -----------------------------------------------------------------

def is_export(handle: IO[bytes]) -> bool:
    """Whether the file's first line is this format's header (the handle is rewound)."""
    first = handle.readline(4096)
    handle.seek(0)
    try:
        header = json.loads(first)
    except ValueError:
        return False
    return isinstance(header, dict) and header.get("format") == FORMAT


def header_of(line: bytes) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        raise ImportError_("line 1: not this blog's export header") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportError_("line 1: not this blog's export header")
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise ImportError_(f"line 1: the header's version {version!r} is not a version number")
    if version > VERSION:
        raise ImportError_(f"line 1: the file is format version {version}, newer than this importer reads "
                           f"(up to {VERSION}): restore with the release that wrote it, or a newer one")
    if not isinstance(header.get("export_id"), str) or not header["export_id"]:
        raise ImportError_("line 1: the header has no export_id")
    return header


def _record(number: int, line: bytes) -> tuple[str, dict[str, Any]] | int:
    """(kind, item) of a record line, or the count of an end line; ImportError_ naming the line otherwise."""
    try:
        loaded = json.loads(line)
    except ValueError as error:
        raise ImportError_(f"line {number}: not a JSON record ({error.__class__.__name__}: {error}); "
                           "the file is damaged or cut short, nothing was written") from None
    if isinstance(loaded, dict) and loaded.get("end") is True and isinstance(loaded.get("records"), int):
        return int(loaded["records"])
    if not isinstance(loaded, dict) or set(loaded) != {"kind", "item"} or loaded["kind"] not in KINDS:
        raise ImportError_(f"line {number}: not a record of this format (expected {{\"kind\": one of "
                           f"{', '.join(KINDS)}, \"item\": {{…}}}}); nothing was written")
    try:
        item = decode(loaded["item"])
    except (ValueError, TypeError, ArithmeticError):
        raise ImportError_(f"line {number}: a value tagged $decimal, $binary or $set is malformed; "
                           "nothing was written") from None
    if not isinstance(item, dict) or not isinstance(item.get("PK"), str) or not isinstance(item.get("SK"), str) \
            or not item["PK"] or not item["SK"]:
        raise ImportError_(f"line {number}: the item has no PK and SK strings; nothing was written")
    missing = [name for name in REQUIRED.get(loaded["kind"], ()) if not isinstance(item.get(name), str)]
    if missing:
        raise ImportError_(f"line {number}: a {loaded['kind']!r} record without {', '.join(missing)}; "
                           "nothing was written")
    if kind_of(item) != loaded["kind"]:
        raise ImportError_(f"line {number}: a {loaded['kind']!r} record whose key is not one "
                           f"({item['PK']!r}, {item['SK']!r}); nothing was written")
    return str(loaded["kind"]), item


def records(handle: IO[bytes]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(line number, kind, item) of every record, after the header; checks the end line's count.

    Raises ImportError_ naming the line of the first damage; the caller reads
    the whole file once this way before writing anything.
    """
    handle.seek(0)
    header_of(handle.readline())
    count = 0
    ended: int | None = None
    number = 1
    for number, line in enumerate(handle, start=2):
        if not line.strip():
            continue
        if ended is not None:
            raise ImportError_(f"line {number}: records after the end line; nothing was written")
        parsed = _record(number, line)
        if isinstance(parsed, int):
            ended = parsed
            continue
        count += 1
        yield number, parsed[0], parsed[1]
    if ended is None:
        raise ImportError_(f"line {number}: the file ends without its end line (cut short after {count} "
                           "records?); nothing was written")
    if ended != count:
        raise ImportError_(f"the end line says {ended} records, the file holds {count}: records are missing "
                           "or added; nothing was written")
