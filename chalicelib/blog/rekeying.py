"""After a HASH_KEY rotation: an anonymous commenter's stored hashes moved to the new key, on demand.

An anonymous commenter is known by the keyed hash of their e-mail: their comment
index (COMMENTER#email:<hash>, with their first-time approval in it) and their
confirmed address (CONFIRMED#<hash>). A new HASH_KEY makes a new hash, so without
this, a data request for an address that commented before the rotation would find
nothing and send nothing. While HASH_KEY_PREVIOUS is kept (the grace period), the
table's stream handler moves what is filed under the old hash to the new one
before it looks an address up: copies first, then the old items go, so a move
cut short is finished by the next one, and a second move finds nothing to do.

Runs from the stream (a data request's link), never inside an HTTP request.
"""

from __future__ import annotations

from chalicelib.blog.antispam import AntiSpam
from chalicelib.store import keys
from chalicelib.store.table import Table

_PAGE = 100


def carry_over_email(table: Table, antispam: AntiSpam, email: str) -> int:
    """Move what is filed under ``email``'s previous hash to its current one; how many items moved."""
    previous = antispam.previous_email_hash(email)
    current = antispam.email_hash(email)
    if previous is None or previous == current:
        return 0
    moved = _move_commenter("email:" + previous, "email:" + current, table)
    confirmed = table.get(keys.email_confirmed(previous))
    if confirmed is not None:
        table.batch_put([{**confirmed, **keys.email_confirmed(current)}])
        table.batch_delete([keys.email_confirmed(previous)])
        moved += 1
    return moved


def _move_commenter(source: str, target: str, table: Table) -> int:
    moved = 0
    while True:
        # Always the first page: what was moved is gone from the source, so no cursor is needed.
        page = table.query(keys.commenter_partition(source), limit=_PAGE)
        if not page.items:
            return moved
        table.batch_put([{**item, **keys.commenter_item(target, str(item["SK"]))} for item in page.items])
        table.batch_delete([keys.commenter_item(source, str(item["SK"])) for item in page.items])
        moved += len(page.items)
