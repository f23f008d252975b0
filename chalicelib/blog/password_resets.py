"""Password reset by a mailed link: for whoever forgot theirs, and for accounts that moved in without one.

``POST /auth/password-reset`` records a request (RESETREQ#<ulid>, expiring) and answers the
same 202 whether or not the address has an account; it is limited per address and per
recipient, so nobody can fill someone's inbox. The table's stream mails the link, only when
the address has an account, within the address's daily mail limit.

The link names the account (its username and immutable id) and the token_version it was
issued at, expires within the hour, and is signed with a key derived from MAIL_LINK_KEY.
Setting the password moves the version on, so a link works once, and any later change of
the version (another new password, signing out everywhere, a role change) ends every link
mailed before it. Its page changes nothing (mail scanners open links); its form POSTs the
new password (Accounts.reset_password).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import mail, signing
from chalicelib.blog import clock, mailed_requests
from chalicelib.blog.accounts import valid_username
from chalicelib.blog.antispam import AntiSpam, rate_window
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.validation import Email, Field, read_fields
from chalicelib.errors import BadRequest, Forbidden
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, put

if TYPE_CHECKING:
    from email.message import EmailMessage


LINK_SECONDS = 3600
REQUEST_TTL_SECONDS = 3600
# Requests per hour from one address, and for one recipient (whatever address asks).
ADDRESS_LIMIT = (10, 3600)
RECIPIENT_LIMIT = (3, 3600)
REQUEST_FIELDS = {"email": Field(Email(allow_blank=False), required=True)}
_PURPOSE = "password-reset"
_SIGNATURE_BYTES = 16
# "<username>.<account id>.<token_version>.<expiry>.<HMAC, 16 bytes, base64url>": a username may hold
# dots, so the token is read from the right.
_TAIL = lazy(r"^([0-9A-Z]{26})\.([0-9]{1,9})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
INVALID = "this link is not valid; use the one from the e-mail, or ask for a new one"
SPENT = "this link no longer works: it was used, or the password changed since; ask for a new one"


class ResetLink:
    """What a verified link says: whose account, at which token_version."""

    __slots__ = ("account_id", "expires", "username", "version")

    def __init__(self, username: str, account_id: str, version: int, expires: int) -> None:
        self.username = username
        self.account_id = account_id
        self.version = version
        self.expires = expires


class PasswordResets:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, notifications: Notifications) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.notifications = notifications
        self.key = signing.derive_key(settings.mail_link_key, "password-reset-links")

    def request(self, payload: Any, address: str) -> dict[str, Any]:
        """Record a request for a link; the same answer whether the address has an account or not."""
        email = read_fields(payload, REQUEST_FIELDS)["email"]
        now = clock.epoch()
        for subject, limit, what in (("address|" + address, ADDRESS_LIMIT, "password-reset requests from one address"),
                                     ("recipient|" + email.casefold(), RECIPIENT_LIMIT,
                                      "password-reset requests for one e-mail address")):
            window = keys.reset_rate_window(self.antispam.address_hash(subject), now // limit[1])
            self.table.write(rate_window(window, limit, what, now))
        request_id = new_ulid()
        self.table.write(put({**keys.reset_request(request_id), "email": email, "ttl": now + REQUEST_TTL_SECONDS}))
        return {"detail": "If this address has an account here, a link to choose a new password is on its way "
                          f"to it. It works once, for {LINK_SECONDS // 60} minutes."}

    # -- from the table's stream -------------------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Mail the link each new request calls for; returns how many went out."""
        return sum(self._mail_link(request) for request in mailed_requests.each_new(records, keys.RESET_REQUEST_PREFIX))

    def _mail_link(self, request: Item) -> int:
        if not mailed_requests.claim(self.table, self.notifications, request, "password-reset links"):
            return 0
        pointer = self.table.get(keys.email(str(request["email"])))
        account = self.table.get(keys.user(str(pointer["username"]))) if pointer else None
        if account is None or "account_id" not in account:
            return 0  # no account: nothing to send (the requester heard the same either way)
        return mailed_requests.send_within_limit(self.notifications, str(account["email"]), "password-resets",
                                                 "password-reset link", lambda: self.message(account))

    def token(self, account: Item, expires: int) -> str:
        parts = (str(account["username"]), str(account["account_id"]), str(int(account.get("token_version", 0))),
                 str(expires))
        return ".".join((*parts, signing.sign(self.key, _PURPOSE, *parts, size=_SIGNATURE_BYTES)))

    def message(self, account: Item) -> EmailMessage:
        from email import policy
        from email.message import EmailMessage

        token = self.token(account, clock.epoch() + LINK_SECONDS)
        link = mail.link(self.settings, "/auth/password-reset/confirm", token=token)
        message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
        message["From"] = self.settings.notify_from
        message["To"] = str(account["email"])
        message["Subject"] = "Choose a new password"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(
            f"Someone, we hope you, asked to choose a new password for the account {account['username']}.\n\n"
            f"Open this link within {LINK_SECONDS // 60} minutes to choose it: {link}\n\n"
            "It works once. If it was not you, do nothing: your password stays as it is.\n", cte="quoted-printable")
        return message

    # -- the link ----------------------------------------------------------------------

    def show(self, token: str | None) -> ResetLink:
        """The link's page: a genuine link that still works (one GetItem), or 403."""
        link = self.check(token)
        account = self.table.get(keys.user(link.username))
        if (account is None or account.get("account_id") != link.account_id
                or int(account.get("token_version", 0)) != link.version):
            raise Forbidden(SPENT)
        return link

    def check(self, token: str | None) -> ResetLink:
        """What a genuine, unexpired link says; refuses anything else (403). Whether it is spent, the account says."""
        if not token:
            raise BadRequest("the link lacks its token", {"token": ["is required"]})
        parts = token.rsplit(".", 4)
        if len(parts) != 5 or not valid_username(parts[0]):
            raise Forbidden(INVALID)
        shape = _TAIL.match(".".join(parts[1:]))
        if shape is None or not signing.verify(self.key, shape[4], _PURPOSE, parts[0], *shape.group(1, 2, 3),
                                               size=_SIGNATURE_BYTES):
            raise Forbidden(INVALID)
        if int(shape[3]) < clock.epoch():
            raise Forbidden("this link has expired; ask for a new one")
        return ResetLink(parts[0], shape[1], int(shape[2]), int(shape[3]))
