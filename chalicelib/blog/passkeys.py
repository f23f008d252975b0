"""Passkeys (WebAuthn): a signed-in account adds one, anyone signs in with one, an account lists and removes its own.

Each ceremony starts with options that carry a fresh 32-byte challenge, kept in PASSKEYCEREMONY#<ulid> for
CEREMONY_SECONDS (TTL, and checked here: TTL deletion lags). Its answer names the ceremony, and the write that
accepts the answer deletes the ceremony item on condition that it still exists, so each challenge works once. A
registration's ceremony is bound to the account and the token_version that asked for it: a token of another
account, or one from before a sign-out everywhere, cannot finish it. Adding a passkey needs a sign-in within
RECENT_SIGN_IN_SECONDS, as changing the password does: a token found in a browser's storage cannot plant a
lasting way in.

py_webauthn checks the rest: the challenge, the origin (one of the settings' origins), the RP ID's hash, the
user-presence flag, the signature over authenticator data and client data, and the signature counter, which must
grow when the authenticator keeps one (a counter that goes back means a cloned authenticator: refused). The
stored counter moves in the transaction that signs in, on condition that it is still the one read, so two uses
of one answer cannot both pass.

The library (and cryptography, which it brings) is imported inside the methods that need it: most requests never
touch passkeys, and the cold start does not pay for them (bench/coldstart.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import signin_libs
from chalicelib.blog import clock, records, renames
from chalicelib.blog.accounts import RECENT_SIGN_IN_SECONDS, Accounts
from chalicelib.blog.antispam import AntiSpam, rate_window
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.tokens import Principal, current_principal
from chalicelib.blog.validation import Field, FieldError, Text, page_limit, read_fields, read_query
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthenticated
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, check, delete, put, update

signin_libs.load()  # the sign-in libraries' folder in the package, before any import of them (Lambda)

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

CEREMONY_SECONDS = 5 * 60
MAX_PASSKEYS = 10
# Sign-in options handed to one client address per window: each writes a ceremony item.
OPTIONS_LIMIT = (30, 600)
# WebAuthn's own limit on a credential id is 1023 bytes; the rest are generous for real authenticators.
_LIMITS = {"id": 1400, "rawId": 1400, "clientDataJSON": 4000, "authenticatorData": 4000, "signature": 1400,
           "userHandle": 200, "attestationObject": 24000}
# Base64url without padding: no length leaves one character over (as the OpenAPI document's pattern says).
_BASE64URL = lazy(r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?")
_LOCALHOST = lazy(r"^http://localhost(:[0-9]{1,5})?$")


class CredentialJson:
    """The browser's PublicKeyCredential as JSON: an object here; read_credential checks each of its fields."""

    def __call__(self, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise FieldError("must be the PublicKeyCredential as JSON (an object)")
        return value


_CEREMONY = Field(Text(26, min_length=26), required=True)
REGISTER_FIELDS = {"ceremony": _CEREMONY, "credential": Field(CredentialJson(), required=True),
                   "name": Field(Text(64))}
SIGN_IN_FIELDS = {"ceremony": _CEREMONY, "credential": Field(CredentialJson(), required=True)}
# Hostile bytes that are valid base64url can still reach py_webauthn's parsers as a CBOR float, tag or short
# buffer; a fuzz of its two verify functions found these escaping as other than its own WebAuthnException. Each is
# a refusal of the answer, never a server error.
_LIBRARY_SLIPS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, struct.error)
GONE = "this passkey request was answered already or has expired; start again"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(value: str, name: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as bad:
        raise BadRequest(f"credential.{name} is not base64url", {f"credential.{name}": ["is not base64url"]}) from bad


def read_credential(raw: Any, response_fields: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The browser's PublicKeyCredential as JSON, each field's form checked (base64url, its length; what the
    OpenAPI document states), nothing else kept."""
    if not isinstance(raw, Mapping):
        raise _refuse("", "must be the PublicKeyCredential, as JSON")
    response = raw.get("response")
    if not isinstance(response, Mapping):
        raise _refuse("response", "must be an object")
    if raw.get("type") != "public-key":
        raise _refuse("type", "must be public-key")
    fields = {name: raw.get(name) for name in ("id", "rawId")}
    fields.update({name: response.get(name) for name in (*response_fields, *optional)})
    for name, value in fields.items():
        if value is None and name in optional:
            continue
        if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
            raise _refuse(name, "must be base64url")
        if len(value) > _LIMITS[name] or (not value and name not in optional):
            raise _refuse(name, f"must be 1 to {_LIMITS[name]} characters")
    return {"id": fields["id"], "rawId": fields["rawId"], "type": "public-key",
            "response": {k: fields[k] for k in (*response_fields, *optional) if fields[k] is not None}}


def client_origin(credential: Mapping[str, Any]) -> str:
    """The page the browser says the answer came from, read from its client data (py_webauthn checks the rest)."""
    if credential["id"] != credential["rawId"]:
        raise _refuse("rawId", "must be the same as id")
    try:
        client_data = json.loads(_unb64(str(credential["response"]["clientDataJSON"]), "clientDataJSON"))
    except (UnicodeDecodeError, ValueError, RecursionError) as bad:
        raise _refuse("clientDataJSON", "is not JSON") from bad
    if not isinstance(client_data, dict) or not isinstance(client_data.get("origin"), str):
        raise _refuse("clientDataJSON", "has no origin")
    return str(client_data["origin"])[:200]


def _refuse(name: str, message: str) -> BadRequest:
    return BadRequest(f"credential.{name} {message}", {f"credential.{name}": [message]})


def passkey_view(item: Item) -> dict[str, Any]:
    return {"id": item["credential_id"], "name": item.get("name") or "", "created_at": item["created_at"],
            "last_used_at": item.get("last_used_at"), "backed_up": bool(item.get("backed_up", False))}


def of_account(table: Table, account_id: str, limit: int, start: dict[str, str] | None = None) -> tuple[
        list[Item], dict[str, str] | None]:
    """One page of an account's passkeys, oldest first (for its list and its own data's export)."""
    page = table.query(keys.passkeys_partition(account_id), index="GSI1", limit=limit, start_key=start)
    return page.items, page.last_key


def forget(table: Table, account_id: str) -> None:
    """Every passkey of an account (its deletion). The index may lag a passkey added a moment ago; such a one can
    never sign in, since sign-in checks the account's immutable id."""
    while True:
        items, _ = of_account(table, account_id, 25)
        if not items:
            return
        table.batch_delete([{"PK": i["PK"], "SK": i["SK"]} for i in items])


class Passkeys:
    def __init__(self, table: Table, settings: Settings, accounts: Accounts, antispam: AntiSpam,
                 cursor_key: bytes) -> None:
        self.table = table
        self.settings = settings
        self.accounts = accounts
        self.antispam = antispam
        self.cursor_key = cursor_key
        self.rp_id = settings.passkey_rp_id.strip().lower()

    def origins(self) -> set[str]:
        """The origins passkeys may be used from: PASSKEY_ORIGINS, or the blog's and API's, on the RP ID's domain."""
        from urllib.parse import urlsplit

        named = self.settings.passkey_origins or (self.settings.site_url, self.settings.api_url,
                                                  *(o for o in self.settings.cors_origins if o != "*"))
        found = set()
        for url in named:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            if host == self.rp_id or host.endswith("." + self.rp_id):
                found.add(f"{parts.scheme}://{parts.netloc}".lower())
        return found

    def _check_origin(self, origin: str) -> str:
        if origin in self.origins() or (self.rp_id == "localhost" and _LOCALHOST.match(origin)):
            return origin
        raise Forbidden(f"this passkey was used from {origin!r}, which is not a page of this blog (PASSKEY_ORIGINS)")

    # -- ceremonies ----------------------------------------------------------------------

    def _ceremony(self, purpose: str, account: Item | None = None) -> tuple[str, bytes]:
        import secrets

        ceremony_id, challenge = new_ulid(), secrets.token_bytes(32)
        self.table.write(put(records.passkey_ceremony(ceremony_id, purpose, _b64(challenge),
                                                      clock.epoch() + CEREMONY_SECONDS, account)))
        return ceremony_id, challenge

    def _open_ceremony(self, payload: Any, purpose: str) -> tuple[str, Item, dict[str, Any], dict[str, Any]]:
        """The ceremony an answer names, still open; the answer's fields, and its credential checked for shape."""
        fields = read_fields(payload, REGISTER_FIELDS if purpose == "register" else SIGN_IN_FIELDS)
        if purpose == "register":
            credential = read_credential(fields["credential"], ("clientDataJSON", "attestationObject"))
        else:
            credential = read_credential(fields["credential"], ("clientDataJSON", "authenticatorData", "signature"),
                                         optional=("userHandle",))
        ceremony_id = fields["ceremony"]
        item = self.table.get(keys.passkey_ceremony(ceremony_id)) if is_ulid(ceremony_id) else None
        if item is None or item.get("purpose") != purpose or int(item["ttl"]) < clock.epoch():
            raise Forbidden(GONE)
        return ceremony_id, item, {"credential": credential, "origin": client_origin(credential)}, fields

    # -- adding a passkey ------------------------------------------------------------------

    def registration_options(self, principal: Principal) -> dict[str, Any]:
        """Options for navigator.credentials.create(): a discoverable credential, for this account only."""
        from webauthn import generate_registration_options, options_to_json
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        account = self._recent_account(principal)
        existing = self._descriptors(str(account["account_id"]))
        if len(existing) >= MAX_PASSKEYS:
            raise Conflict(f"this account has {MAX_PASSKEYS} passkeys, the most it may have: remove one first")
        ceremony_id, challenge = self._ceremony("register", account)
        options = generate_registration_options(
            rp_id=self.rp_id, rp_name=self.rp_id, user_name=str(account["username"]),
            user_id=str(account["account_id"]).encode("ascii"), challenge=challenge, timeout=CEREMONY_SECONDS * 1000,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED),
            exclude_credentials=existing)
        return {"ceremony": ceremony_id, "publicKey": json.loads(options_to_json(options))}

    def register(self, principal: Principal, payload: Any) -> dict[str, Any]:
        """The authenticator's answer verified: the passkey stored, the ceremony spent, in one transaction."""
        from webauthn import verify_registration_response
        from webauthn.helpers.exceptions import WebAuthnException

        account = self._recent_account(principal)
        ceremony_id, ceremony, answer, fields = self._open_ceremony(payload, "register")
        name = fields.get("name") or "Passkey"
        if ceremony.get("account_id") != account["account_id"]:
            raise Forbidden("this passkey request was started by another account")
        try:
            verified = verify_registration_response(
                credential=answer["credential"], expected_challenge=_unb64(str(ceremony["challenge"]), "challenge"),
                expected_rp_id=self.rp_id, expected_origin=self._check_origin(answer["origin"]))
        except (WebAuthnException, *_LIBRARY_SLIPS) as refused:
            raise BadRequest(f"the new passkey does not check out: {str(refused)[:300]}") from refused
        credential_id = _b64(verified.credential_id)
        if credential_id != answer["credential"]["id"]:
            raise BadRequest("credential.id is not the id the authenticator signed")
        item = records.passkey({
            "credential_id": credential_id, "account_id": account["account_id"], "username": account["username"],
            "public_key": _b64(verified.credential_public_key), "sign_count": verified.sign_count, "name": name,
            "created_at": clock.now_iso(), "backed_up": verified.credential_backed_up})
        self._transact([
            delete(keys.passkey_ceremony(ceremony_id), "attribute_exists(PK)", refusal=Forbidden(GONE)),
            put(item, "attribute_not_exists(PK)", refusal=Conflict("this passkey is registered already")),
            self._unchanged(account, int(ceremony["token_version"])),
        ])
        return passkey_view(item)

    def _recent_account(self, principal: Principal) -> Item:
        account = renames.account_named(self.table, principal.username)  # a token from before a rename too
        principal = current_principal(principal, account, self.settings.admins)
        assert account is not None
        if "account_id" not in account:
            raise Conflict("this account is older than passkeys: sign in with its password once first")
        if clock.epoch() - principal.signed_in_at > RECENT_SIGN_IN_SECONDS:
            raise Forbidden(f"adding a passkey needs a sign-in within the last {RECENT_SIGN_IN_SECONDS // 60} "
                            "minutes: sign in again, then add it")
        return account

    def _descriptors(self, account_id: str) -> list[PublicKeyCredentialDescriptor]:
        from webauthn.helpers.structs import PublicKeyCredentialDescriptor

        items, _ = of_account(self.table, account_id, MAX_PASSKEYS)
        return [PublicKeyCredentialDescriptor(id=_unb64(str(i["credential_id"]), "id")) for i in items]

    @staticmethod
    def _unchanged(account: Item, version: int) -> Write:
        """The account as the ceremony found it: not deleted, not signed out everywhere meanwhile."""
        same = "token_version = :v" if version else "(attribute_not_exists(token_version) OR token_version = :v)"
        return check(keys.user(str(account["username"])), f"account_id = :id AND {same}",
                     refusal=Forbidden("the account signed out everywhere meanwhile: sign in again"),
                     id=account["account_id"], v=version)

    # -- signing in ------------------------------------------------------------------------

    def sign_in_options(self, address: str) -> dict[str, Any]:
        """Options for navigator.credentials.get(): any passkey of this site (the authenticator offers its own)."""
        from webauthn import generate_authentication_options, options_to_json

        now = clock.epoch()
        window = keys.sign_in_rate_window(self.antispam.address_hash("passkey|" + address), now // OPTIONS_LIMIT[1])
        self.table.write(rate_window(window, OPTIONS_LIMIT, "passkey sign-ins from one address", now))
        ceremony_id, challenge = self._ceremony("sign-in")
        options = generate_authentication_options(rp_id=self.rp_id, challenge=challenge,
                                                  timeout=CEREMONY_SECONDS * 1000)
        return {"ceremony": ceremony_id, "publicKey": json.loads(options_to_json(options))}

    def sign_in(self, payload: Any) -> dict[str, Any]:
        """A session for the passkey's account, as a password sign-in gives; the ceremony and counter move at once."""
        from webauthn import verify_authentication_response
        from webauthn.helpers.exceptions import WebAuthnException

        ceremony_id, ceremony, answer, _ = self._open_ceremony(payload, "sign-in")
        credential = answer["credential"]
        unknown = Unauthenticated("this passkey is not registered here (it may have been removed): sign in "
                                  "another way")
        stored = self.table.get(keys.passkey(credential["id"]))
        if stored is None:
            raise unknown
        handle = credential["response"].get("userHandle")
        if handle and _unb64(handle, "userHandle") != str(stored["account_id"]).encode("ascii"):
            raise unknown
        # The name it was added under, or the account that name became: a rename leaves the passkey working.
        account = renames.account_named(self.table, str(stored["username"]))
        if account is None or account.get("account_id") != stored["account_id"]:
            raise Unauthenticated("this passkey's account no longer exists")
        count = int(stored["sign_count"])
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=_unb64(str(ceremony["challenge"]), "challenge"),
                expected_rp_id=self.rp_id, expected_origin=self._check_origin(answer["origin"]),
                credential_public_key=_unb64(str(stored["public_key"]), "public_key"),
                credential_current_sign_count=count)
        except (WebAuthnException, *_LIBRARY_SLIPS) as refused:
            if "sign count" in str(refused):
                raise Forbidden("this passkey's signature counter went back, as a copied authenticator's would: "
                                "refused; remove the passkey and add it again if this authenticator is yours"
                                ) from refused
            raise Unauthenticated(f"the passkey's answer does not check out: {str(refused)[:300]}") from refused
        version = int(account.get("token_version", 0))
        self._transact([
            delete(keys.passkey_ceremony(ceremony_id), "attribute_exists(PK)", refusal=Forbidden(GONE)),
            update(keys.passkey(credential["id"]), "SET sign_count = :new, last_used_at = :now, backed_up = :b",
                   "sign_count = :old AND account_id = :id", refusal=Forbidden(GONE), new=verified.new_sign_count,
                   now=clock.now_iso(), b=verified.credential_backed_up, old=count, id=stored["account_id"]),
            self._unchanged(account, version),
        ])
        return self.accounts.session(account)

    # -- one's own passkeys ----------------------------------------------------------------

    def listing(self, principal: Principal, params: Mapping[str, str] | None) -> dict[str, Any]:
        query = read_query(params, ("limit", "cursor"))
        account_id = self._current_id(principal)
        scope = "passkeys|" + account_id
        items, last = of_account(self.table, account_id, page_limit(query.get("limit")),
                                 cursors.decode(query.get("cursor"), scope, self.cursor_key))
        return {"items": [passkey_view(i) for i in items], "next_cursor": cursors.encode(last, scope, self.cursor_key)}

    def remove(self, principal: Principal, credential_id: str) -> None:
        """Remove one of one's passkeys; another account's, or none, is the same 404."""
        account_id = self._current_id(principal)
        missing = NotFound("you have no passkey with this id")
        if not _BASE64URL.fullmatch(credential_id) or not 0 < len(credential_id) <= _LIMITS["id"]:
            raise missing
        self.table.write(delete(keys.passkey(credential_id), "account_id = :id", refusal=missing, id=account_id))

    def _current_id(self, principal: Principal) -> str:
        account = renames.account_named(self.table, principal.username)  # a token from before a rename too
        current_principal(principal, account, self.settings.admins)
        assert account is not None
        if "account_id" not in account:
            return "-"  # an account older than ids has no passkeys (adding one needs an id)
        return str(account["account_id"])

    def _transact(self, writes: list[Write]) -> None:
        try:
            self.table.transact(writes)
        except TransactionCancelled as contended:
            raise Conflict("passkeys are busy right now; try again") from contended
