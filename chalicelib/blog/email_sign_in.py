"""Sign-in by a mailed link, from the comment widget: no password, one use, and a reader account on first use.

``POST /auth/email-link`` records a request (SIGNINREQ#<ulid>, expiring) and answers the same
202 whether or not the address has an account; it is limited per client address and per
recipient, as password reset is. The table's stream mails the link (within the address's
daily bucket for sign-in links) and keeps what the link stands for in SIGNINLINK#<ulid>: the
address, the page to return to, and the account it was mailed for (its immutable id and
token_version), if any. The token in the link only names that item and its expiry, signed with
a key derived from MAIL_LINK_KEY, so no address travels in a URL.

The link's page (on API_URL) changes nothing, since mail scanners open links; its button leads
back to the blog's page with the token in the fragment (``#blog-signin=<token>``), which no
server, log or Referer ever sees. The widget there takes it out of the address bar and POSTs
it to ``/auth/email-link/session``, which deletes the link item in the transaction that signs
in (so it works once) and answers a session. First use makes a reader account, with a name the
person chooses (the widget asks): a name made from the address would show part of it on every
comment. A link mailed for an account refuses once that account is deleted (its id is gone) or
signed out everywhere (its version moved on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import mail, signing
from chalicelib.blog import clock, mailed_requests, records
from chalicelib.blog.accounts import Username
from chalicelib.blog.antispam import AntiSpam, rate_window
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.tokens import READER, is_named_admin
from chalicelib.blog.validation import Email, Field, Text, Url, read_fields
from chalicelib.errors import BadRequest, Conflict, Forbidden, Invalid
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, check, delete, put

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.blog.accounts import Accounts

LINK_SECONDS = 30 * 60
REQUEST_TTL_SECONDS = 3600
# Requests per hour from one client address, and for one recipient (whatever address asks): as password reset.
ADDRESS_LIMIT = (10, 3600)
RECIPIENT_LIMIT = (3, 3600)
MAX_RETURN_URL = 1000
REQUEST_FIELDS = {"email": Field(Email(allow_blank=False), required=True), "return_to": Field(Url(MAX_RETURN_URL))}
# The token from the link; the name a new reader chooses (as at sign-up), needed only when the address has no account.
SESSION_FIELDS = {"token": Field(Text(200, min_length=1), required=True), "username": Field(Username(32))}
# Where the link's page sends the person back: the widget reads the token from this fragment.
FRAGMENT = "blog-signin="
_PURPOSE = "email-sign-in"
_SIGNATURE_BYTES = 16
# "<link id (ULID)>.<expiry>.<HMAC, 16 bytes, base64url>"
_TOKEN = lazy(r"^([0-9A-Z]{26})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
INVALID = "this sign-in link is not valid; use the one from the e-mail, or ask for a new one"
SPENT = "this sign-in link no longer works: it was used, or the account signed out everywhere since; ask for a new one"
GONE = ("this sign-in link was mailed for an account that no longer exists, or no longer has this address; "
        "ask for a new one")
CHOOSE_NAME = ("choose the name your comments will carry: 3 to 32 letters, digits, '.', '_' or '-' "
               "(this address has no account yet)")


class EmailSignIn:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, notifications: Notifications,
                 accounts: Accounts) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.notifications = notifications
        self.accounts = accounts
        self.key = signing.derive_key(settings.mail_link_key, "email-sign-in-links")

    # -- asking for a link -------------------------------------------------------------

    def request(self, payload: Any, address: str) -> dict[str, Any]:
        """Record a request for a link; the same answer whether the address has an account or not."""
        fields = read_fields(payload, REQUEST_FIELDS)
        email = fields["email"]
        return_to = self.return_url(fields.get("return_to") or self.settings.site_url)
        now = clock.epoch()
        for subject, limit, what in (("address|" + address, ADDRESS_LIMIT, "sign-in link requests from one address"),
                                     ("recipient|" + email.casefold(), RECIPIENT_LIMIT,
                                      "sign-in link requests for one e-mail address")):
            window = keys.sign_in_rate_window(self.antispam.address_hash(subject), now // limit[1])
            self.table.write(rate_window(window, limit, what, now))
        self.table.write(put(records.sign_in_request(new_ulid(), email, return_to, now + REQUEST_TTL_SECONDS)))
        return {"detail": f"A link to sign in is on its way to {email}. It works once, for {LINK_SECONDS // 60} "
                          "minutes, in this browser or another."}

    def return_url(self, raw: str) -> str:
        return return_url(self.settings, raw)

    # -- from the table's stream -------------------------------------------------------

    def handle(self, records_: Iterable[Mapping[str, Any]]) -> int:
        """Mail the link each new request calls for; returns how many went out."""
        return sum(self._mail_link(request)
                   for request in mailed_requests.each_new(records_, keys.SIGN_IN_REQUEST_PREFIX))

    def _mail_link(self, request: Item) -> int:
        if not mailed_requests.claim(self.table, self.notifications, request, "sign-in links"):
            return 0
        email = str(request["email"])
        pointer = self.table.get(keys.email(email))
        account = self.table.get(keys.user(str(pointer["username"]))) if pointer else None
        if account is not None and "account_id" not in account:
            account = None  # an account from before ids: it signs in with its password once first (accounts.py)
        link_id = str(request["PK"]).removeprefix(keys.SIGN_IN_REQUEST_PREFIX)
        expires = clock.epoch() + LINK_SECONDS
        self.table.write(put(records.sign_in_link(link_id, str(account["email"]) if account else email,
                                                  str(request["return_to"]), expires, account)))
        return mailed_requests.send_within_limit(self.notifications, email, "sign-in-links", "sign-in link",
                                                 lambda: self.message(email, self.token(link_id, expires), account))

    def token(self, link_id: str, expires: int) -> str:
        return f"{link_id}.{expires}.{signing.sign(self.key, _PURPOSE, link_id, str(expires), size=_SIGNATURE_BYTES)}"

    def message(self, email: str, token: str, account: Item | None) -> EmailMessage:
        from email import policy
        from email.message import EmailMessage

        link = mail.link(self.settings, "/auth/email-link/confirm", token=token)
        who = (f"as {account['username']}" if account
               else "(the first time, you choose the name your comments will carry)")
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = email
        message["Subject"] = "Your link to sign in"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(
            f"Someone, we hope you, asked to sign in to {self.settings.site_url} with this address.\n\n"
            f"Open this link within {LINK_SECONDS // 60} minutes to sign in {who}: {link}\n\n"
            "It works once. If it was not you, do nothing: nobody is signed in without it.\n", cte="quoted-printable")
        return message

    # -- the link ----------------------------------------------------------------------

    def check(self, token: str | None) -> tuple[str, Item]:
        """A genuine, unexpired link that was not used yet: its id and what it stands for; else 400 or 403."""
        if not token:
            raise BadRequest("the link lacks its token", {"token": ["is required"]})
        shape = _TOKEN.match(token)
        if shape is None or not is_ulid(shape[1]) or not signing.verify(
                self.key, shape[3], _PURPOSE, shape[1], shape[2], size=_SIGNATURE_BYTES):
            raise Forbidden(INVALID)
        if int(shape[2]) < clock.epoch():
            raise Forbidden("this sign-in link has expired; ask for a new one")
        link = self.table.get(keys.sign_in_link(shape[1]))
        if link is None:
            raise Forbidden(SPENT)
        return shape[1], link

    def page_target(self, token: str | None) -> str:
        """Where the link's page leads: back to the blog's page, the token in the fragment."""
        _, link = self.check(token)
        return f"{link['return_to']}#{FRAGMENT}{token}"

    def sign_in(self, payload: Any) -> dict[str, Any]:
        """The link used: a session for its account (or a new reader's); the link item goes in the same write."""
        fields = read_fields(payload, SESSION_FIELDS)
        link_id, link = self.check(fields["token"])
        spent = Forbidden(SPENT)
        used = delete(keys.sign_in_link(link_id), "attribute_exists(PK)", refusal=spent)
        pointer = self.table.get(keys.email(str(link["email"])))
        account = self.table.get(keys.user(str(pointer["username"]))) if pointer else None
        if "account_id" in link:
            if account is None or account.get("account_id") != link["account_id"]:
                raise Forbidden(GONE)
            if int(account.get("token_version", 0)) != int(link["token_version"]):
                raise spent
        if account is not None:
            if "account_id" not in account:
                raise Conflict("this account is older than sign-in links: sign in with its password once first")
            # The account as the link found it: not deleted, not signed out everywhere meanwhile.
            version = int(account.get("token_version", 0))
            same = ("token_version = :v" if version
                    else "(attribute_not_exists(token_version) OR token_version = :v)")
            self._transact([used, check(keys.user(str(account["username"])), f"account_id = :id AND {same}",
                                        refusal=spent, id=account["account_id"], v=version)])
            return self.accounts.session(account)
        return self._new_reader(str(link["email"]), fields.get("username"), used)

    def _new_reader(self, email: str, username: str | None, used: Write) -> dict[str, Any]:
        if not username:
            raise Invalid("this address has no account yet: choose a username", {"username": [CHOOSE_NAME]})
        if is_named_admin(username, self.settings.admins):
            raise Conflict("that username is reserved for an administrator of this blog",
                           {"username": ["is reserved for an administrator of this blog"]})
        item = records.account({"username": username, "email": email, "password_hash": records.NO_PASSWORD,
                                "role": READER, "created_at": clock.now_iso()})
        taken = Conflict("that username is taken: choose another",
                         {"username": ["is taken: choose another"]})
        self._transact([used, put(item, "attribute_not_exists(PK)", refusal=taken),
                        put(records.email_claim(email, username), "attribute_not_exists(PK)",
                            refusal=Conflict("this address got an account meanwhile: open the link again"))])
        return self.accounts.session(item)

    def _transact(self, writes: list[Write]) -> None:
        try:
            self.table.transact(writes)
        except TransactionCancelled as contended:
            raise Conflict("signing in is busy right now; try again") from contended


def return_url(settings: Settings, raw: str, *also: str) -> str:
    """``raw`` if it is a page of this blog (SITE_URL's origin, one CORS_ORIGINS names, or one of ``also``), without
    its fragment.

    Anywhere else, the token the link hands over would reach whoever asked for the link for someone else's
    address: the one check that makes the return address safe to take from the request.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(raw)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {_origin(settings.site_url), *(_origin(o) for o in (*settings.cors_origins, *also) if o != "*")}
    if parts.username is not None or parts.password is not None or origin not in allowed:
        raise Invalid.field("return_to", "must be a page of this blog (on SITE_URL's origin, or one that "
                                         "CORS_ORIGINS names)")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
