"""How a webhook receiver checks a request came from the blog (shown on the Comments page, run by a test)."""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_AGE_SECONDS = 300  # refuse replays of an old request


def verified(secret: bytes, timestamp: str, signature: str, raw_body: bytes, now: float | None = None) -> bool:
    """True when X-Blog-Signature is the HMAC-SHA256 of "<X-Blog-Timestamp>.<raw body>" and the request is fresh."""
    expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest refuses a str with characters outside ASCII, and a header may carry any.
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return False
    sent = int(timestamp) if timestamp.isdigit() else 0
    return abs((time.time() if now is None else now) - sent) < MAX_AGE_SECONDS
