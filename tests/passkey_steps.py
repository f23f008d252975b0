"""A software authenticator for the passkey tests: a real P-256 key, real CBOR, real ECDSA signatures.

It answers navigator.credentials.create() and .get() as a platform authenticator would, in the JSON a browser's
PublicKeyCredential.toJSON() gives, so the server's verification (py_webauthn) runs on genuine answers. The
origin, the RP ID, the challenge and the counter can each be made wrong, one at a time, to test the refusals.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """One credential (made by ``create``), used by ``get``; its counter grows by one per use."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0
        self.user_handle = b""

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None) -> dict[str, Any]:
        """The answer to registration options (``publicKey``), with attestation "none"."""
        self.user_handle = unb64(options["user"]["id"])
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        attested = b"\x00" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([UP | UV | AT]) + struct.pack(">I", self.counter) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation),
                             "transports": ["internal"]},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def get(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
            counter: int | None = None) -> dict[str, Any]:
        """The answer to sign-in options (``publicKey``), signed with this credential's key."""
        self.counter = self.counter + 1 if counter is None else counter
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([UP | UV]) + struct.pack(">I", self.counter)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                             "signature": b64(signature), "userHandle": b64(self.user_handle)},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}


def add_passkey(api: Any, token: str, authenticator: Authenticator, name: str = "Passkey") -> dict[str, Any]:
    """Both requests of adding a passkey, answered by ``authenticator``; the passkey as the API shows it."""
    started = api.post("/auth/passkey-registration/options", token=token).json
    reply = api.post("/auth/passkeys", {"ceremony": started["ceremony"], "name": name,
                                        "credential": authenticator.create(started["publicKey"])}, token=token)
    assert reply.status == 201, reply.body
    return dict(reply.json)
