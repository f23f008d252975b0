"""A person's own data: export it as JSON, or delete it (an account, or an anonymous commenter's comments).

Finding someone's comments needs no Scan: each comment is entered in its
commenter's index, read (and emptied) by blog/commenter_comments.py.

Exports come in pages (up to 100 items each, well within Lambda's 6 MB
response): the account first, then its comments, favorites, follows, votes and
reactions (a signed-in voter's votes and reactions carry an index entry), each list continued by
an opaque cursor. Concatenating the lists of every page gives
the whole export.

Deleting a comment goes through the thread's own delete (Threads.delete), so
counts move in the transaction that removes it and a comment with replies stays
as a tombstone; "anonymous" keeps the text and takes the name, account, e-mail
and website off the comment. Deleting an account takes its votes back as it would
(the comments' counts with them). It first revokes its tokens, so
nothing new is written in its name meanwhile; an interrupted deletion is
finished by signing in and asking again. An account that still has posts is
refused: its posts are deleted, or given to another author by an admin, first.

An anonymous commenter asks by e-mail: POST /data-requests records the request
(the same 202 whether the address has comments or not); the table's stream
mails a signed link to the address, only when it has comments, within the
address's daily mail limit. The link's page changes nothing; its button POSTs,
and a deletion link works once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import mail, signing
from chalicelib.blog import clock, mailed_requests, rekeying, renames
from chalicelib.blog.accounts import Accounts, user_view
from chalicelib.blog.antispam import AntiSpam, rate_window
from chalicelib.blog.commenter_comments import ANONYMOUS as ANONYMOUS
from chalicelib.blog.commenter_comments import TOMBSTONE as TOMBSTONE
from chalicelib.blog.commenter_comments import CommenterComments
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.social import Social
from chalicelib.blog.subscriptions import Subscriptions
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import READER, REVOKED, Principal, current_principal
from chalicelib.blog.validation import Choice, Email, Field, Text, page_limit, read_fields, read_query
from chalicelib.blog.votes import Votes
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthenticated
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import ConditionFailed, Item, Table, TransactionCancelled, delete, put, update

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.blog.reactions import Reactions


EXPORT, DELETE = "export", "delete"
# Pages of an export per account (or address) per hour; requests and deletions per hour.
EXPORT_RATE_LIMIT = (120, 3600)
REQUEST_RATE_LIMIT = (10, 3600)
LINK_SECONDS = 24 * 3600
REQUEST_TTL_SECONDS = 3600
_SECTIONS = ("comments", "favorites", "follows", "votes", "reactions", "subscriptions", "passkeys")
_CHOICE = Field(Choice((TOMBSTONE, ANONYMOUS)), required=True)
DELETE_FIELDS = {
    "comments": _CHOICE,
    "current_password": Field(Text(256, min_length=1, strip=False)),
}
REQUEST_FIELDS = {
    "email": Field(Email(allow_blank=False), required=True),
    "action": Field(Choice((EXPORT, DELETE)), required=True),
}
# "<keyed e-mail hash, 32 hex>.<e|d>.<request ulid>.<expiry>.<HMAC, 16 bytes, base64url>".
_LINK = lazy(r"^([0-9a-f]{32})\.([ed])\.([0-9A-Z]{26})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
_LINK_PURPOSE = "data"
_SIGNATURE_BYTES = 16


def _k(item: Key | Item) -> tuple[str, str]:
    return str(item["PK"]), str(item["SK"])


def _each_once(first_page: Callable[[], list[Item]]) -> Iterator[Item]:
    """Each entry of an eventually consistent index that is being emptied, once: read its first page again after
    each page, pass over entries already handled (the index may still show them), stop at a page of nothing new."""
    seen: set[tuple[str, str]] = set()
    while True:
        fresh = [i for i in first_page() if _k(i) not in seen]
        if not fresh:
            return
        for item in fresh:
            seen.add(_k(item))
            yield item


def _slug_of(vote: Item) -> str:
    return str(vote["PK"]).removeprefix(keys.post_partition(""))


class Link:
    """What a verified mailed link says: whose comments (keyed e-mail hash), what to do, which request."""

    __slots__ = ("action", "email_hash", "expires", "request_id")

    def __init__(self, email_hash: str, action: str, request_id: str, expires: int) -> None:
        self.email_hash = email_hash
        self.action = action
        self.request_id = request_id
        self.expires = expires


class PersonalData:
    def __init__(self, table: Table, settings: Settings, cursor_key: bytes, antispam: AntiSpam, threads: Threads,
                 accounts: Accounts, notifications: Notifications, votes: Votes,
                 subscriptions: Subscriptions) -> None:
        self.table = table
        self.subscriptions = subscriptions
        self.votes = votes
        self.settings = settings
        self.cursor_key = cursor_key
        self.antispam = antispam
        self.threads = threads
        self.accounts = accounts
        self.notifications = notifications
        self.link_key = signing.derive_key(settings.mail_link_key, "data-request-links")
        self.commenter_comments = CommenterComments(table, threads, antispam)

    # -- limits ----------------------------------------------------------------------

    def _limit(self, subject: str, limit: tuple[int, int], what: str) -> None:
        now = clock.epoch()
        self.table.write(rate_window(keys.data_rate_window(self.antispam.address_hash(subject), now // limit[1]),
                                     limit, what, now))

    # -- export --------------------------------------------------------------------

    def export(self, principal: Principal, params: Mapping[str, str] | None) -> dict[str, Any]:
        """One page of the signed-in user's own data (see the module's docstring)."""
        query = read_query(params, ("limit", "cursor"))
        limit = page_limit(query.get("limit"))
        account = renames.account_named(self.table, principal.username)  # a token from before a rename too
        principal = current_principal(principal, account, self.settings.admins)  # under the current name
        scope = f"export|user|{principal.username.casefold()}"
        start = cursors.decode(query.get("cursor"), scope, self.cursor_key)
        assert account is not None
        self._limit("user|" + principal.username.casefold(), EXPORT_RATE_LIMIT, "export pages of one account")
        page: dict[str, Any] = {"account": user_view(account, self.settings),
                                **{section: [] for section in _SECTIONS}}
        identity = "user:" + principal.username.casefold()
        section = start.pop("section", _SECTIONS[0]) if start else _SECTIONS[0]
        if section not in _SECTIONS:
            raise BadRequest("cursor is not valid for this list; start again without it",
                             {"cursor": ["not a cursor this list issued"]})
        if section == "subscriptions":  # thread subscriptions, under the account's address
            items, last = self.subscriptions.page_of_address(self.antispam.email_hash(str(account["email"])),
                                                             limit, start or None)
        elif section == "passkeys":  # what each is called and when it was used; never its public key
            from chalicelib.blog import passkeys
            found, last = passkeys.of_account(self.table, str(account.get("account_id", "-")), limit, start or None)
            items = [passkeys.passkey_view(i) for i in found]
        else:
            items, last = self._section(section, identity, principal.username, limit, start or None)
        page[section] = items
        page["next_cursor"] = cursors.encode(self._next(section, last), scope, self.cursor_key)
        return page

    @staticmethod
    def _next(section: str, last: dict[str, str] | None) -> dict[str, str] | None:
        if last is not None:
            return {**last, "section": section}
        following = _SECTIONS.index(section) + 1
        return {"section": _SECTIONS[following]} if following < len(_SECTIONS) else None

    def _section(self, section: str, identity: str, username: str, limit: int,
                 start: dict[str, str] | None) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        if section == "comments":
            return self.commenter_comments.page(identity, limit, start)
        if section == "favorites":
            page = self.table.query(keys.favorites_partition(username), index="GSI1", limit=limit, start_key=start)
            return [{"slug": i["slug"], "favorited_at": i.get("favorited_at")} for i in page.items], page.last_key
        if section == "reactions":
            return self._reactions().of_reactor(identity, limit, start)
        if section == "votes":
            page = self.table.query(keys.voter_partition(identity), index="GSI2", limit=limit, start_key=start)
            return [{"comment_id": i["GSI2SK"], "post": _slug_of(i), "value": int(i["value"]), "at": i.get("at")}
                    for i in page.items], page.last_key
        page = self.table.query(keys.user_partition(username), sort_from=keys.FOLLOWS_PREFIX,
                                sort_to=keys.FOLLOWS_PREFIX + END, limit=limit, start_key=start)
        return [{"username": i["username"], "since": i.get("since")} for i in page.items], page.last_key

    # -- deleting an account -------------------------------------------------------

    def delete_account(self, principal: Principal, payload: Any) -> None:
        """Delete the caller's account and what hangs on it; comments as ``comments`` says (tombstone or anonymous)."""
        fields = read_fields(payload, DELETE_FIELDS)
        account = renames.account_named(self.table, principal.username)  # a token from before a rename too
        principal = current_principal(principal, account, self.settings.admins)
        self._limit("user|" + principal.username.casefold(), REQUEST_RATE_LIMIT, "deletion attempts of one account")
        if principal.account_id and self.table.get(keys.rename_job(principal.account_id)) is not None:
            # Some of what the account wrote is still under its old name, where the deletion would not look.
            raise Conflict("this account's rename is still being carried out; try again in a minute")
        assert account is not None
        self.accounts.reauthenticate(principal, account, fields.get("current_password"))
        username = str(account["username"])
        if self.table.query(keys.author_partition(username), index="GSI2", limit=1).items or int(
                (self.table.get(keys.author_count(username)) or {}).get("count", 0)):
            raise Conflict("this account still has posts: delete them first (or ask an admin to give them to "
                           "another author); then delete the account")
        # Revoke every token first: nothing new is written in the account's name while its data goes.
        version = principal.version
        self.table.write(update(keys.user(username), "SET deleting = :now ADD token_version :one",
                                "token_version = :v" if version else
                                "attribute_exists(PK) AND (attribute_not_exists(token_version) OR token_version = :v)",
                                refusal=Unauthenticated(REVOKED), now=clock.now_iso(), one=1, v=version))
        self.commenter_comments.forget("user:" + username.casefold(), fields["comments"], {"author_user": username})
        self._forget_favorites(username)
        self._forget_follows(username)
        self._forget_votes("user:" + username.casefold())
        self._reactions().forget("user:" + username.casefold())
        self.subscriptions.forget(self.antispam.email_hashes(str(account["email"])))
        if "account_id" in account:
            from chalicelib.blog import passkeys
            passkeys.forget(self.table, str(account["account_id"]))
        try:
            self.table.transact([
                delete(keys.user(username), "token_version = :v", v=version + 1,
                       refusal=Conflict("the account changed while it was being deleted; sign in and try again")),
                delete(keys.email(account["email"]), "attribute_not_exists(PK) OR username = :u", u=username),
                delete(keys.favorites_count(username)),
                delete(keys.commenter_approved("user:" + username.casefold())),
                delete(keys.author_count(username), "attribute_not_exists(PK) OR #c = :zero", {"#c": "count"},
                       zero=0),
            ])
        except TransactionCancelled as contended:
            raise Conflict("the account changed while it was being deleted; sign in and try again") from contended

    def _forget_favorites(self, username: str) -> None:
        """Each favorite with the post's count and the user's total, in one transaction each.

        The index is eventually consistent: an entry already handled (or taken back
        meanwhile) may show again, and is passed over; a page of nothing new ends it.
        """
        for favorite in _each_once(lambda: self.table.query(keys.favorites_partition(username), index="GSI1",
                                                            limit=25).items):
            # As the reader taking it back would: the post's counts (summary item, label copies) move with it.
            with contextlib.suppress(NotFound, Conflict):  # its post deleted, or kept changing, meanwhile
                Social(self.table).unfavorite(Principal(username=username, role=READER), str(favorite["slug"]))

    def _forget_votes(self, voter: str) -> None:
        """Each vote taken back as the voter would, counts with it; as for favorites, the index may lag."""
        for vote in _each_once(lambda: self.table.query(keys.voter_partition(voter), index="GSI2", limit=25).items):
            with contextlib.suppress(Conflict):  # kept changing: it is passed over, as a favorite is
                self.votes.withdraw(voter, _slug_of(vote), str(vote["GSI2SK"]))

    def _reactions(self) -> Reactions:
        from chalicelib.blog.reactions import Reactions
        return Reactions(self.table, self.threads, self.antispam, self.settings.reactions)

    def _forget_follows(self, username: str) -> None:
        while True:
            page = self.table.query(keys.user_partition(username), sort_from=keys.FOLLOWS_PREFIX,
                                    sort_to=keys.FOLLOWS_PREFIX + END, limit=100)
            if not page.items:
                return
            self.table.batch_delete([{"PK": i["PK"], "SK": i["SK"]} for i in page.items])

    # -- an anonymous commenter, by mailed link ----------------------------------------

    def request(self, payload: Any, address: str) -> dict[str, Any]:
        """Record a request for a link; the same answer whether the address has comments or not."""
        fields = read_fields(payload, REQUEST_FIELDS)
        self._limit("address|" + address, REQUEST_RATE_LIMIT, "personal-data requests from one address")
        request_id = new_ulid()
        self.table.write(put({**keys.data_request(request_id), "request_id": request_id, "email": fields["email"],
                              "action": fields["action"], "ttl": clock.epoch() + REQUEST_TTL_SECONDS}))
        return {"detail": "If this address wrote comments here, a link to "
                          f"{'export' if fields['action'] == EXPORT else 'delete'} them is on its way to it. "
                          f"It works for {LINK_SECONDS // 3600} hours."}

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """From the table's stream: mail the link each new request calls for; returns how many went out."""
        return sum(self._mail_link(request) for request in mailed_requests.each_new(records, keys.DATA_REQUEST_PREFIX))

    def _mail_link(self, request: Item) -> int:
        if not mailed_requests.claim(self.table, self.notifications, request, "personal-data links"):
            return 0
        address = str(request["email"])
        rekeying.carry_over_email(self.table, self.antispam, address)  # after a HASH_KEY rotation: found again
        digest = self.antispam.email_hash(address)
        if (not self.commenter_comments.entries("email:" + digest, 1).items
                and not self.subscriptions.of_address([digest], limit=1)):
            return 0  # nothing of theirs here: nothing to send (the requester heard the same either way)
        return mailed_requests.send_within_limit(
            self.notifications, address, "data-requests", "personal-data link",
            lambda: self.link_message(address, str(request["action"]), str(request["request_id"])))

    def link_token(self, email_hash: str, action: str, request_id: str, expires: int) -> str:
        code = action[0]
        signature = signing.sign(self.link_key, _LINK_PURPOSE, email_hash, code, request_id, str(expires),
                                 size=_SIGNATURE_BYTES)
        return f"{email_hash}.{code}.{request_id}.{expires}.{signature}"

    def link_message(self, address: str, action: str, request_id: str) -> EmailMessage:
        from email import policy
        from email.message import EmailMessage

        expires = clock.epoch() + LINK_SECONDS
        token = self.link_token(self.antispam.email_hash(address), action, request_id, expires)
        link = mail.link(self.settings, "/data-requests/confirm", token=token)
        what = "download the comments" if action == EXPORT else "delete the comments"
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = address
        message["Subject"] = "Your comments on this blog" if action == EXPORT else "Deleting your comments"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(
            f"Someone, we hope you, asked to {what} written here with this address.\n\n"
            f"Open this link within {LINK_SECONDS // 3600} hours to {action} them: {link}\n\n"
            "If it was not you, do nothing: nothing changes.\n", cte="quoted-printable")
        return message

    def check_link(self, token: str | None) -> Link:
        """What a genuine, unexpired link says; refuses anything else (403)."""
        if not token:
            raise BadRequest("the link lacks its token", {"token": ["is required"]})
        shape = _LINK.match(token)
        if shape is None or not signing.verify(self.link_key, shape[5], _LINK_PURPOSE, *shape.group(1, 2, 3, 4),
                                               size=_SIGNATURE_BYTES):
            raise Forbidden("this link is not valid; use the one from the e-mail")
        if int(shape[4]) < clock.epoch():
            raise Forbidden("this link has expired; ask for a new one")
        return Link(shape[1], EXPORT if shape[2] == "e" else DELETE, shape[3], int(shape[4]))

    def show_link(self, token: str | None, address: str) -> Link:
        """The link's page: checked, counted, nothing changed."""
        link = self.check_link(token)
        self._limit("address|" + address, EXPORT_RATE_LIMIT, "personal-data pages from one address")
        return link

    def act_on_link(self, params: Mapping[str, str] | None, address: str) -> dict[str, Any]:
        """The link's button: a page of the export, or the deletion (once) with the choice it names."""
        query = dict(params or {})
        link = self.check_link(query.get("token"))
        self._limit("address|" + address, EXPORT_RATE_LIMIT, "personal-data pages from one address")
        identity = "email:" + link.email_hash
        if link.action == EXPORT:
            limit = page_limit(query.get("limit"))
            scope = f"export|email|{link.email_hash}"
            start = cursors.decode(query.get("cursor"), scope, self.cursor_key)
            items, last = self.commenter_comments.page(identity, limit, start)
            # Thread subscriptions (a handful per address) come whole, with the first page.
            return {"action": EXPORT, "comments": items,
                    "subscriptions": [] if start else self.subscriptions.of_address([link.email_hash]),
                    "next_cursor": cursors.encode(last, scope, self.cursor_key)}
        choice = read_fields({"comments": query.get("comments")}, {"comments": _CHOICE})["comments"]
        try:
            self.table.write(put({**keys.data_link_used(link.request_id), "at": clock.now_iso(),
                                  "ttl": link.expires + 3600}, "attribute_not_exists(PK)",
                                 refusal=Forbidden("this link was used already; ask for a new one")))
        except ConditionFailed:
            raise Forbidden("this link was used already; ask for a new one") from None
        count = self.commenter_comments.forget(identity, choice, {"email_hash": link.email_hash})
        self.table.batch_delete([keys.commenter_approved(identity), keys.email_confirmed(link.email_hash)])
        self.subscriptions.forget([link.email_hash])
        return {"action": DELETE, "comments": choice, "count": count}
