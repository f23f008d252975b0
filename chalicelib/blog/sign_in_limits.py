"""Limits on signing up and signing in: fixed windows counted by conditional ADDs, expiring by TTL.

Failed logins are counted twice, per account (by a keyed hash of the e-mail typed,
whether or not it has an account, so a refusal tells nothing about that) and per
source address. A login first claims a slot in both windows, in one transaction,
before the password is checked; a login that succeeds gives its slots back, so only
failures stay counted, and logins sent together cannot all be checked against a
window that none of them has counted yet. A refused claim adds nothing, so hammering
a full window does not make it last longer: every window lapses at its end.

Sign-ups are counted per address, every attempt (a sign-up refused because the
e-mail is taken counts too: probing for registered addresses is what it limits),
in a write of their own before the password is hashed.
"""

from __future__ import annotations

from typing import Final

from chalicelib import signing
from chalicelib.blog.antispam import rate_window
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Table, update

_HASH_BYTES = 16


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class LoginClaim:
    """The window items a login attempt counted itself in; given back when it succeeds."""

    __slots__ = ("windows",)

    def __init__(self, windows: tuple[Key, ...]) -> None:
        self.windows: Final = windows


class SignInLimits:
    def __init__(self, table: Table, settings: Settings) -> None:
        self.table = table
        self.settings = settings
        self.key = signing.derive_key(settings.hash_key, "sign-in-limits")

    def _hash(self, kind: str, value: str) -> str:
        return signing.keyed_hash(self.key, kind, value, size=_HASH_BYTES)

    def claim_login(self, email: str, address: str, now: int) -> LoginClaim:
        """Count an attempt for the account and the address; 429 when either window is full."""
        account_limit, address_limit = self.settings.login_account_limit, self.settings.login_address_limit
        account = keys.login_failures("E" + self._hash("email", email.casefold()), now // account_limit[1])
        source = keys.login_failures("A" + self._hash("address", address), now // address_limit[1])
        self.table.transact([
            rate_window(account, account_limit, "failed sign-ins to this account", now),
            rate_window(source, address_limit, "failed sign-ins from your address", now),
        ])
        return LoginClaim((account, source))

    def release(self, claim: LoginClaim) -> None:
        """Give back a successful login's slots: the windows count failures only."""
        self.table.transact([update(window, "ADD #n :less", None, {"#n": "count"}, less=-1)
                             for window in claim.windows])

    def claim_signup(self, address: str, now: int) -> None:
        """Count a sign-up attempt from ``address``; 429 when its window is full."""
        limit = self.settings.signup_rate_limit
        window = keys.signup_rate_window(self._hash("address", address), now // limit[1])
        self.table.write(rate_window(window, limit, "sign-ups from your address", now))

