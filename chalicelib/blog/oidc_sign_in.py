"""Sign-in with OpenID Connect (Google, Microsoft, Keycloak… any issuer OIDC_PROVIDERS names), from the widget or
the console.

``GET /auth/oidc/{provider}/start?return_to=…`` checks the page to return to (a page of this blog, as e-mail sign-in
does), stores the sign-in under way (OIDCSTATE#<state>, 10 minutes: its nonce, its PKCE verifier, where it returns)
bound to this browser by a cookie (only its keyed hash is stored), and sends the browser to the issuer with state,
nonce and an S256 code challenge. ``GET /auth/oidc/{provider}/callback`` takes the state back: from the browser
that started it (the cookie), for the provider it was started with, once (its item is deleted by a conditional
write before anything else is done with it). It exchanges the code with the verifier, checks the id_token
(blog/oidc_client.py), and finds the account linked to (issuer, sub), by its immutable id, never by an e-mail: an
issuer saying an address is someone's does not make it so here. The first sign-in makes a reader account, with
a free name derived from the issuer's claims, and the issuer's verified address, when no account has it: an
address that has an account already is refused (409), and its owner signs in as before.

The session goes back to the page the way a mailed link's does: the callback writes a handoff
(OIDCHANDOFF#<ulid>, 2 minutes) and redirects to the page with ``#blog-oidc=<id>.<signature>`` in the fragment,
which no server, log or Referer sees; the page POSTs it to ``/auth/oidc/session``, which deletes the handoff in the
transaction that checks the account (not deleted, not signed out everywhere meanwhile) and answers a session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import signing
from chalicelib.blog import clock, records, renames
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.oidc_client import GitHubClient, OidcClient
from chalicelib.blog.tokens import READER, is_named_admin
from chalicelib.blog.validation import Field, Text, read_fields
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Table, TransactionCancelled, check, delete, put

if TYPE_CHECKING:
    from chalicelib.blog.accounts import Accounts
    from chalicelib.oidc_providers import OidcProvider

STATE_SECONDS = 600
HANDOFF_SECONDS = 120
COOKIE = "blog_oidc_browser"
FRAGMENT = "blog-oidc="
SESSION_FIELDS = {"handoff": Field(Text(100, min_length=1), required=True)}
_RANDOM = lazy(r"^[A-Za-z0-9_-]{43}$")  # 32 random bytes, base64url
_HANDOFF = lazy(r"^([0-9A-Z]{26})\.([A-Za-z0-9_-]{22})$")
_NAME_CHARACTERS = lazy(r"[^A-Za-z0-9_.-]+")
_USERNAME = lazy(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
NAME_ATTEMPTS = 6
SPENT = "this sign-in was finished already, or started too long ago: start again from the blog"
HANDOFF_SPENT = "this sign-in was used already, or the account signed out everywhere since: sign in again"


class OidcSignIn:
    def __init__(self, table: Table, settings: Settings, accounts: Accounts,
                 return_url: Callable[[str], str]) -> None:
        self.table = table
        self.settings = settings
        self.accounts = accounts
        self.return_url = return_url
        self.client = OidcClient()
        self.key = signing.derive_key(settings.mail_link_key, "oidc-sign-in")

    def providers(self) -> dict[str, Any]:
        return {"providers": [{"name": p.name, "display_name": p.display_name} for p in self.settings.oidc_clients]}

    def provider(self, name: str) -> OidcProvider:
        found = next((p for p in self.settings.oidc_clients if p.name == name), None)
        if found is None:
            raise NotFound(f"no sign-in provider is called {name[:40]!r} here")
        return found

    def redirect_uri(self, provider: OidcProvider) -> str:
        """The address to register with the issuer: the callback on the API's public base."""
        return f"{self.settings.api_url}/auth/oidc/{provider.name}/callback"

    # -- to the issuer ---------------------------------------------------------------------

    def start(self, name: str, params: Mapping[str, str], cookie: str | None) -> tuple[str, str]:
        """Where to send the browser, and the cookie that binds the sign-in to it (the one it has, if any)."""
        provider = self.provider(name)
        return_to = self.return_url(params.get("return_to") or self.settings.site_url)
        browser = cookie if cookie and _RANDOM.match(cookie) else secrets.token_urlsafe(32)
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        if provider.kind == "github":
            target = GitHubClient().authorization_url(provider, self.redirect_uri(provider), state, verifier)
        else:
            target = self.client.authorization_url(provider, self.redirect_uri(provider), state, nonce, verifier)
        bound = signing.sign(self.key, "browser", browser, size=16)
        self.table.write(put(records.oidc_state(state, provider.name, nonce, verifier, bound, return_to,
                                                clock.epoch() + STATE_SECONDS)))
        return target, browser

    # -- back from the issuer --------------------------------------------------------------

    def callback(self, name: str, params: Mapping[str, str], cookie: str | None) -> str:
        """The page to return to, with the handoff in its fragment, once the issuer's answer holds up."""
        provider = self.provider(name)
        state = params.get("state") or ""
        if not _RANDOM.match(state):
            said = f" (it said {params['error'][:100]})" if "error" in params else ""
            raise BadRequest(f"this answer from {provider.display_name}{said} lacks the state this blog sent; "
                             "start again", {"state": ["is missing or malformed"]})
        pending = self.table.get(keys.oidc_state(state))
        if pending is None or int(pending["ttl"]) < clock.epoch():
            raise Forbidden(SPENT)
        if not cookie or not signing.verify(self.key, str(pending["browser"]), "browser", cookie, size=16):
            raise Forbidden("this sign-in was started in another browser (or its cookie was refused): start again "
                            "from the blog in this one")
        if pending["provider"] != provider.name:
            raise Forbidden(f"this sign-in was started with another provider than {provider.display_name}")
        # Once: whatever follows, this state is spent.
        self.table.write(delete(keys.oidc_state(state), "attribute_exists(PK)", refusal=Forbidden(SPENT)))
        if "error" in params:
            error = params["error"][:100]
            raise Forbidden(f"{provider.display_name} did not sign you in ({error}); start again if you want to",
                            {"error": [error]})
        if "iss" in params and params["iss"] != provider.issuer:
            raise Forbidden(f"this answer names another issuer than {provider.display_name} (RFC 9207)")
        code = params.get("code") or ""
        if not 0 < len(code) <= 2048:
            raise BadRequest(f"{provider.display_name}'s answer lacks its code", {"code": ["is required"]})
        if provider.kind == "github":
            claims = GitHubClient().claims(provider, code, self.redirect_uri(provider), str(pending["verifier"]))
        else:
            id_token = self.client.exchange(provider, code, self.redirect_uri(provider), str(pending["verifier"]))
            claims = self.client.claims(provider, id_token, str(pending["nonce"]), clock.epoch())
        account = self._account(provider, claims)
        handoff_id = new_ulid()
        self.table.write(put(records.oidc_handoff(handoff_id, account, clock.epoch() + HANDOFF_SECONDS)))
        signature = signing.sign(self.key, "handoff", handoff_id, size=16)
        return f"{pending['return_to']}#{FRAGMENT}{handoff_id}.{signature}"

    def _account(self, provider: OidcProvider, claims: Mapping[str, Any]) -> Mapping[str, Any]:
        """The account linked to the issuer's subject; on first use, a new reader's."""
        issuer, subject = provider.issuer, str(claims["sub"])
        linked = self.table.get(keys.identity(issuer, subject))
        if linked is not None:
            # The name it was linked under, or the account that name became: a rename keeps the link.
            account = renames.account_named(self.table, str(linked["username"]))
            if account is not None and account.get("account_id") == linked["account_id"]:
                return account
        # No account, or the one it named was deleted: a new account, whose identity replaces the stale link.
        return self._new_reader(provider, claims, linked)

    def _new_reader(self, provider: OidcProvider, claims: Mapping[str, Any],
                    stale: Mapping[str, Any] | None) -> Mapping[str, Any]:
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True or not 3 <= len(email) <= 254 \
                or "@" not in email:
            raise Forbidden(f"{provider.display_name} did not share a verified e-mail address, which a new account "
                            "here needs; allow it, or sign in by e-mail instead")
        if self.table.get(keys.email(email)) is not None:
            raise Conflict(f"an account here already has the address {provider.display_name} gave: sign in to it "
                           "as before (by e-mail link or password). An issuer's word does not open an existing "
                           "account", {"email": ["has an account already"]})
        linked = ("attribute_not_exists(PK) OR account_id = :stale", {"stale": stale["account_id"]}) if stale \
            else ("attribute_not_exists(PK)", {})
        taken = Conflict("that username is taken")
        for username in _names(claims, self.settings.admins):
            # The account names its identities, so that deleting it deletes them (personal_data.py).
            item = records.account({"username": username, "email": email, "password_hash": records.NO_PASSWORD,
                                    "role": READER, "created_at": clock.now_iso(),
                                    "identities": [{"issuer": provider.issuer, "subject": str(claims["sub"])}]})
            identity = records.identity(provider.issuer, str(claims["sub"]), provider.name, item, clock.now_iso())
            try:
                self.table.transact([
                    put(item, "attribute_not_exists(PK)", refusal=taken),
                    put(records.email_claim(email, username), "attribute_not_exists(PK)",
                        refusal=Conflict("this address got an account meanwhile: start again")),
                    put(identity, linked[0], refusal=Conflict("this identity got an account meanwhile: start again"),
                        **linked[1])])
            except Conflict as refused:
                if refused is taken:
                    continue
                if isinstance(refused, TransactionCancelled):
                    raise Conflict("signing in is busy right now; try again") from refused
                raise
            return item
        raise Conflict("no free username could be made from what the provider shared; sign in by e-mail and choose "
                       "one")

    # -- back on the page ------------------------------------------------------------------

    def sign_in(self, payload: Any) -> dict[str, Any]:
        """The handoff traded for a session, once; the account must be as the callback left it."""
        handoff = read_fields(payload, SESSION_FIELDS)["handoff"]
        shape = _HANDOFF.match(handoff)
        if shape is None or not is_ulid(shape[1]) or not signing.verify(self.key, shape[2], "handoff", shape[1],
                                                                          size=16):
            raise Forbidden("this sign-in hand-off is not valid: sign in again")
        found = self.table.get(keys.oidc_handoff(shape[1]))
        if found is None or int(found["ttl"]) < clock.epoch():
            raise Forbidden(HANDOFF_SPENT)
        account = renames.account_named(self.table, str(found["username"]))  # renamed since the callback, too
        spent = Forbidden(HANDOFF_SPENT)
        if account is None or account.get("account_id") != found["account_id"]:
            raise spent
        version = int(found["token_version"])
        same = "token_version = :v" if version else "(attribute_not_exists(token_version) OR token_version = :v)"
        try:
            self.table.transact([delete(keys.oidc_handoff(shape[1]), "attribute_exists(PK)", refusal=spent),
                                 check(keys.user(str(account["username"])), f"account_id = :id AND {same}",
                                       refusal=spent, id=account["account_id"], v=version)])
        except TransactionCancelled as contended:
            raise Conflict("signing in is busy right now; try again") from contended
        return self.accounts.session(account)


def _names(claims: Mapping[str, Any], admins: frozenset[str]) -> list[str]:
    """Usernames to try, best first: the issuer's preferred username or nickname (handles the person chose to show),
    made of the characters a username allows, then with a number; without one, ``reader-<number>``. Never the
    address's local part or the person's real name, which every comment would show; never a name BLOG_ADMINS
    reserves."""
    base = ""
    for source in (claims.get("preferred_username"), claims.get("nickname")):
        if isinstance(source, str):
            cleaned = _NAME_CHARACTERS.sub("-", source).strip("-._")[:26]
            if _USERNAME.match(cleaned):
                base = cleaned
                break
    numbered = [f"{base or 'reader'}-{secrets.randbelow(100_000)}" for _ in range(NAME_ATTEMPTS)]
    return [name for name in ([base] if base else []) + numbered if not is_named_admin(name, admins)]
