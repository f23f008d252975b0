"""The author accounts an import makes: one per source author, the same on every run.

Split from importer/writer.py because making an account is a small protocol
of its own: an IMPORTED# marker per source author names the account made, a
username taken (or reserved for an admin) gets the next number, and an address
the source gave is kept only when it can be mailed and no account here has it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from chalicelib.blog import clock, records
from chalicelib.blog.ids import ulid
from chalicelib.blog.slugs import slugify
from chalicelib.blog.tokens import AUTHOR, is_named_admin
from chalicelib.blog.validation import Email
from chalicelib.store import keys
from chalicelib.store.table import Table, put
from importer.import_options import AlreadyImported, Options, Report, digest, valid_or_none

_NUMBERED_NAMES = 50


class _Taken(Exception):
    """A username (or its placeholder address) belongs to an account already."""


def _usernames(name: str) -> Iterable[str]:
    """Usernames for a source author's name: its words in ASCII, then numbered."""
    base = re.sub(r"[^a-z0-9]+", "-", slugify(name) or "").strip("-")[:28].strip("-")
    if len(base) < 3:
        base = f"author-{digest(name)[:8]}" if not base else f"{base}-author"
    yield base
    for number in range(2, _NUMBERED_NAMES + 1):
        yield f"{base}-{number}"



class AuthorAccounts:
    def __init__(self, table: Table | None, options: Options, report: Report,
                 author_emails: dict[str, str] | None = None) -> None:
        self.table = table  # None: a dry run with no table to compare with
        self.options = options
        self.report = report
        self._authors: dict[str, str] = {}       # source author name -> username here
        self._author_emails = author_emails or {}  # source author name -> their address there

    def author_for(self, name: str | None) -> str:
        """The account a source author's posts go to: mapped (--author), made by an import, or the default."""
        name = " ".join((name or "").split())
        if name in self.options.authors:
            return self.options.authors[name]
        if not name or not self.options.create_authors:
            return self.options.default_author
        if name not in self._authors:
            self._authors[name] = self._author_account(name)
        return self._authors[name]

    def _author_account(self, name: str) -> str:
        """The account made for ``name`` by this import or an earlier one (its IMPORTED# marker says which).

        A new one is an author with no usable password (a "!" hash that no
        password verifies): it signs in once a password is set for it, by a
        password reset to the address the source gave the author. Without one
        (or when an account here already has it) the address is a placeholder
        under .invalid, which no mail can reach, and the report says so. A
        username already taken, or reserved for an admin, gets the next number.
        """
        marker = keys.imported(digest("author", self.options.source, name))
        found = self.table.get(marker) if self.table is not None else None
        if found is not None:
            self.report.accounts["already imported"] += 1
            return str(found["username"])
        for username in _usernames(name):
            if is_named_admin(username, self.options.reserved):
                continue
            if self.table is None or self.options.dry_run:
                if self.table is not None and self.table.get(keys.user(username)) is not None:
                    continue
                self.report.accounts["created"] += 1
                return username
            email = self._author_email(name) or f"{username.lower()}@imported.invalid"
            # Its id derives from the author's source, as a comment's does: a run cut off and run again makes the same.
            account_id = ulid(int(clock.now().timestamp() * 1000), bytes.fromhex(digest("author", self.options.source,
                                                                                        name)))
            item = records.account({"username": username, "email": email, "password_hash": "!" + secrets.token_hex(16),
                                    "account_id": account_id, "role": AUTHOR, "created_at": clock.now_iso(),
                                    "imported_from": self.options.source, "source_author": name})
            try:
                self.table.transact([
                    put({**marker, "username": username}, "attribute_not_exists(PK)", refusal=AlreadyImported()),
                    put(item, "attribute_not_exists(PK)", refusal=_Taken()),
                    put(records.email_claim(email, username), "attribute_not_exists(PK)", refusal=_Taken()),
                ])
            except _Taken:  # the username, or (taken meanwhile) the address: the next name, and a look again
                continue
            except AlreadyImported:  # another run made it meanwhile
                again = self.table.get(marker)
                assert again is not None
                self.report.accounts["already imported"] += 1
                return str(again["username"])
            self.report.accounts["created"] += 1
            return username
        raise RuntimeError(f"no free username for the author {name!r}; map it with --author")

    def _author_email(self, name: str) -> str | None:
        """The source's address for ``name``, when it is one and no account here has it."""
        given = self._author_emails.get(name, "")
        email = valid_or_none(Email(), given)
        if email is None or email.endswith(("@blogger.com", ".invalid", "@host.null")):  # placeholders, not people
            if given:
                self.report.notes.append(f"author {name}: {given[:80]!r} is no address to mail, a placeholder kept")
            return None
        assert self.table is not None
        if self.table.get(keys.email(email)) is not None:
            self.report.notes.append(f"author {name}: {email} is another account's here, a placeholder kept")
            return None
        return email
